/**
 * The backends every contract suite runs against: SQLite always and MariaDB/MySQL when
 * `MYSQL_HOST` is set (accounts); the embedded store always and MongoDB/FerretDB when
 * `MONGO_URI` is set (patients). In CI every server must be there.
 */
import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import { loadConfig, type MongoConfig, type MysqlConfig } from "../../config.ts";
import { type AccountsDb, openAccountsDb } from "../../db/accounts_db.ts";
import { openMongoPatientStore } from "../../db/patient_mongo.ts";
import { openSqlitePatientStore } from "../../db/patient_sqlite.ts";
import type { PatientStore } from "../../lib/patient_store.ts";

const env = Deno.env.toObject();
/** CI provisions every server and the shared data; there, nothing may be skipped. */
export const IN_CI = env.CI === "true";

/** How long a test waits for a database that is down before the app answers 503. */
export const OUTAGE_TIMEOUT_MS = 700;

/** A short random suffix for database names, so runs never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** The MySQL/MariaDB server of the environment, or null (an error in CI, where it must exist). */
export function mysqlServer(): Omit<MysqlConfig, "database"> | null {
  const config = loadConfig(env).mysql;
  // The server only: each test names its own database.
  if (!config && IN_CI) {
    throw new Error("CI must set MYSQL_HOST: the MariaDB suite may not be skipped");
  }
  return config;
}

/** The MongoDB/FerretDB server of the environment, or null (an error in CI). */
export function mongoServer(): Pick<MongoConfig, "uri"> | null {
  const config = loadConfig(env).mongo;
  if (!config && IN_CI) {
    throw new Error("CI must set MONGO_URI: the FerretDB suite may not be skipped");
  }
  return config;
}

export interface Opened<T> {
  value: T;
  /** Closes the store and drops what the test created. */
  cleanup(): Promise<void>;
}

export interface Backend<T> {
  name: string;
  open(): Promise<Opened<T>>;
}

export async function dropMysqlDatabase(server: Omit<MysqlConfig, "database">, database: string) {
  const { host, port, user, password } = server;
  const connection = await createConnection({ host, port, user, password });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await connection.end();
  }
}

export async function dropMongoDatabase(uri: string, database: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}

/** SQLite always; MariaDB/MySQL when `MYSQL_HOST` is set. Each open gets a fresh database. */
export function accountBackends(): Backend<AccountsDb>[] {
  const backends: Backend<AccountsDb>[] = [{
    name: "sqlite",
    open() {
      const dir = Deno.makeTempDirSync({ prefix: "spm-accounts-" });
      const value = openAccountsDb(null, dir);
      return Promise.resolve({
        value,
        cleanup: async () => {
          await value.close();
          await Deno.remove(dir, { recursive: true });
        },
      });
    },
  }];
  const server = mysqlServer();
  if (server) {
    backends.push({
      name: "mysql",
      open() {
        const database = uniqueName("spm_test");
        const value = openAccountsDb({ ...server, database }, "");
        return Promise.resolve({
          value,
          cleanup: async () => {
            await value.close();
            await dropMysqlDatabase(server, database);
          },
        });
      },
    });
  }
  return backends;
}

/** The embedded store always; MongoDB/FerretDB when `MONGO_URI` is set. Each open is empty. */
export function patientBackends(
  options: { sqlPlans?: boolean } = {},
): Backend<PatientStore>[] {
  const embedded = (name: string, snapshotMaxRows?: number): Backend<PatientStore> => ({
    name,
    open() {
      const dir = Deno.makeTempDirSync({ prefix: "spm-patients-" });
      const value = openSqlitePatientStore(
        dir,
        snapshotMaxRows === undefined ? {} : { snapshotMaxRows },
      );
      return Promise.resolve({
        value,
        cleanup: async () => {
          await value.close();
          await Deno.remove(dir, { recursive: true });
        },
      });
    },
  });
  const backends = [embedded("embedded")];
  // The embedded store lists small collections from memory; this one always plans SQL.
  if (options.sqlPlans) backends.push(embedded("embedded, SQL plans", 0));
  const server = mongoServer();
  if (server) {
    backends.push({
      name: "mongodb",
      open() {
        const database = uniqueName("spm_test");
        const value = openMongoPatientStore({
          uri: server.uri,
          database,
          collection: "Patient_data",
        });
        return Promise.resolve({
          value,
          cleanup: async () => {
            await value.close();
            await dropMongoDatabase(server.uri, database);
          },
        });
      },
    });
  }
  return backends;
}
