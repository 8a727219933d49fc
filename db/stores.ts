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

export interface StoreTimeouts {
  /** How long a request waits for an unreachable database before it gets a 503 (ms). */
  unavailableAfterMs?: number;
}

export function openStores(config: Config, timeouts: StoreTimeouts = {}): Stores {
  const ms = timeouts.unavailableAfterMs;
  return {
    accounts: openAccountsDb(config.mysql, config.dataDir, { connectTimeoutMs: ms }),
    patients: config.mongo
      ? openMongoPatientStore(config.mongo, { serverSelectionTimeoutMs: ms })
      : openSqlitePatientStore(config.dataDir),
  };
}

/** Closes both stores, even when one of them fails to close. */
export async function closeStores(stores: Stores): Promise<void> {
  await Promise.allSettled([stores.accounts.close(), stores.patients.close()]);
}
