/**
 * Admissions as CSV, on every backend: the export streams every live admission with an unknown
 * value as an empty cell; importing it into another account gives back the same rows; a bad row
 * is reported by its line and field while the good ones are stored; a dry run stores nothing;
 * `on_conflict` skips or updates a row naming an admission the patient has; the file is bounded.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { ADMISSION_CSV_COLUMNS } from "../lib/stroke/admission_json.ts";
import {
  apiTest,
  type ApiUser,
  errorFields,
  loadDocument,
  registerApiUser,
} from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { createTestApp, testConfig } from "./helpers/app.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const HEADER = ADMISSION_CSV_COLUMNS.join(",");
const CSV = { "Content-Type": "text/csv" };

async function patientsOf(user: ApiUser, ids: number[]) {
  for (const id of ids) {
    const res = await user.api("POST", "/api/patient_data", samplePatient({ id }));
    assert.equal(res.status, 201, res.text);
  }
}

/** Three admissions of two patients, one with most values unknown, one deleted. */
async function admissionsOf(user: ApiUser) {
  await patientsOf(user, [3, 12]);
  const posts = [
    ["/api/patient_data/12/admissions", admissionBody()],
    ["/api/patient_data/3/admissions", {
      stroke_type: "TIA",
      arrival_at: "2024-11-02T22:15:00-05:00",
    }],
    [
      "/api/patient_data/3/admissions",
      admissionBody({
        stroke_type: "haemorrhagic",
        thrombolysis_at: null,
        thrombectomy_at: "2025-03-10T10:30:00+01:00",
        discharge_destination: "died",
        mrs_discharge: 6,
        mrs_90d: 6,
      }),
    ],
    ["/api/patient_data/3/admissions", admissionBody({ nihss_arrival: 1 })],
  ] as const;
  for (const [path, body] of posts) {
    const res = await user.api("POST", path, body);
    assert.equal(res.status, 201, res.text);
  }
  assert.equal((await user.api("DELETE", "/api/patient_data/3/admissions/3")).status, 204);
}

apiTest(
  "the export takes the list's filters: every admission of the patients they match",
  async ({ user }) => {
    await admissionsOf(user);
    const woman = await user.api(
      "POST",
      "/api/patient_data",
      samplePatient({ id: 20, gender: "Female" }),
    );
    assert.equal(woman.status, 201, woman.text);
    const admitted = await user.api(
      "POST",
      "/api/patient_data/20/admissions",
      admissionBody({ stroke_type: "TIA", thrombolysis_at: null }),
    );
    assert.equal(admitted.status, 201, admitted.text);
    /** The patient and admission numbers of the export's rows. */
    const rowsOf = async (query: string) => {
      const res = await user.api("GET", `/api/admissions/export${query}`);
      assert.equal(res.status, 200, res.text);
      return res.text.split("\r\n").slice(1, -1).map((line) => line.split(",", 2).join("/"));
    };
    assert.deepEqual(await rowsOf(""), ["3/1", "3/2", "12/1", "20/1"]);
    assert.deepEqual(await rowsOf("?gender=Female"), ["20/1"]);
    assert.deepEqual(await rowsOf("?gender=Male&age_min=0"), ["3/1", "3/2", "12/1"]);
    assert.deepEqual(await rowsOf("?q=12"), ["12/1"]);
    // The admission filters choose patients: all of a patient's admissions come with the one
    // that matched.
    assert.deepEqual(await rowsOf("?treatment=thrombectomy"), ["3/1", "3/2"]);
    assert.deepEqual(await rowsOf("?treatment=thrombolysis&gender=Female"), []);
    const deidentified = await user.api(
      "GET",
      "/api/admissions/export?gender=Female&deidentify=true&k_min=1",
    );
    assert.equal(deidentified.status, 200, deidentified.text);
    assert.equal(deidentified.text.split("\r\n").length, 3, "a header and one admission");
    // Paging and an order belong to the list, not to this file.
    for (const name of ["sort=age", "page=2", "per_page=10"]) {
      const refused = await user.api("GET", `/api/admissions/export?${name}`);
      assert.equal(refused.status, 400);
      assert.match(refused.text, /every admission of the matching patients, by patient; leave/);
    }
    const bad = await user.api("GET", "/api/admissions/export?gender=Unknown&age_min=x");
    assert.equal(bad.status, 400);
    assert.deepEqual(errorFields(bad), ["age_min", "gender"]);
  },
);

apiTest(
  "the export streams every live admission, unknown values as empty cells",
  async ({ user }) => {
    await admissionsOf(user);
    const res = await user.api("GET", "/api/admissions/export");
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("Content-Type") ?? "", /^text\/csv/);
    assert.match(
      res.headers.get("Content-Disposition") ?? "",
      /^attachment; filename="admissions-/,
    );
    const lines = res.text.split("\r\n");
    assert.equal(lines.pop(), "");
    assert.deepEqual(lines, [
      HEADER,
      "3,1,TIA,,2024-11-03T03:15:00+00:00,,,,,,,,",
      "3,2,haemorrhagic,2025-03-10T07:30:00+00:00,2025-03-10T09:00:00+00:00,2025-03-10T09:20:00+00:00,8,,2025-03-10T09:30:00+00:00,2025-03-17T12:00:00+00:00,died,6,6",
      "12,1,ischaemic,2025-03-10T07:30:00+00:00,2025-03-10T09:00:00+00:00,2025-03-10T09:20:00+00:00,8,2025-03-10T09:45:00+00:00,,2025-03-17T12:00:00+00:00,home,2,1",
    ]);
    assert.equal((await user.api("GET", "/api/admissions/export?format=json")).status, 400);
    assert.equal((await user.api("GET", "/api/admissions/export?deidentify=yes")).status, 400);
    const template = await user.api("GET", "/api/admissions/import/template");
    assert.equal(template.text, `${HEADER}\r\n`);
  },
);

apiTest(
  "export, then import into another account, gives back the same rows",
  async ({ user, newUser }) => {
    await admissionsOf(user);
    const exported = (await user.api("GET", "/api/admissions/export")).text;
    const other = await newUser();
    await patientsOf(other, [3, 12]);
    const dry = await other.api("POST", "/api/admissions/import?dry_run=true", exported, CSV);
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(
      { ...dry.body },
      { inserted: 3, updated: 0, skipped: 0, dry_run: true, rows: 3, errors: [], errors_total: 0 },
    );
    assert.deepEqual((await other.api("GET", "/api/patient_data/3/admissions")).body, []);
    const done = await other.api("POST", "/api/admissions/import", exported, CSV);
    assert.deepEqual(done.body, { ...dry.body, dry_run: false });
    assert.equal((await other.api("GET", "/api/admissions/export")).text, exported);
    // Again: every row names an admission the patient has now, so it is skipped.
    const again = await other.api("POST", "/api/admissions/import", exported, CSV);
    assert.deepEqual([again.body.inserted, again.body.skipped], [0, 3]);
    // The imported admissions' history names the import's line.
    const history = await other.api("GET", "/api/patient_data/12/history");
    const created = history.body.find((e: { action: string; admission_id?: number }) =>
      e.action === "create" && e.admission_id === 1
    );
    assert.deepEqual(created.import, { file_name: null, line: 4 });
  },
);

apiTest("bad rows are reported by line and field; the good rows are stored", async ({ user }) => {
  await patientsOf(user, [1, 2]);
  const file = [
    "patient_id,stroke_type,arrival_at,nihss_arrival,thrombolysis_at",
    "1,ischaemic,2025-01-05T10:00:00Z,4,2025-01-05T10:40:00Z",
    "1,ischaemic,2025-01-06T10:00:00Z,99,",
    "",
    "77,TIA,2025-01-07T10:00:00Z,,",
    "2,ischaemic,2025-01-08T10:00:00Z,3,2025-01-08T09:00:00Z",
    "2,stroke,yesterday,x,",
    '"2","mimic","2025-01-09T08:00:00+00:00","0",""',
  ].join("\r\n");
  const res = await user.api("POST", "/api/admissions/import", file, CSV);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.inserted, 2);
  assert.equal(res.body.rows, 6);
  const problems = res.body.errors.map((
    e: { line: number; field: string; value: string },
  ) => [e.line, e.field, e.value]);
  assert.deepEqual(problems, [
    [3, "nihss_arrival", "99"],
    [5, "patient_id", "77"],
    [6, "thrombolysis_at", "2025-01-08T09:00:00Z"],
    [7, "stroke_type", "stroke"],
    [7, "arrival_at", "yesterday"],
    [7, "nihss_arrival", "x"],
  ]);
  assert.equal(res.body.errors_total, 6);
  for (const error of res.body.errors) assert.ok(error.message.length > 5);
  const stored = await user.api("GET", "/api/patient_data/1/admissions");
  assert.deepEqual(stored.body.map((a: { nihss_arrival: number }) => a.nihss_arrival), [4]);
  assert.equal(
    (await user.api("GET", "/api/patient_data/2/admissions")).body[0].stroke_type,
    "mimic",
  );
});

apiTest("on_conflict=update changes a named admission, audited as an edit", async ({ user }) => {
  await admissionsOf(user);
  const exported = (await user.api("GET", "/api/admissions/export")).text;
  const changed = exported.replace(
    "12,1,ischaemic,2025-03-10T07:30:00+00:00,2025-03-10T09:00:00+00:00,2025-03-10T09:20:00+00:00,8,",
    "12,1,ischaemic,2025-03-10T07:30:00+00:00,2025-03-10T09:00:00+00:00,2025-03-10T09:20:00+00:00,11,",
  );
  assert.notEqual(changed, exported);
  const skipped = await user.api("POST", "/api/admissions/import", changed, CSV);
  assert.deepEqual([skipped.body.updated, skipped.body.skipped], [0, 3]);
  const updated = await user.api("POST", "/api/admissions/import?on_conflict=update", changed, CSV);
  assert.deepEqual([updated.body.inserted, updated.body.updated, updated.body.skipped], [0, 1, 2]);
  assert.equal((await user.api("GET", "/api/patient_data/12/admissions/1")).body.nihss_arrival, 11);
  const history = await user.api("GET", "/api/patient_data/12/history");
  const update = history.body.find((e: { action: string }) => e.action === "update");
  assert.deepEqual(update.changes, { nihss_arrival: [8, 11] });
  // A deleted admission's number is not taken over by an import.
  const deleted = `${HEADER}\r\n3,3,TIA,,2024-11-03T03:15:00+00:00,,,,,,,,\r\n`;
  const refused = await user.api("POST", "/api/admissions/import", deleted, CSV);
  assert.deepEqual(refused.body.errors.map((e: { field: string }) => e.field), ["admission_id"]);
  assert.match(refused.body.errors[0].message, /deleted/);
});

apiTest("a file that is not an admissions CSV is a 400 and stores nothing", async ({ user }) => {
  await patientsOf(user, [1]);
  const cases: [string, string, Record<string, string>][] = [
    ["no header", "", CSV],
    ["the columns of patients", "id,gender,age\r\n1,Male,3\r\n", CSV],
    ["arrival missing", "patient_id,stroke_type\r\n1,TIA\r\n", CSV],
    ["a column twice", "patient_id,stroke_type,arrival_at,arrival_at\r\n", CSV],
    ["JSON", "patient_id,stroke_type,arrival_at\r\n", { "Content-Type": "application/json" }],
  ];
  for (const [what, body, headers] of cases) {
    const res = await user.api("POST", "/api/admissions/import", body, headers);
    assert.equal(res.status, 400, `${what}: ${res.text}`);
  }
  const bad = await user.api("POST", "/api/admissions/import?on_conflict=replace", "", CSV);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field), ["on_conflict"]);
  assert.deepEqual((await user.api("GET", "/api/patient_data/1/admissions")).body, []);
});

Deno.test("an import larger than IMPORT_MAX_BYTES is a 413 and stores nothing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-admissions-csv-" });
  const app = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: openSqlitePatientStore(dir) },
    testConfig({ dataDir: dir, importMaxBytes: 2000 }),
  );
  try {
    await loadDocument(app);
    const user = await registerApiUser(app, "big@example.org");
    await patientsOf(user, [1]);
    const row = csvLine([1, null, "TIA", null, "2025-01-05T10:00:00Z"]);
    const file = csvLine(ADMISSION_CSV_COLUMNS.slice(0, 5)) + row.repeat(100);
    assert.ok(file.length > 2000);
    const res = await user.api("POST", "/api/admissions/import", file, CSV);
    assert.equal(res.status, 413, res.text);
    // Sent without a length (chunked), it is refused before any row is stored too.
    const chunked = await app.request("/api/admissions/import", {
      method: "POST",
      headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "text/csv" },
      body: ReadableStream.from([new TextEncoder().encode(file)]),
    });
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();
    assert.deepEqual((await user.api("GET", "/api/patient_data/1/admissions")).body, []);
  } finally {
    await app.close();
  }
});
