/** `/healthz` on every backend, and the app as `deno run main.ts` starts it: its start-up lines, its data. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { createUser, findUserByEmail } from "../db/accounts/users.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { type RunningApp, startMain } from "./helpers/app_process.ts";
import { dropServerDatabases, mongoServer, mysqlServer, uniqueName } from "./helpers/backends.ts";
import { freePort } from "./helpers/ports.ts";

const mysql = mysqlServer();
const mongo = mongoServer();

async function assertHealthy(app: TestApp): Promise<void> {
  const res = await app.request("/healthz");
  assert.deepEqual(res.status, 200);
  assert.match(res.headers.get("Content-Type") ?? "", /^application\/json/);
  assert.deepEqual(res.headers.get("Cache-Control"), "no-store");
  assert.deepEqual(await res.json(), { status: "ok", users: "ok", patients: "ok" });
}

Deno.test("/healthz answers 200 with both stores ok on the embedded stores", async () => {
  const app = await createTestApp();
  try {
    await assertHealthy(app);
  } finally {
    await app.close();
  }
});

Deno.test({
  name: "/healthz answers 200 with both stores ok on MySQL and MongoDB",
  ignore: !mysql || !mongo,
  async fn() {
    const database = uniqueName("spm_test");
    const app = await createTestApp({
      accounts: openAccountsDb({ ...mysql!, database }, ""),
      patients: openMongoPatientStore({ uri: mongo!.uri, database, collection: "Patient_data" }),
    });
    try {
      // As main.ts does before it serves: a new database is migrated and indexed first.
      await Promise.all([app.stores.accounts.ping(), app.stores.patients.ping()]);
      await assertHealthy(app);
    } finally {
      await app.close();
      await dropServerDatabases(database);
    }
  },
});

async function getHealth(app: RunningApp): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`http://127.0.0.1:${app.port}/healthz`);
    return { status: res.status, body: await res.json() };
  } catch (error) {
    throw new Error(`GET /healthz failed; the app printed:\n${app.output()}`, { cause: error });
  }
}

Deno.test("deno run main.ts prints its URL and both backends, answers /healthz and keeps its data", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "spm-main-" });
  const env = { DATA_DIR: dataDir, SESSION_SECRET: "a-session-secret-never-printed-1234" };
  let app = startMain(env);
  try {
    await app.waitFor(/Patients: .*\n/);
    const out = app.output();
    assert.ok(out.includes(`Stroke Patient Management at http://127.0.0.1:${app.port}/`), out);
    assert.ok(out.includes(`Accounts: SQLite at ${join(dataDir, "app.db")}`), out);
    assert.ok(out.includes(`Patients: embedded store at ${join(dataDir, "patients.db")}`), out);
    assert.ok(!out.includes(env.SESSION_SECRET), out);
    assert.ok(!out.includes("FerretDB"), "no FerretDB warning for the embedded store");
    assert.deepEqual(await getHealth(app), {
      status: 200,
      body: { status: "ok", users: "ok", patients: "ok" },
    });
    await app.stop();
    assert.ok(Deno.statSync(join(dataDir, "app.db")).isFile);
    assert.ok(Deno.statSync(join(dataDir, "patients.db")).isFile);

    // Written while the app is stopped, through the same db/ functions the app uses.
    const accounts = openAccountsDb(null, dataDir);
    const patients = openSqlitePatientStore(dataDir);
    try {
      await createUser(accounts, { name: "Kept", email: "kept@example.com", passwordHash: "h" });
      await patients.create(1, {
        id: 7,
        gender: "Male",
        age: 0.08,
        hypertension: 0,
        heart_disease: 0,
        ever_married: "No",
        work_type: "children",
        Residence_type: "Rural",
        avg_glucose_level: 95.12,
        bmi: null,
        smoking_status: "Unknown",
        stroke: 0,
      });
    } finally {
      await accounts.close();
      await patients.close();
    }

    app = startMain(env);
    await app.waitFor(/Patients: .*\n/);
    assert.deepEqual((await getHealth(app)).status, 200);
    await app.stop();

    const reopened = openAccountsDb(null, dataDir);
    const reopenedPatients = openSqlitePatientStore(dataDir);
    try {
      assert.deepEqual((await findUserByEmail(reopened, "KEPT@example.com"))?.name, "Kept");
      const record = await reopenedPatients.get(1, 7);
      assert.deepEqual([record?.age, record?.bmi], [0.08, null]);
    } finally {
      await reopened.close();
      await reopenedPatients.close();
    }
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name: "deno run main.ts on FerretDB warns once that FerretDB v1 is for development and tests",
  ignore: mongo === null,
  async fn() {
    const dataDir = Deno.makeTempDirSync({ prefix: "spm-main-" });
    const database = uniqueName("spm_test");
    const app = startMain({ DATA_DIR: dataDir, MONGO_URI: mongo!.uri, MONGO_DB: database });
    try {
      await app.waitFor(/not production/);
      await app.waitFor(/Patients: .*\n/);
      const warnings = app.output().split("\n").filter((line) => line.includes("FerretDB"));
      assert.equal(warnings.length, 1, app.output());
      assert.match(
        warnings[0]!,
        /^The patient database is FerretDB v1\.[\d.]+\. FerretDB v1 is supported for development and tests, not production: it does not apply a conditional update atomically and it sorts and counts in memory\. Use MongoDB 6\+ or Atlas in production\.$/,
      );
      assert.equal((await getHealth(app)).status, 200);
    } finally {
      await app.stop();
      await dropServerDatabases(database);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("deno run main.ts never prints a database password, even when the servers are unreachable", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "spm-main-" });
  const dead = freePort();
  const app = startMain({
    DATA_DIR: dataDir,
    MONGO_URI: `mongodb://user:s3cret@127.0.0.1:${dead}/?authSource=admin`,
    MYSQL_HOST: "127.0.0.1",
    MYSQL_PORT: String(dead),
    MYSQL_USER: "spm",
    MYSQL_PASSWORD: "s3cret",
  });
  try {
    await app.waitFor(/Patients: .*\n/);
    assert.ok(app.output().includes(`Accounts: MySQL at 127.0.0.1:${dead}/loginvalidation`));
    assert.ok(app.output().includes(`Patients: MongoDB at 127.0.0.1:${dead}/patient_data`));
    // It listens although neither server answers, and says which store is down.
    assert.deepEqual(await getHealth(app), {
      status: 503,
      body: { status: "unavailable", users: "down", patients: "down" },
    });
    // The start-up warnings about both stores have been printed by now.
    await app.waitFor(/Patient store not ready/, 10_000);
    await app.waitFor(/Accounts store not ready/, 10_000);
    assert.ok(!app.output().includes("s3cret"), app.output());
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
