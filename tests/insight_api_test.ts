/**
 * `GET /api/patient_data/stats|quality|risk` on small made-up cohorts, on every patient backend:
 * bands at their edges, owner scope, deletes, a planted duplicate, values to check, too little
 * data for the model, the list's 400 rules, and every documented response.
 */
import assert from "node:assert/strict";
import type { PatientFields } from "../lib/patient_fields.ts";
import { anonymousApi, apiTest, responsesNotGiven, samplePatient } from "./helpers/api.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { whileExporting } from "./helpers/heavy_load.ts";

const P = "/api/patient_data";

/** Records at the bands' edges: each band's lower bound belongs to it. */
const EDGES: Partial<PatientFields>[] = [
  { age: 0.08, avg_glucose_level: 99.99, bmi: 18.49, stroke: 0 },
  { age: 17.99, avg_glucose_level: 100, bmi: 18.5, stroke: 1 },
  { age: 18, avg_glucose_level: 125.99, bmi: 24.99, stroke: 0 },
  { age: 39.99, avg_glucose_level: 126, bmi: 25, stroke: 0 },
  { age: 40, avg_glucose_level: 300.5, bmi: 29.99, stroke: 1 },
  { age: 60, avg_glucose_level: 80, bmi: 30, stroke: 0 },
  { age: 79.99, avg_glucose_level: 80, bmi: 61, stroke: 0 },
  { age: 80, avg_glucose_level: 80, bmi: null, stroke: 1 },
];

apiTest(
  "stats put each edge value in the band it starts, and count in the database every field",
  async ({ user }) => {
    for (const [i, fields] of EDGES.entries()) {
      const created = await user.api("POST", P, samplePatient({ id: i + 1, ...fields }));
      assert.equal(created.status, 201, created.text);
    }
    const res = await user.api("GET", `${P}/stats`);
    assert.equal(res.status, 200);
    const { by } = res.body;
    const totals = (field: string) =>
      Object.fromEntries(
        Object.entries(by[field]).map(([k, v]) => [k, (v as { total: number }).total]),
      );
    assert.deepEqual(totals("age_band"), {
      "0-17": 2,
      "18-39": 2,
      "40-59": 1,
      "60-79": 2,
      "80+": 1,
    });
    assert.deepEqual(totals("glucose_band"), { "<100": 4, "100-125": 2, ">=126": 2 });
    assert.deepEqual(totals("bmi_band"), {
      "<18.5": 1,
      "18.5-24.9": 2,
      "25-29.9": 2,
      ">=30": 2,
      unknown: 1,
    });
    assert.deepEqual(by.age_band["80+"], { total: 1, stroke: 1 });
    assert.deepEqual([res.body.total, res.body.stroke], [8, 3]);
    assert.deepEqual(by.stroke, { "0": { total: 5, stroke: 0 }, "1": { total: 3, stroke: 3 } });
    assert.deepEqual(by.gender, {
      Male: { total: 8, stroke: 3 },
      Female: { total: 0, stroke: 0 },
      Other: { total: 0, stroke: 0 },
    });
    assert.equal(res.body.reference, undefined, "no reference unless asked for");
  },
);

apiTest(
  "stats, quality and risk see only the caller's live records",
  async ({ user, newUser, patients }) => {
    const other = await newUser();
    await patients.insertMany(other.id, samplePatients(30, 1));
    await patients.insertMany(user.id, samplePatients(5, 1));
    assert.equal((await user.api("DELETE", `${P}/1`)).status, 204);
    const stats = await user.api("GET", `${P}/stats`);
    assert.equal(stats.body.total, 4);
    assert.equal((await user.api("GET", `${P}/quality`)).body.total, 4);
    assert.equal((await other.api("GET", `${P}/stats`)).body.total, 30);
    const risk = await user.api("GET", `${P}/risk`);
    assert.equal(risk.status, 422);
    assert.match(risk.body.detail, /these records have 0 stroke events and 3 without/);
  },
);

apiTest(
  "quality counts unknown values and finds a planted duplicate and values to check",
  async ({ user, patients }) => {
    const base = samplePatients(40, 100);
    const twin = { ...base[3]!, id: 7000 };
    const triplet = { ...base[3]!, id: 8000 };
    const nullTwin = { ...base[4]!, id: 7001 }; // bmi null in both: equal all the same
    const odd = { ...base[5]!, id: 9000, avg_glucose_level: 412.5 };
    const nearTwin = { ...base[3]!, id: 7002, age: base[3]!.age + 0.5 };
    await patients.insertMany(user.id, [...base, twin, triplet, nullTwin, odd, nearTwin]);
    await user.api("POST", P, samplePatient({ id: 9001, bmi: 63.2, smoking_status: "Unknown" }));
    const res = await user.api("GET", `${P}/quality`);
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 46);
    assert.deepEqual(res.body.missing, {
      bmi: [...base, nullTwin].filter((p) => p.bmi === null).length,
      smoking_status: 1,
    });
    assert.deepEqual(res.body.possible_duplicates, [[103, 7000, 8000], [104, 7001]]);
    assert.deepEqual(res.body.check.values, [
      { id: 9000, field: "avg_glucose_level", value: 412.5, rule: "avg_glucose_level > 300" },
      { id: 9001, field: "bmi", value: 63.2, rule: "bmi > 60" },
    ]);
    // Within the filters only: the twins with an unknown BMI are older than 41.
    const filtered = await user.api("GET", `${P}/quality?age_max=41&gender=Female`);
    assert.deepEqual(filtered.body.possible_duplicates, [[103, 7000, 8000]]);
  },
);

apiTest(
  "risk answers 422 in plain words when there are too few stroke events",
  async ({ user, patients }) => {
    const few = samplePatients(60, 1).map((p, i) => ({ ...p, stroke: (i < 4 ? 1 : 0) as 0 | 1 }));
    await patients.insertMany(user.id, few);
    const res = await user.api("GET", `${P}/risk`);
    assert.equal(res.status, 422);
    assert.equal(res.headers.get("Content-Type"), "application/problem+json");
    assert.match(res.body.detail, /^At least 10 stroke events and 10 records without a stroke/);
    assert.match(res.body.detail, /3 stroke events and 42 without \(after leaving out 15 records/);
  },
);

apiTest(
  "insight takes the list's filters with its 400 rules, and refuses paging and sorting",
  async ({ user }) => {
    for (
      const [query, fields] of [
        ["gender=male", ["gender"]],
        ["age_min=abc&colour=red", ["age_min", "colour"]],
        ["page=2&per_page=10&sort=age", ["page", "per_page", "sort"]],
        ["compare=dataset", ["compare"]],
        ["compare=reference&compare=reference", ["compare"]],
      ] as const
    ) {
      const res = await user.api("GET", `${P}/stats?${query}`);
      assert.equal(res.status, 400, query);
      assert.deepEqual(
        res.body.errors.map((e: { field: string }) => e.field).sort(),
        [...fields].sort(),
      );
    }
    for (const path of ["quality", "risk"]) {
      assert.equal((await user.api("GET", `${P}/${path}?compare=reference`)).status, 400);
      assert.equal((await user.api("GET", `${P}/${path}?hypertension=2`)).status, 400);
    }
  },
);

apiTest("the app gives every documented insight response", async ({ app, user, patients }) => {
  const anon = anonymousApi(app);
  for (const path of ["stats", "quality", "risk"]) {
    await anon("GET", `${P}/${path}`);
    await user.api("GET", `${P}/${path}?sort=id`);
  }
  await user.api("GET", `${P}/risk`);
  const cohort = samplePatients(200, 1).map((p, i) => ({
    ...p,
    stroke: (i % 7 === 0 || (p.age > 60 && i % 3 === 0) ? 1 : 0) as 0 | 1,
  }));
  await patients.insertMany(user.id, cohort);
  await user.api("GET", `${P}/stats?compare=reference&stroke=1`);
  await user.api("GET", `${P}/quality`);
  const risk = await user.api("GET", `${P}/risk`);
  assert.equal(risk.status, 200, risk.text);
  // While the user's export runs, each of them is refused (429) after a short wait.
  const busy = await whileExporting(
    app,
    user.token,
    () =>
      Promise.all(
        ["stats?age_min=1", "quality?age_min=1", "risk?age_min=1"].map((path) =>
          user.api("GET", `${P}/${path}`)
        ),
      ),
  );
  assert.deepEqual(busy.map((res) => res.status), [429, 429, 429]);
  for (const kind of ["stats", "quality", "risk"]) {
    const elsewhere = await user.api("GET", `${P}/${kind}?registry=tnosuchregistryhere`);
    assert.equal(elsewhere.status, 404, `${kind} in a registry the user is not a member of`);
  }
  assert.deepEqual(responsesNotGiven(["insight"]), [], "documented responses never given");
});
