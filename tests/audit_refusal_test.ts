/**
 * When the audit log cannot be written, nothing is changed, read, imported or exported: the
 * answer is a 503. And when only the last step fails, the change's entry waits in the journal
 * until the housekeeping moves it to the log. The real database refuses the entries (triggers in
 * SQLite, unique indexes in MongoDB/FerretDB); no mocks.
 */
import assert from "node:assert/strict";
import { type Collection, MongoClient } from "mongodb";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { settlePending } from "../lib/audit_trail.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { bearerToken, createTestApp, testConfig } from "./helpers/app.ts";
import { dropMongoDatabase, mongoServer, uniqueName } from "./helpers/backends.ts";
import { FIRST_ROW, PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

/** Where entries go: the journal of changes in progress, and the log. */
type Part = "journal" | "log";

/** A patient store whose audit tables the test can make refuse new entries (of owner 1). */
interface RefusingBackend {
  store: PatientStore;
  refuse(part: Part): Promise<void>;
  allow(part: Part): Promise<void>;
  cleanup(): Promise<void>;
}

function embedded(dir: string): RefusingBackend {
  const table = { journal: "audit_pending", log: "audit_log" };
  const exec = (sql: string) => {
    const db = new DatabaseSync(join(dir, "patients.db"));
    db.exec(sql);
    db.close();
    return Promise.resolve();
  };
  return {
    store: openSqlitePatientStore(dir),
    refuse: (part) =>
      exec(`CREATE TRIGGER refuse_${part} BEFORE INSERT ON ${table[part]}
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`),
    allow: (part) => exec(`DROP TRIGGER refuse_${part}`),
    cleanup: () => Promise.resolve(),
  };
}

function mongodb(uri: string): RefusingBackend {
  const database = uniqueName("spm_test");
  const collection = { journal: "Patient_data_audit_pending", log: "Patient_data_audit" };
  const using = async (part: Part, work: (c: Collection) => Promise<unknown>) => {
    const client = new MongoClient(uri);
    try {
      await work(client.db(database).collection(collection[part]));
    } finally {
      await client.close();
    }
  };
  return {
    store: openMongoPatientStore({ uri, database, collection: "Patient_data" }),
    // A unique index on the owner, over one document of the owner's: every new entry is refused.
    refuse: (part) =>
      using(part, async (c) => {
        await c.insertOne({ _id: `blocker-${part}` as never, owner_id: 1 });
        await c.createIndex({ owner_id: 1 }, { unique: true, name: "refuse" });
      }),
    allow: (part) =>
      using(part, async (c) => {
        await c.dropIndex("refuse");
        await c.deleteOne({ _id: `blocker-${part}` as never });
      }),
    cleanup: () => dropMongoDatabase(uri, database),
  };
}

const mongo = mongoServer();

/** Runs `body` on an app over a refusing backend, with user 1 (token) owning patient 9046. */
async function withRefusingApp(
  name: "embedded" | "mongodb",
  body: (
    ctx: {
      backend: RefusingBackend;
      browser: TestBrowser;
      api: (method: string, path: string, body?: string, type?: string) => Promise<Response>;
    },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spm-refusal-" });
  const backend = name === "embedded" ? embedded(dir) : mongodb(mongo!.uri);
  const app = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: backend.store },
    testConfig({ dataDir: dir }),
  );
  try {
    const browser = new TestBrowser(app);
    assert.equal((await browser.register("Ann", "ann@example.org", PASSWORD)).status, 303);
    const token = await bearerToken(app, "ann@example.org");
    const api = (method: string, path: string, body?: string, type = "application/json") =>
      app.request(`/api/patient_data${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
        ...(body === undefined ? {} : { body }),
      });
    await backend.store.create(1, { ...FIRST_ROW });
    await body({ backend, browser, api });
  } finally {
    await app.close();
    await backend.cleanup();
  }
}

for (const name of ["embedded", "mongodb"] as const) {
  const ignore = name === "mongodb" && mongo === null;

  Deno.test({
    name:
      `[${name}] when the audit entry cannot be written nothing is changed, shown, imported or exported (503)`,
    ignore,
    fn: () =>
      withRefusingApp(name, async ({ backend, browser, api }) => {
        const { store } = backend;
        const before = await store.get(1, 9046);
        await backend.refuse("journal");
        await backend.refuse("log");
        const refused = async (res: Response, what: string) => {
          assert.equal(res.status, 503, what);
          assert.match((await res.json()).detail, /audit log cannot be written/, what);
        };
        await refused(await api("POST", "", JSON.stringify(samplePatient({ id: 2 }))), "create");
        await refused(await api("PATCH", "/9046", JSON.stringify({ age: 20 })), "update");
        await refused(await api("DELETE", "/9046"), "delete");
        await refused(await api("GET", "/9046"), "a view that cannot be logged");
        await refused(await api("GET", "/export?format=csv"), "export");
        const csv = csvLine(PATIENT_FIELDS) +
          csvLine(PATIENT_FIELDS.map((f) => f === "id" ? "3" : String(FIRST_ROW[f])));
        await refused(await api("POST", "/import", csv, "text/csv"), "import");
        // The form in the browser is refused too.
        await browser.get("/patients");
        const form = await browser.postForm("/patients/9046/delete", { reason: "test" });
        assert.equal(form.status, 503);

        assert.deepEqual(await store.get(1, 9046), before, "unchanged, still live");
        assert.equal(await store.get(1, 2), null, "not created");
        assert.equal(await store.get(1, 3), null, "not imported");
        assert.equal((await store.listDeleted(1, { page: 1, perPage: 10 })).total, 0);
        await backend.allow("log");
        const entries = await store.audit.search({ ownerId: 1 }, { offset: 0, limit: 10 });
        assert.equal(entries.total, 0, "nothing was logged, as nothing happened");
      }),
  });

  Deno.test({
    name:
      `[${name}] a change whose entry reached the journal but not the log answers 503, and the housekeeping logs it`,
    ignore,
    fn: () =>
      withRefusingApp(name, async ({ backend, api }) => {
        const { store } = backend;
        await backend.refuse("log");
        const res = await api("PATCH", "/9046", JSON.stringify({ age: 20 }), "application/json");
        assert.equal(res.status, 503, "the outcome could not be logged: not reported as saved");
        await res.body?.cancel();
        assert.equal((await store.get(1, 9046))?.age, 20, "the change was made…");
        const waiting = await store.audit.pending(new Date(Date.now() + 60_000), 10);
        assert.deepEqual(waiting.map((e) => [e.action, e.changes]), [["update", {
          age: [67, 20],
        }]]);
        await backend.allow("log");
        assert.equal(await settlePending(store, new Date(Date.now() + 16 * 60_000)), 1);
        const history = await store.audit.history(1, 9046);
        assert.deepEqual(
          history.map((e) => [e.action, e.status]),
          [["update", "done"]],
          "…and logged",
        );
        assert.deepEqual(await store.audit.pending(new Date(Date.now() + 60_000), 10), []);
      }),
  });
}
