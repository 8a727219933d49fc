/**
 * The de-identified export says honestly what it protects: with exact glucose and BMI every row
 * can be linked back by someone holding the plain records, so `coarsen=true` bands glucose and
 * rounds BMI and counts both in k. Pseudo ids are opaque strings, never numbers. Measured on the
 * published dataset; the rules on made-up records on every backend.
 */
import assert from "node:assert/strict";
import { ageBand5, glucoseBand, wholeBmi } from "../lib/patient_export.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import { apiTest } from "./helpers/api.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import { parseDom } from "./helpers/html.ts";

const EXPORT = "/api/patient_data/export";
const PSEUDO_ID = /^[A-Z][A-Z2-7]{11}$/;

type Row = Record<string, string>;

/** The CSV export's rows as objects by column name. */
function rowsOf(text: string): Row[] {
  const [header, ...lines] = text.trimEnd().split("\r\n");
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

/** The fields as a de-identified row writes them (all but the pseudo id), coarsened or not. */
function written(p: PatientFields, coarsen: boolean): string {
  return [
    p.gender,
    ageBand5(p.age),
    p.hypertension,
    p.heart_disease,
    p.ever_married,
    p.work_type,
    p.Residence_type,
    coarsen ? glucoseBand(p.avg_glucose_level) : p.avg_glucose_level,
    (coarsen ? wholeBmi(p.bmi) : p.bmi) ?? "N/A",
    p.smoking_status,
    p.stroke,
  ].join(",");
}

/** Rows that match exactly one plain record on everything they show: linked back to an id. */
function linkable(rows: Row[], plain: readonly PatientFields[], coarsen: boolean): number {
  const matches = new Map<string, number>();
  for (const p of plain) {
    const key = written(p, coarsen);
    matches.set(key, (matches.get(key) ?? 0) + 1);
  }
  const shown = (r: Row) =>
    [
      r.gender,
      r.age,
      r.hypertension,
      r.heart_disease,
      r.ever_married,
      r.work_type,
      r.Residence_type,
      r.avg_glucose_level,
      r.bmi,
      r.smoking_status,
      r.stroke,
    ].join(",");
  return rows.filter((r) => matches.get(shown(r)) === 1).length;
}

/** Rows whose quasi-identifiers (the five, and coarsened glucose and BMI) no other row shares. */
function uniqueOn(rows: Row[], fields: readonly string[]): number {
  const groups = new Map<string, number>();
  const key = (r: Row) => fields.map((f) => r[f]).join("|");
  for (const r of rows) groups.set(key(r), (groups.get(key(r)) ?? 0) + 1);
  return rows.filter((r) => groups.get(key(r)) === 1).length;
}

const FIVE = ["gender", "age", "ever_married", "work_type", "Residence_type"];
const SEVEN = [...FIVE, "avg_glucose_level", "bmi"];

apiTest(
  "on the dataset, exact glucose and BMI link every kept row back; coarsened, k counts them",
  async ({ user, patients }) => {
    if (skipWithoutData(DATASET)) return;
    const plain = loadDataset()!.patients;
    await patients.insertMany(user.id, plain);
    const exported = async (query: string) => {
      const res = await user.api("GET", `${EXPORT}?deidentify=true&${query}`);
      assert.equal(res.status, 200, res.text);
      return {
        k: Number(res.headers.get("X-K-Anonymity")),
        suppressed: Number(res.headers.get("X-Suppressed-Rows")),
        rows: rowsOf(res.text),
      };
    };

    const all = await exported("coarsen=false");
    const exact = await exported("k_min=5");
    const coarse = await exported("k_min=5&coarsen=true");
    const coarseAll = await exported("coarsen=true");
    console.log(
      `Dataset, k_min=5: exact k ${exact.k}, ${exact.suppressed} left out, ` +
        `${linkable(exact.rows, plain, false)} of ${exact.rows.length} rows linkable; ` +
        `coarsened k ${coarse.k}, ${coarse.suppressed} left out, ` +
        `${linkable(coarse.rows, plain, true)} of ${coarse.rows.length} rows linkable. ` +
        `Unique on the five quasi-identifiers: ${uniqueOn(all.rows, FIVE)} of 5,110; ` +
        `on them with coarsened glucose and BMI: ${uniqueOn(coarseAll.rows, SEVEN)} of 5,110.`,
    );

    // Exact: k = 5 over the five fields, yet every kept row is one plain record's.
    assert.deepEqual([exact.k, exact.suppressed, exact.rows.length], [5, 301, 4_809]);
    assert.equal(linkable(exact.rows, plain, false), 4_809);
    // Coarsened: glucose and BMI join the groups; far fewer rows remain, none alone in them.
    assert.deepEqual([coarse.k, coarse.suppressed, coarse.rows.length], [5, 4_770, 340]);
    assert.equal(uniqueOn(coarse.rows, SEVEN), 0);
    assert.equal(linkable(coarse.rows, plain, true), 44, "the uncounted fields still tell some");
    assert.equal(uniqueOn(all.rows, FIVE), 52);
    assert.equal(uniqueOn(coarseAll.rows, SEVEN), 2_775);
    assert.equal(coarseAll.k, 1);
  },
);

apiTest(
  "a coarsened export bands glucose and rounds BMI, and its pseudo ids are never numbers",
  async ({ user, patients }) => {
    const records = samplePatients(40, 1).map((p, i) => ({
      ...p,
      avg_glucose_level: [99.99, 100, 125.99, 126][i % 4]!,
      bmi: [null, 24.5, 24.49, 30.2][i % 4]!,
    }));
    await patients.insertMany(user.id, records);
    const res = await user.api("GET", `${EXPORT}?deidentify=true&coarsen=true&format=json`);
    assert.equal(res.status, 200);
    const rows = res.body as Record<string, unknown>[];
    assert.equal(rows.length, 40);
    const pairs = new Set(rows.map((row) => `${row.avg_glucose_level} ${row.bmi}`));
    assert.deepEqual([...pairs].sort(), ["100-125 24", "100-125 25", "<100 null", ">=126 30"]);
    for (const row of rows) {
      assert.match(String(row.pseudo_id), PSEUDO_ID);
      assert.equal(typeof row.pseudo_id, "string");
    }
    const again = await user.api("GET", `${EXPORT}?deidentify=true&coarsen=true&format=json`);
    const first = new Set(rows.map((r) => r.pseudo_id));
    assert.ok(
      (again.body as { pseudo_id: string }[]).every((r) => !first.has(r.pseudo_id)),
      "another export, other pseudo ids",
    );

    for (const query of ["coarsen=true", "deidentify=true&coarsen=yes"]) {
      const refused = await user.api("GET", `${EXPORT}?${query}`);
      assert.equal(refused.status, 400, query);
      assert.deepEqual(refused.body.errors.map((e: { field: string }) => e.field), ["coarsen"]);
    }
  },
);

apiTest(
  "the export panel coarsens by default, says what each choice protects, and checks it",
  async ({ user, patients, browser }) => {
    await patients.insertMany(user.id, samplePatients(12, 1));
    const session = await browser();
    // The panel's de-identified form, as htmx fetches it when the panel first opens, and the
    // page with the same (without JavaScript).
    const list = parseDom(await (await session.get("/patients")).text());
    const fetched = await session.get(list.get("#export [hx-get]").getAttribute("hx-get")!, {
      "HX-Request": "true",
      "HX-Current-URL": "http://127.0.0.1:5000/patients",
    });
    const form = parseDom(await fetched.text());
    assert.equal(form.get("body").children[0]?.localName, "form", "the form alone");
    const page = parseDom(await (await session.get("/patients/export?sort=-age")).text());
    assert.match(page.text("#export-view"), /The 12 patients of this view/);
    assert.deepEqual(
      page.all("#export-view input[form]").map((
        i,
      ) => [i.getAttribute("name"), i.getAttribute("value")]),
      [["sort", "-age"]],
      "the view's fields, sent with the form",
    );
    assert.equal(
      page.find("#export-view input[form]")?.getAttribute("form"),
      page.get("form.deidentify").id,
    );
    assert.equal(form.text("form"), page.text("form.deidentify"));
    const coarsen = page.get('form.deidentify input[name="coarsen"]');
    assert.equal(coarsen.getAttribute("type"), "checkbox");
    assert.ok(coarsen.hasAttribute("checked"), "coarsened unless the user says otherwise");
    const notes = page.text("form.deidentify details.hint");
    assert.match(notes, /Coarsened:.*also knows the patient's glucose and BMI/s);
    assert.match(notes, /Not coarsened:.*can link every row back to its ID/s);
    assert.match(notes, /Never:.*not counted in k/s);

    const check = async (query: string) =>
      parseDom(
        await (await session.get(`/patients/export/anonymity?deidentify=true&${query}`, {
          "HX-Request": "true",
        })).text(),
      ).text("[role=status]");
    assert.match(await check("k_min=1&coarsen=true"), /glucose band and whole-number BMI/);
    assert.match(await check("k_min=2&coarsen=true"), /the export would be empty/);
    assert.match(await check("k_min=1"), /Glucose and BMI are exact: anyone with the plain/);
  },
);
