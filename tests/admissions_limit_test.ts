/**
 * The bound on one patient's admissions (`MAX_ADMISSIONS_PER_PATIENT`), on every patient backend:
 * the API's create answers 422 naming `admission_id` once a patient has as many as one may have
 * (deleted ones counted), an import — and its dry run — reports each row over the bound by its
 * line while storing the others, and the patient page's form says why above the form.
 */
import assert from "node:assert/strict";
import { MAX_ADMISSIONS_PER_PATIENT, newAdmissionRevision } from "../lib/admission_store.ts";
import { apiTest, type ApiUser, samplePatient } from "./helpers/api.ts";
import { admissionBody, sampleAdmission } from "./helpers/admissions.ts";
import type { PatientStore } from "../lib/patient_store.ts";

const FULL = 4100;
const OTHER = 4101;
const CSV = { "Content-Type": "text/csv" };
const LIMIT_MESSAGE = /has 1,000 admissions, the most one patient may have/;

/** Patients FULL and OTHER; FULL with `MAX - room` admissions stored (one of them deleted). */
async function nearlyFull(user: ApiUser, patients: PatientStore, room: number) {
  for (const id of [FULL, OTHER]) {
    const res = await user.api("POST", "/api/patient_data", samplePatient({ id }));
    assert.equal(res.status, 201, res.text);
  }
  const record = await patients.get(user.id, FULL);
  const rows = Array.from({ length: MAX_ADMISSIONS_PER_PATIENT - room }, () => ({
    patient_id: FULL,
    patient_created_at: record!.created_at,
    fields: sampleAdmission(),
    revision: newAdmissionRevision(),
  }));
  const { stored } = await patients.admissions.insertMany(user.id, rows);
  assert.equal(stored.length, rows.length);
  const deleted = await user.api("DELETE", `/api/patient_data/${FULL}/admissions/1`);
  assert.equal(deleted.status, 204, deleted.text);
}

apiTest(
  "a patient's last admission is created; the next is a 422 naming admission_id",
  async ({ user, patients }) => {
    await nearlyFull(user, patients, 1);
    const path = `/api/patient_data/${FULL}/admissions`;
    const last = await user.api("POST", path, admissionBody());
    assert.equal(last.status, 201, last.text);
    const refused = await user.api("POST", path, admissionBody());
    assert.equal(refused.status, 422, refused.text);
    assert.match(refused.headers.get("Content-Type") ?? "", /^application\/problem\+json/);
    assert.deepEqual(refused.body.errors.map((e: { field: string }) => e.field), ["admission_id"]);
    assert.match(refused.body.errors[0].message, LIMIT_MESSAGE);
    assert.match(refused.body.errors[0].message, /deleted admissions count/);
    // The live ones: all but the deleted one; another patient still takes admissions.
    const list = await user.api("GET", path);
    assert.equal(list.body.length, MAX_ADMISSIONS_PER_PATIENT - 1);
    const other = await user.api("POST", `/api/patient_data/${OTHER}/admissions`, admissionBody());
    assert.equal(other.status, 201, other.text);
  },
);

apiTest(
  "an import reports each admission over the bound by its line, in a dry run too",
  async ({ user, patients }) => {
    await nearlyFull(user, patients, 2);
    const file = [
      "patient_id,stroke_type,arrival_at",
      `${FULL},TIA,2025-01-05T10:00:00Z`,
      `${OTHER},TIA,2025-01-05T11:00:00Z`,
      `${FULL},mimic,2025-01-06T10:00:00Z`,
      `${FULL},TIA,2025-01-07T10:00:00Z`,
      `${FULL},ischaemic,2025-01-08T10:00:00Z`,
    ].join("\r\n");
    // The bound counts the file's rows before each one, whether stored or (dry run) not.
    for (const dryRun of [true, false]) {
      const res = await user.api("POST", `/api/admissions/import?dry_run=${dryRun}`, file, CSV);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        [res.body.inserted, res.body.rows, res.body.dry_run],
        [3, 5, dryRun],
        res.text,
      );
      const problems = res.body.errors.map((e: { line: number; field: string }) => [
        e.line,
        e.field,
      ]);
      assert.deepEqual(problems, [[5, "admission_id"], [6, "admission_id"]]);
      assert.match(res.body.errors[0].message, LIMIT_MESSAGE);
    }
    const counts = await patients.admissions.countOf(user.id, [FULL, OTHER]);
    assert.deepEqual(counts, new Map([[FULL, MAX_ADMISSIONS_PER_PATIENT], [OTHER, 1]]));
  },
);

apiTest(
  "the patient page's form says why it cannot add one",
  async ({ user, patients, browser }) => {
    await nearlyFull(user, patients, 0);
    const page = await browser();
    const res = await page.postForm(`/patients/${FULL}/admissions`, {
      stroke_type: "TIA",
      arrival_at: "2025-01-05T10:00",
    });
    assert.equal(res.status, 422);
    const html = await res.text();
    assert.match(html, /role="alert"[^>]*>[^<]*Patient 4100 has 1,000 admissions/);
  },
);
