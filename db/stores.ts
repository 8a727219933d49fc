/** Opens both stores from the configuration: real servers when configured, embedded ones otherwise. */
import type { Config } from "../config.ts";
import { type AccountsDb, openAccountsDb } from "./accounts_db.ts";
import { openMongoPatientStore } from "./patient_mongo.ts";
import { openSqlitePatientStore } from "./patient_sqlite.ts";
import type { PatientStore } from "../lib/patient_store.ts";

export interface Stores {
  accounts: AccountsDb;
  patients: PatientStore;
}

export function openStores(config: Config): Stores {
  const timeouts = config.databaseTimeouts;
  return {
    accounts: openAccountsDb(config.mysql, config.dataDir, timeouts),
    patients: config.mongo
      ? openMongoPatientStore(config.mongo, timeouts)
      : openSqlitePatientStore(config.dataDir),
  };
}

/** Closes both stores, even when one of them fails to close. */
export async function closeStores(stores: Stores): Promise<void> {
  await Promise.allSettled([stores.accounts.close(), stores.patients.close()]);
}
