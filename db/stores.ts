/** Opens both stores from the configuration: real servers when configured, embedded ones otherwise. */
import type { Config } from "../config.ts";
import { type AccountsDb, openAccountsDb } from "./accounts/database.ts";
import { openMongoPatientStore } from "./patients/mongo/store.ts";
import { openSqlitePatientStore } from "./patients/sqlite/store.ts";
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

/**
 * What the operator should read at start about the servers (FerretDB v1 is not for production);
 * a server that does not answer yet has nothing to say here (its outage is reported apart).
 */
export async function startupWarnings(stores: Stores): Promise<string[]> {
  return await stores.patients.serverWarnings().catch(() => []);
}

/** Closes both stores, even when one of them fails to close. */
export async function closeStores(stores: Stores): Promise<void> {
  await Promise.allSettled([stores.accounts.close(), stores.patients.close()]);
}
