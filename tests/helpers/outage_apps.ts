/**
 * Apps whose one database the test can take away: the patient store on a FerretDB of the
 * test's own (killed and stopped for real), or the accounts on MariaDB behind a TCP proxy; the
 * other store embedded, so that what does not need the missing database can be seen working.
 */
import type { DatabaseTimeouts } from "../../config.ts";
import { openAccountsDb } from "../../db/accounts/database.ts";
import { openMongoPatientStore } from "../../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../../db/patients/sqlite/store.ts";
import type { Stores } from "../../db/stores.ts";
import { createTestApp, type TestApp, testConfig } from "./app.ts";
import {
  dropMongoDatabase,
  dropMysqlDatabase,
  mongoServer,
  mysqlServer,
  uniqueName,
} from "./backends.ts";
import { ferretDbBinary, startFerretDb } from "./ferretdb.ts";
import type { Outage } from "./outage_load.ts";
import { startTcpProxy } from "./tcp_proxy.ts";

/**
 * What the test does to the database: `down()` (killed, or every connection closed and new
 * ones refused) and `up()`, or `hang()` and `resume()`.
 */
export interface ServerSwitch extends Outage {
  /** Hanging: connections stay open, nothing answers. */
  hang(): void | Promise<void>;
  resume(): void;
}

/** The MongoDB server to take away: a FerretDB of the test's own, or a proxy to `MONGO_URI`. */
async function mongoSwitch(): Promise<ServerSwitch & { uri: string; close(): Promise<void> }> {
  const binary = ferretDbBinary();
  if (binary) {
    const ferret = await startFerretDb(binary);
    return {
      uri: ferret.uri,
      down: ferret.kill,
      up: ferret.start,
      hang: ferret.hang,
      resume: ferret.resume,
      close: ferret.close,
    };
  }
  const { hostname, port } = new URL(mongoServer()!.uri);
  const proxy = startTcpProxy({ hostname, port: Number(port || 27017) });
  return {
    uri: `mongodb://127.0.0.1:${proxy.port}`,
    down: proxy.stop,
    up: () => Promise.resolve(proxy.start()),
    hang: proxy.freeze,
    resume: proxy.thaw,
    close: proxy.close,
  };
}

async function withApp(
  stores: (dir: string) => Stores,
  timeouts: DatabaseTimeouts | undefined,
  body: (app: TestApp) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spm-outage-" });
  const config = testConfig({ dataDir: dir, ...(timeouts ? { databaseTimeouts: timeouts } : {}) });
  const app = await createTestApp(stores(dir), config);
  try {
    await body(app);
  } finally {
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `body` on an app whose patients are on MongoDB that `server` switches (accounts
 * embedded); the app's default database timeouts unless `timeouts` says otherwise.
 */
export async function withMongoOutageApp(
  timeouts: DatabaseTimeouts | undefined,
  body: (app: TestApp, server: ServerSwitch) => Promise<void>,
): Promise<void> {
  const server = await mongoSwitch();
  const database = uniqueName("spm_outage");
  try {
    await withApp(
      (dir) => ({
        accounts: openAccountsDb(null, dir),
        patients: openMongoPatientStore(
          { uri: server.uri, database, collection: "Patient_data" },
          timeouts ?? testConfig().databaseTimeouts,
        ),
      }),
      timeouts,
      (app) => body(app, server),
    );
  } finally {
    await dropMongoDatabase(server.uri, database).catch(() => {});
    await server.close();
  }
}

/** The same with the accounts on MariaDB behind a proxy (patients embedded). */
export async function withMysqlOutageApp(
  timeouts: DatabaseTimeouts | undefined,
  body: (app: TestApp, server: ServerSwitch) => Promise<void>,
): Promise<void> {
  const mysql = mysqlServer()!;
  const proxy = startTcpProxy({ hostname: mysql.host, port: mysql.port });
  const database = uniqueName("spm_outage");
  const server: ServerSwitch = {
    down: proxy.stop,
    up: () => Promise.resolve(proxy.start()),
    hang: proxy.freeze,
    resume: proxy.thaw,
  };
  try {
    await withApp(
      (dir) => ({
        accounts: openAccountsDb(
          { ...mysql, host: "127.0.0.1", port: proxy.port, database },
          "",
          timeouts ?? testConfig().databaseTimeouts,
        ),
        patients: openSqlitePatientStore(dir),
      }),
      timeouts,
      (app) => body(app, server),
    );
  } finally {
    await proxy.close();
    await dropMysqlDatabase(mysql, database);
  }
}
