/**
 * When the audit log cannot be written, nothing is changed, read, imported or exported: the
 * answer is a 503. The real database refuses the entries (a trigger in SQLite, a unique index
 * in MongoDB/FerretDB); no mocks.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openAccountsDb } from "../db/accounts_db.ts";
import { openMongoPatientStore } from "../db/patient_mongo.ts";
import { openSqlitePatientStore } from "../db/patient_sqlite.ts";
import { csvLine } from "../lib/csv_rows.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { createTestApp, testConfig } from "./helpers/app.ts";
import { dropMongoDatabase, mongoServer, uniqueName } from "./helpers/backends.ts";
import { FIRST_ROW, PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

/** A patient store whose audit log the test can make refuse every new entry. */
interface RefusingBackend {
  name: string;
  store: PatientStore;
  /** From now on, the database refuses new audit entries of this owner. */
  refuse(ownerId: number): Promise<void>;
  cleanup(): Promise<void>;
}

function embedded(dir: string): RefusingBackend {
  return {
    name: "embedded",
    store: openSqlitePatientStore(dir),
    refuse() {
      const db = new DatabaseSync(join(dir, "patients.db"));
      db.exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
      db.close();
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  };
}

function mongodb(uri: string): RefusingBackend {
  const database = uniqueName("spm_test");
  return {
    name: "mongodb",
    store: openMongoPatientStore({ uri, database, collection: "Patient_data" }),
    async refuse(ownerId) {
      // The owner has one entry: a unique index on the owner refuses every further one.
      const client = new MongoClient(uri);
      const audit = client.db(database).collection("Patient_data_audit");
      assert.equal(await audit.countDocuments({ owner_id: ownerId }), 1);
      await audit.createIndex({ owner_id: 1 }, { unique: true, name: "refuse_audit" });
      await client.close();
    },
    cleanup: () => dropMongoDatabase(uri, database),
  };
}

const mongo = mongoServer();

for (const name of ["embedded", "mongodb"] as const) {
  Deno.test({
    name:
      `[${name}] when the audit entry cannot be written nothing is changed, shown, imported or exported (503)`,
    ignore: name === "mongodb" && mongo === null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "spm-refusal-" });
      const backend = name === "embedded" ? embedded(dir) : mongodb(mongo!.uri);
      const { store } = backend;
      const app = await createTestApp(
        { accounts: openAccountsDb(null, dir), patients: store },
        testConfig({ dataDir: dir }),
      );
      try {
        const browser = new TestBrowser(app);
        assert.equal((await browser.register("Ann", "ann@example.org", PASSWORD)).status, 303);
        const token = (await (await app.request("/api/tokens", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: "ann@example.org", password: PASSWORD }),
        })).json()).token;
        const api = (method: string, path: string, body?: string, type = "application/json") =>
          app.request(`/api/patient_data${path}`, {
            method,
            headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
            ...(body === undefined ? {} : { body }),
          });
        const before = await store.create(1, { ...FIRST_ROW });
        assert.equal((await api("GET", "/9046")).status, 200, "one entry: the view");
        await backend.refuse(1);

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
        // The form in the browser: the edit is refused too, and the page says so.
        await browser.get("/patients");
        const form = await browser.postForm("/patients/9046/delete", { reason: "test" });
        assert.equal(form.status, 503);

        assert.deepEqual(await store.get(1, 9046), before, "unchanged, still live");
        assert.equal(await store.get(1, 2), null, "not created");
        assert.equal(await store.get(1, 3), null, "not imported");
        assert.equal((await store.listDeleted(1, { page: 1, perPage: 10 })).total, 0);
        const entries = await store.audit.search({ ownerId: 1 }, { offset: 0, limit: 10 });
        assert.equal(entries.total, 1, "only the first view");
      } finally {
        await app.close();
        await backend.cleanup();
      }
    },
  });
}
