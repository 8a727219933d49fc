/**
 * When a database goes away the app keeps answering, says which store is down, and recovers by
 * itself. Real servers behind a TCP proxy that the test stops and starts; no mocks.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { once } from "node:events";
import net from "node:net";
import { isMongoUnavailable, openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import type { Stores } from "../db/stores.ts";
import { createUser, findUserByEmail } from "../db/accounts/users.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import {
  dropMongoDatabase,
  dropMysqlDatabase,
  mongoServer,
  mysqlServer,
  OUTAGE_TIMEOUT_MS,
  uniqueName,
} from "./helpers/backends.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { freePort } from "./helpers/ports.ts";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp_proxy.ts";

const mysql = mysqlServer();
const mongo = mongoServer();

/** How long the app may take to notice that a database is back. */
const RECOVERY_MS = 15_000;

interface Health {
  status: number;
  retryAfter: string | null;
  body: { status: string; users: string; patients: string };
  ms: number;
}

async function health(app: TestApp): Promise<Health> {
  const start = performance.now();
  const res = await app.request("/healthz");
  return {
    status: res.status,
    retryAfter: res.headers.get("Retry-After"),
    body: await res.json(),
    ms: performance.now() - start,
  };
}

async function assertHomeAnswers(app: TestApp): Promise<void> {
  const res = await app.request("/");
  await res.body?.cancel();
  assert.deepEqual(res.status, 200);
}

/** Polls /healthz until it answers 200; fails after `RECOVERY_MS`. */
async function waitUntilHealthy(app: TestApp): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  let last: Health | null = null;
  while (Date.now() < deadline) {
    last = await health(app);
    if (last.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`still unhealthy after ${RECOVERY_MS} ms: ${JSON.stringify(last?.body)}`);
}

/** The embedded stores in a fresh directory, with one of them replaced. */
function storesWith(dir: string, replace: Partial<Stores>): Stores {
  return {
    accounts: replace.accounts ?? openAccountsDb(null, dir),
    patients: replace.patients ?? openSqlitePatientStore(dir),
  };
}

/** Runs `body` on an app built from `stores`; closes the app and removes `dir` afterwards. */
async function withApp(
  dir: string,
  stores: Stores,
  body: (app: TestApp) => Promise<void>,
): Promise<void> {
  try {
    const app = await createTestApp(stores);
    try {
      await body(app);
    } finally {
      await app.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The down-and-back-up cycle both stores must survive. */
async function outageCycle(
  app: TestApp,
  proxy: TcpProxy,
  expectedDown: { users: string; patients: string },
): Promise<void> {
  // A fresh database is created and migrated on first use, which on a loaded machine can take
  // longer than the outage timeout: the cycle starts once the app is healthy.
  await waitUntilHealthy(app);
  const up = await health(app);
  assert.deepEqual([up.status, up.body], [200, { status: "ok", users: "ok", patients: "ok" }]);

  await proxy.stop();
  const down = await health(app);
  assert.deepEqual(down.status, 503);
  assert.deepEqual(down.body, { status: "unavailable", ...expectedDown });
  assert.deepEqual(down.retryAfter, "5", "a load balancer is told when to ask again");
  assert.ok(down.ms < 5_000, `the outage took ${down.ms} ms to report`);
  await assertHomeAnswers(app);
  // Still down on a second look: nothing was cached as healthy.
  assert.deepEqual((await health(app)).status, 503);

  proxy.start();
  await waitUntilHealthy(app);
  await assertHomeAnswers(app);
}

Deno.test({
  name:
    "while MongoDB is down /healthz names the patient store and / still answers, then it recovers",
  ignore: !mongo,
  async fn() {
    const { hostname, port } = new URL(mongo!.uri);
    const proxy = startTcpProxy({ hostname, port: Number(port || 27017) });
    const database = uniqueName("spm_test");
    const dir = Deno.makeTempDirSync({ prefix: "spm-outage-" });
    try {
      const patients = openMongoPatientStore({
        uri: mongo!.uri.replace(/^(mongodb:\/\/(?:[^@/]*@)?)[^/?]+/, `$1127.0.0.1:${proxy.port}`),
        database,
        collection: "Patient_data",
      }, { unavailableMs: OUTAGE_TIMEOUT_MS });
      await withApp(dir, storesWith(dir, { patients }), async (app) => {
        await outageCycle(app, proxy, { users: "ok", patients: "down" });
        // The same store object writes and reads again: nothing had to be reopened.
        const record = await patients.create(1, samplePatient({ gender: "Female" }));
        assert.deepEqual((await patients.get(1, record.id))?.avg_glucose_level, 228.69);
      });
    } finally {
      await proxy.close();
      await dropMongoDatabase(mongo!.uri, database);
    }
  },
});

Deno.test({
  name:
    "while MySQL is down /healthz names the account store and / still answers, then it recovers",
  ignore: !mysql,
  async fn() {
    const proxy = startTcpProxy({ hostname: mysql!.host, port: mysql!.port });
    const database = uniqueName("spm_test");
    const dir = Deno.makeTempDirSync({ prefix: "spm-outage-" });
    try {
      const accounts = openAccountsDb(
        { ...mysql!, host: "127.0.0.1", port: proxy.port, database },
        "",
        { unavailableMs: OUTAGE_TIMEOUT_MS },
      );
      await withApp(dir, storesWith(dir, { accounts }), async (app) => {
        await outageCycle(app, proxy, { users: "down", patients: "ok" });
        await createUser(accounts, { name: "Back", email: "back@example.com", passwordHash: "x" });
        assert.deepEqual((await findUserByEmail(accounts, "BACK@example.com"))?.name, "Back");
      });
    } finally {
      await proxy.close();
      await dropMysqlDatabase(mysql!, database);
    }
  },
});

Deno.test("with MongoDB unreachable from the start, /healthz says patients are down and / answers", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-outage-" });
  const patients = openMongoPatientStore({
    uri: `mongodb://127.0.0.1:${freePort()}`,
    database: "patient_data",
    collection: "Patient_data",
  }, { unavailableMs: OUTAGE_TIMEOUT_MS });
  await withApp(dir, storesWith(dir, { patients }), async (app) => {
    const down = await health(app);
    assert.deepEqual([down.status, down.body], [503, {
      status: "unavailable",
      users: "ok",
      patients: "down",
    }]);
    assert.ok(down.ms < 5_000, `${down.ms} ms`);
    await assertHomeAnswers(app);
  });
});

Deno.test("with MySQL unreachable from the start, /healthz says users are down and / answers", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-outage-" });
  const accounts = openAccountsDb(
    {
      host: "127.0.0.1",
      port: freePort(),
      user: "spm",
      password: "unused",
      database: "loginvalidation",
    },
    "",
    { unavailableMs: OUTAGE_TIMEOUT_MS },
  );
  await withApp(dir, storesWith(dir, { accounts }), async (app) => {
    const down = await health(app);
    assert.deepEqual([down.status, down.body], [503, {
      status: "unavailable",
      users: "down",
      patients: "ok",
    }]);
    assert.ok(down.ms < 5_000, `${down.ms} ms`);
    await assertHomeAnswers(app);
  });
});

/** The error Node's socket gives a write after the server has closed the connection. */
async function writeAfterServerClosed(): Promise<unknown> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.accept().then((conn) => conn.close());
  const { port } = listener.addr as Deno.NetAddr;
  const socket = net.createConnection({ host: "127.0.0.1", port });
  const failed = once(socket, "error");
  await once(socket, "end");
  socket.write("ping");
  const [error] = await failed;
  listener.close();
  return error;
}

Deno.test("a MongoDB command written just as the server went away is a 503, not a 500", async () => {
  // The driver passes this error on as it is when its write races the server's exit (found by
  // the outage test: a list answered 500 the moment FerretDB was killed).
  const error = await writeAfterServerClosed();
  assert.deepEqual((error as { code?: string }).code, "EPIPE");
  assert.ok(isMongoUnavailable(error));
  assert.ok(isMongoUnavailable(new Error("a wrapper", { cause: error })));
  assert.ok(!isMongoUnavailable(new Error("a bug")));
});
