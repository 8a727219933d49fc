/**
 * The backends every contract suite runs against: SQLite always and MariaDB/MySQL when
 * `MYSQL_HOST` is set (accounts); the embedded store always and MongoDB/FerretDB when
 * `MONGO_URI` is set (patients). In CI every server must be there.
 */
import { type Collection, MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { loadConfig, type MongoConfig, type MysqlConfig } from "../../config.ts";
import { type AccountsDb, openAccountsDb } from "../../db/accounts/database.ts";
import { openMongoPatientStore } from "../../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../../db/patients/sqlite/store.ts";
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
  /**
   * Another connection to the same database, as a second app instance has (the caller closes
   * it before the clean-up).
   */
  reopen?(): T;
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

/** Drops `database` from the environment's MySQL and MongoDB servers (each that is set). */
export async function dropServerDatabases(database: string): Promise<void> {
  const [mysql, mongo] = [mysqlServer(), mongoServer()];
  if (mysql) await dropMysqlDatabase(mysql, database);
  if (mongo) await dropMongoDatabase(mongo.uri, database);
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
        reopen: () => openAccountsDb(null, dir),
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
          reopen: () => openAccountsDb({ ...server, database }, ""),
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

/** A patient store opened for a test, with ways in that bypass the app. */
export interface OpenedPatients extends Opened<PatientStore> {
  /** Another handle on the same database, as a second app instance has (closed by `cleanup`). */
  another(): PatientStore;
  /**
   * Writes documents of `userId` straight into the database, as another program (the original
   * app) would: fields as given, a missing one missing, nothing added.
   */
  insertRaw(userId: number, docs: readonly Record<string, unknown>[]): Promise<void>;
  /** Sets fields of the live document of patient `id` (stored as a number or as text), as stored. */
  updateRaw(userId: number, id: number, fields: Record<string, unknown>): Promise<void>;
  /** The live document of patient `id` as stored (no `_id` or `user_id`), or null. */
  rawDocument(userId: number, id: number): Promise<Record<string, unknown> | null>;
}

export interface PatientBackend extends Backend<PatientStore> {
  open(): Promise<OpenedPatients>;
}

/** Runs `work` on the embedded store's file, through a connection of its own. */
function withSqliteFile<T>(path: string, work: (database: DatabaseSync) => T): T {
  const database = new DatabaseSync(path);
  try {
    database.exec("PRAGMA busy_timeout = 5000");
    return work(database);
  } finally {
    database.close();
  }
}

/** The embedded store's ways in, on the file at `path`. */
function sqliteWaysIn(path: string, ready: () => Promise<void>) {
  const values = (fields: Record<string, unknown>) => Object.values(fields) as SQLInputValue[];
  return {
    async insertRaw(userId: number, docs: readonly Record<string, unknown>[]) {
      await ready(); // the tables exist
      withSqliteFile(path, (database) => {
        for (const doc of docs) {
          const columns = ["user_id", ...Object.keys(doc)];
          database.prepare(
            `INSERT INTO patients (${columns.join(", ")}) VALUES (${
              columns.map(() => "?").join(", ")
            })`,
          ).run(userId, ...values(doc));
        }
      });
    },
    updateRaw(userId: number, id: number, fields: Record<string, unknown>) {
      withSqliteFile(path, (database) =>
        database.prepare(
          `UPDATE patients SET ${
            Object.keys(fields).map((c) => `${c} = ?`).join(", ")
          } WHERE user_id = ? AND id = ?`,
        ).run(...values(fields), userId, id));
      return Promise.resolve();
    },
    rawDocument(userId: number, id: number) {
      const row = withSqliteFile(
        path,
        (database) =>
          database.prepare("SELECT * FROM patients WHERE user_id = ? AND id = ?").get(userId, id),
      );
      if (!row) return Promise.resolve(null);
      const { user_id: _owner, ...rest } = row;
      return Promise.resolve({ ...rest });
    },
  };
}

/** The MongoDB store's ways in, on `database`. */
function mongoWaysIn(uri: string, database: string, ready: () => Promise<void>) {
  const using = async <T>(work: (c: Collection) => Promise<T>): Promise<T> => {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      return await work(client.db(database).collection("Patient_data"));
    } finally {
      await client.close();
    }
  };
  const idIs = (id: number) => ({ $in: [id, String(id)] });
  return {
    async insertRaw(userId: number, docs: readonly Record<string, unknown>[]) {
      await ready();
      await using((c) => c.insertMany(docs.map((doc) => ({ ...doc, user_id: userId }))));
    },
    async updateRaw(userId: number, id: number, fields: Record<string, unknown>) {
      await using((c) => c.updateOne({ user_id: userId, id: idIs(id) }, { $set: fields }));
    },
    rawDocument(userId: number, id: number) {
      return using((c) =>
        c.findOne({ user_id: userId, id: idIs(id) }, { projection: { _id: 0, user_id: 0 } })
      );
    },
  };
}

/** The embedded store always; MongoDB/FerretDB when `MONGO_URI` is set. Each open is empty. */
export function patientBackends(
  options: { sqlPlans?: boolean } = {},
): PatientBackend[] {
  const embedded = (
    name: string,
    options: Parameters<typeof openSqlitePatientStore>[1] = {},
  ): PatientBackend => ({
    name,
    open() {
      const dir = Deno.makeTempDirSync({ prefix: "spm-patients-" });
      const openStore = () => openSqlitePatientStore(dir, options);
      const value = openStore();
      const others: PatientStore[] = [];
      return Promise.resolve({
        value,
        another: () => others[others.push(openStore()) - 1]!,
        ...sqliteWaysIn(join(dir, "patients.db"), () => value.ping()),
        cleanup: async () => {
          for (const other of others) await other.close();
          await value.close();
          await Deno.remove(dir, { recursive: true });
        },
        reopen: () => openSqlitePatientStore(dir),
      });
    },
  });
  const backends = [embedded("embedded")];
  // The embedded store lists small collections from memory and big ones from a list index
  // built in a worker (SQL until it is built); these always plan SQL, or always use the index.
  if (options.sqlPlans) {
    backends.push(embedded("embedded, SQL plans", { snapshotMaxRows: 0 }));
    backends.push(
      embedded("embedded, list index", {
        snapshotMaxRows: 0,
        listIndexMinRows: 0,
        listIndexQuietMs: 0,
      }),
    );
  }
  const server = mongoServer();
  if (server) {
    backends.push({
      name: "mongodb",
      open() {
        const database = uniqueName("spm_test");
        const config = { uri: server.uri, database, collection: "Patient_data" };
        const value = openMongoPatientStore(config);
        const others: PatientStore[] = [];
        return Promise.resolve({
          value,
          another: () => others[others.push(openMongoPatientStore(config)) - 1]!,
          ...mongoWaysIn(server.uri, database, () => value.ping()),
          cleanup: async () => {
            for (const other of others) await other.close();
            await value.close();
            await dropMongoDatabase(server.uri, database);
          },
          reopen: () => openMongoPatientStore(config),
        });
      },
    });
  }
  return backends;
}

/** An accounts database for a script test, and the environment that points the script at it. */
export interface ScriptAccounts {
  accounts: AccountsDb;
  /** The script's environment: `DATA_DIR` (SQLite) or `MYSQL_*`. */
  env: Record<string, string>;
  /** The MySQL database's name (drop it with `dropMysqlDatabase` after the test). */
  database: string;
}

/** Opens a fresh accounts database on `store` in `dir`, with the environment a script needs. */
export function scriptAccounts(
  store: "sqlite" | "mysql",
  dir: string,
  mysql: Omit<MysqlConfig, "database"> | null,
): ScriptAccounts {
  const database = uniqueName("spm_test");
  const env: Record<string, string> = store === "sqlite" ? { DATA_DIR: dir } : {
    MYSQL_HOST: mysql!.host,
    MYSQL_PORT: String(mysql!.port),
    MYSQL_USER: mysql!.user,
    MYSQL_PASSWORD: mysql!.password,
    MYSQL_DB: database,
  };
  const accounts = openAccountsDb(store === "sqlite" ? null : { ...mysql!, database }, dir);
  return { accounts, env, database };
}
