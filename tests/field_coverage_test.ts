/**
 * Every field of the rules table (`FIELD_RULES` in lib/patient_fields.ts) reaches what is built
 * from it: the add and edit forms, the table's columns, the CSV and JSON exports, the import
 * template, the codebook (JSON, CSV and page) and the OpenAPI document. A field added to the table
 * that one of them leaves out fails here, by name.
 */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { FIELD_RULES, type PatientField } from "../lib/patient_fields.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { type DomElement, parseDom } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { formFields, htmxHeaders } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The fields as the rules table lists them. */
const FIELDS = Object.keys(FIELD_RULES) as PatientField[];
/** Every field but the id, which is fixed once a record exists. */
const CHANGEABLE = FIELDS.filter((field) => field !== "id");
/** The record every test stores: the dataset's first row, with an unknown BMI. */
const RECORD = { ...FIRST_ROW, bmi: null };

/** How the dataset's CSV writes a value: an unknown one as the rule's missing code. */
function csvText(field: PatientField): string {
  const value = RECORD[field];
  const rule = FIELD_RULES[field];
  return value === null ? ("missing" in rule ? rule.missing : "") : String(value);
}

/** The value a form's control for `field` holds: its input's value or its selected option. */
function controlValue(form: DomElement, field: PatientField): string | null | undefined {
  const control = form.querySelector(`[name="${field}"]`);
  if (!control) return undefined;
  if (control.localName !== "select") return control.getAttribute("value");
  return control.querySelector("option[selected]")?.getAttribute("value");
}

/** One app on the embedded stores, with Ann logged in and owning `RECORD`. */
async function withRecord(body: (app: TestApp, ann: TestBrowser) => Promise<void>) {
  const app = await createTestApp();
  try {
    const ann = await loggedInBrowser(app);
    const added = await ann.postForm("/patients", formFields(RECORD));
    assert.equal(added.status, 303, "the add form stores the record");
    await body(app, ann);
  } finally {
    await app.close();
  }
}

Deno.test("the add form, the edit page, the inline edit row and the table hold every field", () =>
  withRecord(async (_app, ann) => {
    const list = parseDom(await (await ann.get("/patients")).text());
    // The add form: the one the list's folded panel fetches, and its page without JavaScript.
    const fetched = parseDom(await (await ann.get("/patients/new", htmxHeaders(ann, ""))).text());
    const addPage = parseDom(await (await ann.get("/patients/new")).text());
    for (const add of [fetched.get("form#add-patient"), addPage.get('main form[method="post"]')]) {
      for (const field of FIELDS) {
        assert.ok(add.querySelector(`[name="${field}"]`), `add form: a control for ${field}`);
      }
    }
    for (const field of FIELDS) {
      assert.ok(list.find(`thead a#sort-${field}`), `table: a sortable column for ${field}`);
    }
    const cells = list.all(`#patient-${RECORD.id} > th, #patient-${RECORD.id} > td`);
    assert.equal(cells.length, FIELDS.length + 1, "table: a cell per field, then the actions");

    const edit = `/patients/${RECORD.id}/edit`;
    const page = parseDom(await (await ann.get(edit)).text());
    const row = parseDom(
      await (await ann.get(edit, htmxHeaders(ann, `patient-${RECORD.id}`))).text(),
    );
    const forms = {
      "edit page": page.get(`form[action^="/patients/${RECORD.id}"]`),
      "inline edit row": row.get("form.edit-panel"),
    };
    for (const [name, form] of Object.entries(forms)) {
      for (const field of CHANGEABLE) {
        const stored = RECORD[field] === null ? "" : String(RECORD[field]);
        assert.equal(controlValue(form, field), stored, `${name}: ${field}`);
      }
    }
  }));

Deno.test("the CSV and JSON exports and the import template carry every field", () =>
  withRecord(async (app, ann) => {
    const csv = await (await ann.get("/api/patient_data/export?format=csv")).text();
    const [header, ...rows] = parse(csv) as string[][];
    assert.deepEqual(header, FIELDS, "the export's header is the rules table's fields");
    assert.deepEqual(rows, [FIELDS.map(csvText)], "the row writes each field's value");

    const json = await (await ann.get("/api/patient_data/export?format=json")).json();
    for (const field of FIELDS) assert.equal(json[0][field], RECORD[field], `JSON: ${field}`);

    const anonymous = await (await ann.get("/api/patient_data/export?deidentify=true")).text();
    const [deidentified] = parse(anonymous) as string[][];
    assert.deepEqual(deidentified, ["pseudo_id", ...CHANGEABLE], "de-identified: all but the id");

    const template = await (await app.request("/api/patient_data/import/template")).text();
    assert.deepEqual(parse(template), [FIELDS], "the import template's header");
  }));

Deno.test("the codebook (JSON, CSV and page) describes every field", async () => {
  const app = await createTestApp();
  try {
    const book: Json[] = await (await app.request("/api/codebook")).json();
    assert.deepEqual(book.map((entry) => entry.field), FIELDS, "JSON: a row per field, in order");
    for (const entry of book) {
      assert.equal(entry.label, FIELD_RULES[entry.field as PatientField].label, entry.field);
    }
    const csv = await (await app.request("/api/codebook?format=csv")).text();
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((row) => row.field), FIELDS, "CSV: a row per field, in order");
    const page = parseDom(await (await app.request("/codebook")).text());
    for (const field of FIELDS) {
      assert.match(page.text(`#field-${field}`), new RegExp(FIELD_RULES[field].label), field);
    }
  } finally {
    await app.close();
  }
});

Deno.test("the OpenAPI document has every field in each record schema, the sort and the filters", async () => {
  const app = await createTestApp();
  try {
    const doc: Json = await (await app.request("/api/openapi.json")).json();
    const schemas = doc.components.schemas;
    const list = doc.paths["/api/patient_data"].get;
    const sort = list.parameters.find((p: Json) => p.name === "sort").schema.enum as string[];
    const filters = new Set(list.parameters.map((p: Json) => p.name));
    for (const field of FIELDS) {
      for (const name of ["Patient", "NewPatient", "PatientReplacement"]) {
        assert.ok(field in schemas[name].properties, `${name}: ${field}`);
      }
      const changeable = field !== "id";
      for (const name of ["PatientChanges", "DeidentifiedPatient"]) {
        assert.equal(field in schemas[name].properties, changeable, `${name}: ${field}`);
      }
      assert.ok(sort.includes(field) && sort.includes(`-${field}`), `sort: ${field}`);
      if (FIELD_RULES[field].kind === "category") assert.ok(filters.has(field), `filter: ${field}`);
    }
  } finally {
    await app.close();
  }
});
