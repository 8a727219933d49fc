/**
 * `GET /api/quality_indicators` on synthetic admissions, on every backend: the API's answer is
 * what lib/stroke computes directly from the same admissions (whole period, a period, the list's
 * filters), deleted admissions and deleted patients leave it at once, `for_sharing=true` and the
 * CSV suppress counts 1–4, and a bad query is a 400 naming the parameter.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/csv_writer.ts";
import { PATIENT_FIELDS, type PatientFields } from "../lib/patient_fields.ts";
import { ADMISSION_CSV_COLUMNS, admissionCsvLine } from "../lib/stroke/admission_json.ts";
import { qualityIndicators } from "../lib/stroke/quality_indicators.ts";
import { forSharing, qualityIndicatorsCsv } from "../lib/stroke/small_numbers.ts";
import { type PatientAdmission, syntheticAdmissions } from "../lib/stroke/synthetic_admissions.ts";
import { apiTest, type ApiUser, errorFields } from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const NOW = new Date("2025-06-01T00:00:00Z");
const PATIENTS = 120;

/** Patients 1…PATIENTS: every third had a stroke, genders alternate, ages spread. */
function patients(): PatientFields[] {
  return Array.from({ length: PATIENTS }, (_, i) => ({
    ...(samplePatient() as Omit<PatientFields, "id">),
    id: i + 1,
    gender: i % 2 === 0 ? "Male" : "Female",
    age: 40 + (i * 7) % 50,
    stroke: i % 3 === 0 ? 1 : 0,
  }));
}

/** Stores the patients and their synthetic admissions through the API (CSV imports). */
async function seed(user: ApiUser): Promise<{ people: PatientFields[]; all: PatientAdmission[] }> {
  const people = patients();
  const patientCsv = csvLine(PATIENT_FIELDS) +
    people.map((p) => csvLine(PATIENT_FIELDS.map((f) => p[f]))).join("");
  const imported = await user.api("POST", "/api/patient_data/import", patientCsv, {
    "Content-Type": "text/csv",
  });
  assert.equal(imported.body.inserted, PATIENTS, imported.text);
  const all = [
    ...syntheticAdmissions(
      people.map((p) => ({ id: p.id, age: p.age, stroke: p.stroke })),
      { seed: 7, now: NOW, years: 2 },
    ),
  ];
  const csv = csvLine(ADMISSION_CSV_COLUMNS) +
    all.map((a) => admissionCsvLine(a.patient_id, a.admission, "UTC")).join("");
  const res = await user.api("POST", "/api/admissions/import", csv, { "Content-Type": "text/csv" });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.errors, []);
  assert.equal(res.body.inserted, all.length);
  return { people, all };
}

const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));

apiTest(
  "the indicators equal lib/stroke's, computed directly from the same admissions",
  async ({ user }) => {
    const { people, all } = await seed(user);
    assert.ok(all.length > 40, `${all.length} synthetic admissions`);
    const direct = (from: string | null, to: string | null, keep = (_: PatientAdmission) => true) =>
      asJson(
        qualityIndicators(all.filter(keep).map((a) => a.admission), { from, to, zone: "UTC" }),
      );

    const whole = await user.api("GET", "/api/quality_indicators");
    assert.equal(whole.status, 200, whole.text);
    assert.deepEqual(whole.body, direct(null, null));
    assert.equal(whole.body.admissions, all.length);
    const lysed = whole.body.indicators.find((i: { key: string }) => i.key === "door_to_needle");
    assert.ok(lysed.n > 0 && lysed.median > 0, "some were thrombolysed");

    const period = await user.api("GET", "/api/quality_indicators?from=2024-01-01&to=2024-12-31");
    assert.equal(period.status, 200);
    assert.deepEqual(period.body, direct("2024-01-01", "2024-12-31"));
    assert.equal(period.body.by_month.length, 12);

    const women = new Set(people.filter((p) => p.gender === "Female").map((p) => p.id));
    const filtered = await user.api("GET", "/api/quality_indicators?gender=Female&from=2023-06-01");
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body, direct("2023-06-01", null, (a) => women.has(a.patient_id)));

    const empty = await user.api("GET", "/api/quality_indicators?from=2030-01-01");
    assert.equal(empty.body.admissions, 0);
    for (const indicator of empty.body.indicators) {
      assert.equal("rate" in indicator ? indicator.rate : indicator.median, null, indicator.key);
    }
  },
);

apiTest(
  "deleted admissions and deleted patients leave the indicators at once",
  async ({ user }) => {
    const { all } = await seed(user);
    const first = all[0]!;
    const path = `/api/patient_data/${first.patient_id}/admissions/${first.admission.admission_id}`;
    assert.equal((await user.api("DELETE", path)).status, 204);
    const others = all.filter((a) => a.patient_id !== first.patient_id);
    const ofPatient = all.filter((a) => a.patient_id === first.patient_id);
    assert.equal(
      (await user.api("GET", "/api/quality_indicators")).body.admissions,
      all.length - 1,
    );
    assert.equal((await user.api("DELETE", `/api/patient_data/${first.patient_id}`)).status, 204);
    const after = await user.api("GET", "/api/quality_indicators");
    assert.deepEqual(
      after.body,
      asJson(qualityIndicators(others.map((a) => a.admission), {
        from: null,
        to: null,
        zone: "UTC",
      })),
    );
    await user.api("POST", `/api/patient_data/${first.patient_id}/restore`);
    assert.equal(
      (await user.api("GET", "/api/quality_indicators")).body.admissions,
      others.length + ofPatient.length - 1,
    );
  },
);

apiTest("for_sharing=true and the CSV show counts 1 to 4 as <5", async ({ user }) => {
  const { all } = await seed(user);
  const admissions = all.map((a) => a.admission);
  // A month with 1 to 4 admissions.
  const whole = qualityIndicators(admissions, { from: null, to: null, zone: "UTC" });
  const month = whole.by_month.find((m) => m.admissions >= 1 && m.admissions <= 4)!.month;
  const [year, m] = month.split("-").map(Number) as [number, number];
  const from = `${month}-01`;
  const to = new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10);
  const direct = qualityIndicators(admissions, { from, to, zone: "UTC" });
  const query = `from=${from}&to=${to}`;
  const shared = await user.api("GET", `/api/quality_indicators?${query}&for_sharing=true`);
  assert.equal(shared.status, 200);
  assert.deepEqual(shared.body, asJson(forSharing(direct)));
  const text = JSON.stringify(shared.body);
  const small = direct.indicators.some((i) =>
    "n" in i ? i.n >= 1 && i.n <= 4 : i.numerator >= 1 && i.numerator <= 4
  );
  assert.ok(small, "a month of admissions has small counts");
  assert.match(text, /"<5"/);
  const csv = await user.api("GET", `/api/quality_indicators?${query}&format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get("Content-Type") ?? "", /^text\/csv/);
  assert.match(
    csv.headers.get("Content-Disposition") ?? "",
    new RegExp(`attachment; filename="quality-indicators-${from}-to-${to}\\.csv"`),
  );
  assert.equal(csv.text, qualityIndicatorsCsv(direct));
  assert.match(csv.text, /<5/);
  // Not for sharing, the same counts are given as they are.
  const plain = await user.api("GET", `/api/quality_indicators?${query}`);
  assert.doesNotMatch(JSON.stringify(plain.body), /<5/);
});

apiTest("a bad query is a 400 naming each parameter", async ({ user }) => {
  const cases: [string, string[]][] = [
    ["from=2024-13-01", ["from"]],
    ["from=01/02/2024", ["from"]],
    ["to=1800-01-01", ["to"]],
    ["from=2024-05-01&to=2024-04-30", ["to"]],
    ["for_sharing=yes", ["for_sharing"]],
    ["format=xml", ["format"]],
    ["gender=Unknown", ["gender"]],
    ["page=2", ["page"]],
    ["colour=red", ["colour"]],
    ["from=2024-01-01&from=2024-02-01", ["from"]],
    ["from=x&format=pdf", ["format", "from"]],
  ];
  for (const [query, fields] of cases) {
    const res = await user.api("GET", `/api/quality_indicators?${query}`);
    assert.equal(res.status, 400, `${query}: ${res.text}`);
    assert.deepEqual(errorFields(res), fields, query);
  }
});

apiTest(
  "the indicators are the caller's own: another user's admissions are not counted",
  async ({ user, newUser }) => {
    await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
    await user.api("POST", "/api/patient_data/1/admissions", admissionBody());
    const other = await newUser();
    const theirs = await other.api("GET", "/api/quality_indicators");
    assert.equal(theirs.body.admissions, 0);
    assert.equal((await user.api("GET", "/api/quality_indicators")).body.admissions, 1);
  },
);
