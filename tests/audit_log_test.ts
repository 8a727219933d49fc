/** The audit log: every change, view, import and export has its entry, and each user sees only their own. */
import assert from "node:assert/strict";
import type { AuditEntry } from "../lib/audit.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { apiTest, assertIsoUtc, samplePatient } from "./helpers/api.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const P = "/api/patient_data";

/** Every entry of the user's records, newest first. */
async function entriesOf(patients: PatientStore, userId: number): Promise<AuditEntry[]> {
  return (await patients.audit.search({ ownerId: userId }, { offset: 0, limit: 100 })).items;
}

/** Each field of a new record as `[null, value]`. */
function created(record: Record<string, unknown>): Record<string, [null, unknown]> {
  return Object.fromEntries(PATIENT_FIELDS.map((f) => [f, [null, record[f]]]));
}

apiTest(
  "every change is in the record's history, newest first, with who, each field's before and after, and the reason",
  async ({ user }) => {
    const first = samplePatient({ id: 7 });
    await user.api("POST", P, first, { "X-Change-Reason": "Entered from the ward sheet" });
    await user.api("PATCH", `${P}/7`, { age: 68, bmi: null }, {
      "X-Change-Reason": "Checked the chart",
    });
    await user.api("PUT", `${P}/7`, samplePatient({ age: 69, smoking_status: "smokes" }));
    await user.api("DELETE", `${P}/7`, undefined, { "X-Change-Reason": "Entered twice" });
    assert.equal((await user.api("POST", `${P}/7/restore`)).status, 200);

    const history = await user.api("GET", `${P}/7/history`);
    assert.equal(history.status, 200);
    const items = history.body as { at: string; user_id: number; user_name: string }[];
    for (const item of items) {
      assertIsoUtc(item.at, "at");
      assert.equal(item.user_id, user.id);
      assert.equal(item.user_name, "Test User", "who, by name");
    }
    const times = items.map((item) => item.at);
    assert.deepEqual(times, [...times].sort().reverse(), "newest first");
    assert.deepEqual(items.map(({ at: _at, user_id: _by, user_name: _name, ...rest }) => rest), [
      { action: "restore", changes: {} },
      { action: "delete", changes: {}, reason: "Entered twice" },
      {
        action: "update",
        changes: {
          age: [68, 69],
          bmi: [null, FIRST_ROW.bmi],
          smoking_status: ["formerly smoked", "smokes"],
        },
      },
      {
        action: "update",
        changes: { age: [67, 68], bmi: [FIRST_ROW.bmi, null] },
        reason: "Checked the chart",
      },
      {
        action: "create",
        changes: created({ ...first, id: 7 }),
        reason: "Entered from the ward sheet",
      },
    ]);
  },
);

apiTest(
  "single-record views are logged with where they happened, the client and the request id; lists are not",
  async ({ user, patients, browser }) => {
    await user.api("POST", P, samplePatient({ id: 3 }));
    await user.api("GET", P);
    await user.api("GET", `${P}?q=3`);
    const read = await user.api("GET", `${P}/3`);
    const page = await browser();
    assert.equal((await page.get("/patients/3")).status, 200);
    assert.equal((await page.get("/patients/3/edit")).status, 200);
    // Not views: the row after Cancel, the delete confirmation, the history itself.
    await page.get("/patients/3/row", { "HX-Request": "true" });
    await page.get("/patients/3/delete");
    await page.get("/patients/3/history");
    await user.api("GET", `${P}/3/history`);

    const views = (await entriesOf(patients, user.id)).filter((e) => e.action === "view");
    assert.deepEqual(views.map((e) => e.details?.via), ["edit", "detail", "api"]);
    for (const view of views) {
      assert.equal(view.patient_id, 3);
      assert.equal(view.user_id, user.id);
      assert.equal(view.client, "unknown", "in-process requests have no connection address");
      assert.equal(view.status, "done");
    }
    assert.equal(views[2]!.request_id, read.headers.get("X-Request-Id"));
    const history = await user.api("GET", `${P}/3/history`);
    assert.deepEqual(history.body.map((e: { action: string }) => e.action), [
      "view",
      "view",
      "view",
      "create",
    ]);
  },
);

apiTest(
  "one user's records' history is a 404 to another, and neither sees the other's entries",
  async ({ user, newUser, patients }) => {
    await user.api("POST", P, samplePatient({ id: 5 }));
    await user.api("PATCH", `${P}/5`, { age: 40 }, { "X-Change-Reason": "private note" });
    const other = await newUser();
    assert.equal((await other.api("GET", `${P}/5/history`)).status, 404);
    assert.equal((await other.api("GET", `${P}/6/history`)).status, 404, "an id nobody has");
    await other.api("POST", P, samplePatient({ id: 5 }));
    const theirs = await other.api("GET", `${P}/5/history`);
    assert.deepEqual(theirs.body.map((e: { action: string }) => e.action), ["create"]);
    assert.equal(theirs.body[0].user_id, other.id);
    const mine = await user.api("GET", `${P}/5/history`);
    assert.deepEqual(mine.body.map((e: { action: string }) => e.action), ["update", "create"]);
    assert.ok((await entriesOf(patients, other.id)).every((e) => e.owner_id === other.id));
  },
);

apiTest(
  "an import writes an entry with its counts and one per record it stored, an export one with its filters, a dry run none",
  async ({ user, patients }) => {
    await user.api("POST", P, samplePatient({ id: 1 }));
    const row = (id: number, gender: string) =>
      csvLine(
        PATIENT_FIELDS.map((f) =>
          f === "id" ? String(id) : f === "gender" ? gender : String(FIRST_ROW[f] ?? "N/A")
        ),
      );
    const csv = csvLine(PATIENT_FIELDS) + row(1, "Male") + row(2, "Female") + row(3, "Male") +
      row(4, "Nope");
    const text = { "Content-Type": "text/csv" };
    const before = (await entriesOf(patients, user.id)).length;
    const dry = await user.api("POST", `${P}/import?dry_run=true`, csv, text);
    assert.equal(dry.status, 200);
    assert.equal((await entriesOf(patients, user.id)).length, before, "a dry run is not logged");
    const run = await user.api("POST", `${P}/import?on_conflict=skip`, csv, text);
    assert.deepEqual([run.body.inserted, run.body.skipped, run.body.errors.length], [2, 1, 1]);
    const exported = await user.api("GET", `${P}/export?format=csv&gender=Male&sort=-age`);
    assert.equal(exported.status, 200);

    const entries = await entriesOf(patients, user.id);
    const exportEntry = entries.find((e) => e.action === "export");
    const importEntry = entries.find((e) => e.action === "import");
    assert.equal(entries.length, before + 4, "the import, its two records, the export");
    assert.equal(importEntry!.patient_id, null);
    assert.deepEqual(importEntry!.details, {
      on_conflict: "skip",
      rows: 4,
      inserted: 2,
      updated: 0,
      skipped: 1,
      errors: 1,
    });
    assert.equal(exportEntry!.action, "export");
    assert.deepEqual(exportEntry!.details, {
      format: "csv",
      deidentify: false,
      filter: { gender: "Male" },
      sort: "-age",
    });
    const imported = await user.api("GET", `${P}/2/history`);
    assert.equal(imported.status, 200);
    assert.deepEqual(
      imported.body.map((e: { action: string; import?: unknown }) => [e.action, e.import]),
      [["create", { file_name: null, line: 3 }]],
      "an imported record's history begins with its create, naming the import's line",
    );
    assert.equal(imported.body[0].changes.gender[1], "Female");
  },
);
