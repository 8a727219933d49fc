/**
 * Statistics, quality and the risk model on the real 5,110-record dataset, on every patient
 * backend: each count equals one made independently here from the CSV's text.
 */
import assert from "node:assert/strict";
import { withApiApp } from "./helpers/api.ts";
import { patientBackends } from "./helpers/backends.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";

const NO_DATA = skipWithoutData(DATASET);
const P = "/api/patient_data";

type Row = Record<string, string>;

/** The CSV's rows with their values trimmed (the file's last line ends in a stray newline). */
function csvRows(): Row[] {
  return loadDataset()!.rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v.trim()]))
  );
}
type Counts = Record<string, Record<string, { total: number; stroke: number }>>;

/** The bands as the SPEC words them, written out here rather than taken from the app. */
function bandsOf(row: Row): Record<string, string> {
  const age = Number(row.age);
  const glucose = Number(row.avg_glucose_level);
  const bmi = row.bmi === "N/A" ? null : Number(row.bmi);
  return {
    age_band: age < 18
      ? "0-17"
      : age < 40
      ? "18-39"
      : age < 60
      ? "40-59"
      : age < 80
      ? "60-79"
      : "80+",
    glucose_band: glucose < 100 ? "<100" : glucose < 126 ? "100-125" : ">=126",
    bmi_band: bmi === null
      ? "unknown"
      : bmi < 18.5
      ? "<18.5"
      : bmi < 25
      ? "18.5-24.9"
      : bmi < 30
      ? "25-29.9"
      : ">=30",
  };
}

/** The CSV's columns that are codes rather than measurements (the id is neither). */
const NOT_CODES = ["id", "age", "avg_glucose_level", "bmi"];

/** Records and strokes by every field's value among these CSV rows (values never seen absent). */
function countRows(rows: Row[]) {
  const by: Counts = {};
  for (const row of rows) {
    const codes = Object.entries(row).filter(([column]) => !NOT_CODES.includes(column));
    const values = { ...Object.fromEntries(codes), ...bandsOf(row) };
    for (const [field, value] of Object.entries(values)) {
      const tally = (by[field] ??= {})[value] ??= { total: 0, stroke: 0 };
      tally.total++;
      if (row.stroke === "1") tally.stroke++;
    }
  }
  return { total: rows.length, stroke: rows.filter((r) => r.stroke === "1").length, by };
}

/** The API's breakdown without the values that have no records (which the CSV count lacks). */
function seen(by: Counts): Counts {
  return Object.fromEntries(
    Object.entries(by).map((
      [field, values],
    ) => [field, Object.fromEntries(Object.entries(values).filter(([, t]) => t.total > 0))]),
  );
}

/** Calls the API and prints how long the answer took. */
async function timed<T>(what: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  console.log(`${what} on 5,110 records: ${(performance.now() - started).toFixed(0)} ms`);
  return result;
}

function assertClose(actual: number, expected: number, tolerance: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);
}

/** Every number anywhere in a JSON value. */
function numbersIn(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(numbersIn);
  return [];
}

for (const backend of patientBackends()) {
  Deno.test({
    name: `[${backend.name}] statistics, quality and risk of the dataset match counts made from ` +
      "the CSV (skipped without the shared data)",
    ignore: NO_DATA,
    fn: () =>
      withApiApp(backend, async ({ patients, user }) => {
        const rows = csvRows();
        await patients.insertMany(user.id, loadDataset()!.patients);
        const expected = countRows(rows);

        const all = await timed(
          `[${backend.name}] GET /stats`,
          () => user.api("GET", `${P}/stats?compare=reference`),
        );
        assert.equal(all.status, 200, all.text);
        assert.equal(all.body.total, 5110);
        assert.equal(all.body.stroke, 249);
        assert.deepEqual(seen(all.body.by), expected.by);
        assert.deepEqual(Object.keys(all.body.by.age_band), [
          "0-17",
          "18-39",
          "40-59",
          "60-79",
          "80+",
        ]);

        // The reference is the whole published dataset, whatever the filters.
        const { source, ...reference } = all.body.reference;
        assert.deepEqual(reference, { total: 5110, stroke: 249, by: all.body.by });
        assert.equal(source.file, DATASET);
        assert.equal(source.records, 5110);
        assert.equal(source.generated_by, "scripts/reference_stats.ts");

        const query = "gender=Female&hypertension=0&age_min=45.5&age_max=80";
        const filtered = await user.api("GET", `${P}/stats?${query}&compare=reference`);
        const subset = rows.filter((r) =>
          r.gender === "Female" && r.hypertension === "0" && Number(r.age) >= 45.5 &&
          Number(r.age) <= 80
        );
        const expectedSubset = countRows(subset);
        assert.equal(filtered.body.total, expectedSubset.total);
        assert.equal(filtered.body.stroke, expectedSubset.stroke);
        assert.deepEqual(seen(filtered.body.by), expectedSubset.by);
        assert.deepEqual(filtered.body.reference, all.body.reference);
        const list = await user.api("GET", `${P}?${query}&per_page=1`);
        assert.equal(list.body.total, filtered.body.total, "the list's filters, the same records");

        const quality = await timed(
          `[${backend.name}] GET /quality`,
          () => user.api("GET", `${P}/quality`),
        );
        assert.equal(quality.status, 200);
        assert.equal(quality.body.total, 5110);
        assert.deepEqual(quality.body.missing, {
          bmi: rows.filter((r) => r.bmi === "N/A").length,
          smoking_status: rows.filter((r) => r.smoking_status === "Unknown").length,
        });
        assert.deepEqual(quality.body.possible_duplicates, [], "the dataset has no duplicates");
        const heavy = rows.filter((r) => r.bmi !== "N/A" && Number(r.bmi) > 60);
        assert.deepEqual(
          quality.body.check.values.map((v: { id: number }) => v.id),
          heavy.map((r) => Number(r.id)).sort((a, b) => a - b),
        );
        assert.equal(quality.body.check.truncated, false);

        const risk = await timed(
          `[${backend.name}] GET /risk`,
          () => user.api("GET", `${P}/risk`),
        );
        assert.equal(risk.status, 200, risk.text);
        const term = (name: string) =>
          risk.body.terms.find((t: { term: string }) => t.term === name);
        assert.deepEqual([risk.body.n, risk.body.events, risk.body.excluded], [4909, 209, 201]);
        // Reference values of the issue (age about 2 per 10 years) and of R's brglm2 (README).
        assertClose(term("age").odds_ratio, 2.07, 0.15, "age odds ratio per 10 years");
        assertClose(term("hypertension=1").odds_ratio, 1.69, 0.3, "hypertension odds ratio");
        assert.ok(term("hypertension=1").ci_low > 1, "hypertension's interval is above 1");
        assertClose(risk.body.auc.mean, 0.84, 0.03, "cross-validated AUC");
        assert.equal(risk.body.auc.folds.length, 5);
        assert.ok(numbersIn(risk.body).every(Number.isFinite), "every number is finite");
        assert.equal(term("work_type=Never_worked").separated, true);
        assert.ok(risk.body.warnings.some((w: string) => w.includes("work_type=Never_worked")));
        assert.match(risk.body.note, /not a diagnosis/);
      }),
  });
}
