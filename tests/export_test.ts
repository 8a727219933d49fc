/**
 * `GET /api/patient_data/export`: the current filters and sort, as the dataset's CSV or as JSON,
 * and the de-identified export for sharing with its k-anonymity.
 */
import assert from "node:assert/strict";
import type { PatientFields } from "../lib/patient_fields.ts";
import { anonymousApi, apiTest } from "./helpers/api.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import { FIRST_ROW, samplePatient } from "./helpers/fixtures.ts";

const P = "/api/patient_data";

apiTest(
  "an export holds the view's records in its order, as CSV or JSON",
  async ({ user, newUser, patients }) => {
    const stored: PatientFields[] = [
      { ...FIRST_ROW, id: 1, gender: "Female", age: 30 },
      { ...FIRST_ROW, id: 2, gender: "Male", age: 80 },
      { ...FIRST_ROW, id: 3, gender: "Female", age: 0.08, bmi: null },
      { ...FIRST_ROW, id: 4, gender: "Female", age: 61.5, avg_glucose_level: 100 },
    ];
    await patients.insertMany(user.id, stored);
    const other = await newUser();
    await other.api("POST", P, samplePatient({ id: 5, gender: "Female" }));

    const csv = await user.api("GET", `${P}/export?gender=Female&sort=-age`);
    assert.equal(csv.headers.get("Content-Type"), "text/csv; charset=utf-8");
    assert.deepEqual(csv.text.split("\r\n"), [
      "id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type,avg_glucose_level,bmi,smoking_status,stroke",
      "4,Female,61.5,0,1,Yes,Private,Urban,100,36.6,formerly smoked,1",
      "1,Female,30,0,1,Yes,Private,Urban,228.69,36.6,formerly smoked,1",
      "3,Female,0.08,0,1,Yes,Private,Urban,228.69,N/A,formerly smoked,1",
      "",
    ]);
    const json = await user.api("GET", `${P}/export?format=json&age_min=60`);
    assert.match(json.headers.get("Content-Disposition")!, /filename="patients-[\d-]+\.json"/);
    assert.deepEqual(json.body.map((r: { id: number }) => r.id), [2, 4]);
    assert.equal(json.body[0].created_at.endsWith("Z"), true);

    const none = await user.api("GET", `${P}/export?format=json&q=5`);
    assert.deepEqual(none.body, [], "another user's record is never exported");
  },
);

apiTest("an export refuses paging and unknown or ill-typed parameters", async ({ app, user }) => {
  for (
    const query of [
      "page=2",
      "per_page=10",
      "format=xml",
      "deidentify=yes",
      "k_min=5",
      "deidentify=true&k_min=0",
      "gender=female",
      "colour=red",
    ]
  ) {
    const res = await user.api("GET", `${P}/export?${query}`);
    assert.equal(res.status, 400, query);
  }
  assert.equal((await anonymousApi(app)("GET", `${P}/export`)).status, 401);
});

apiTest(
  "the de-identified dataset has opaque pseudo ids and age bands, k = 1, and k_min=5 leaves out 301 rows",
  async ({ user, app, patients }) => {
    if (skipWithoutData(DATASET)) return;
    await patients.insertMany(user.id, loadDataset()!.patients);
    // The headers come before the rows: read them and leave the body.
    const plain = await app.request(`${P}/export?deidentify=true`, {
      headers: { Authorization: `Bearer ${user.token}` },
    });
    assert.deepEqual([plain.headers.get("X-K-Anonymity"), plain.headers.get("X-Suppressed-Rows")], [
      "1",
      "0",
    ]);
    await plain.body?.cancel();

    const res = await user.api("GET", `${P}/export?deidentify=true&k_min=5`);
    assert.deepEqual([res.headers.get("X-K-Anonymity"), res.headers.get("X-Suppressed-Rows")], [
      "5",
      "301",
    ]);
    assert.match(
      res.headers.get("Content-Disposition")!,
      /filename="patients-deidentified-[\d-]+\.csv"/,
    );
    const [header, ...rows] = res.text.trimEnd().split("\r\n");
    assert.equal(
      header,
      "pseudo_id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type,avg_glucose_level,bmi,smoking_status,stroke",
    );
    assert.equal(rows.length, 5110 - 301);
    // Pseudo ids are opaque: never a number (so never a record id), each row its own.
    const pseudo = rows.map((r) => r.split(",")[0]!);
    for (const id of pseudo) assert.match(id, /^[A-Z][A-Z2-7]{11}$/);
    assert.ok(pseudo.every((id) => Number.isNaN(Number(id))));
    assert.equal(new Set(pseudo).size, rows.length);
    const bands = new Set(rows.map((r) => r.split(",")[2]));
    for (const band of bands) assert.match(band!, /^(\d+-\d+|90\+)$/);
    assert.ok(bands.has("80-84") && bands.has("0-4"));
    const groups = new Map<string, number>();
    for (const r of rows) {
      const v = r.split(",");
      const key = [v[1], v[2], v[5], v[6], v[7]].join();
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    assert.equal(Math.min(...groups.values()), 5, "every group kept has at least 5 rows");
  },
);
