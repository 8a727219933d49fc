/**
 * The import template, the codebook (JSON, CSV, page) and the data area's OpenAPI operations: all
 * generated from the one field-rules table, and every documented response given.
 */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { appCodeSystems, mappingRows } from "../lib/fhir/codebook.ts";
import { FIELD_RULES, PATIENT_FIELDS, ruleOf } from "../lib/patient_fields.ts";
import { anonymousApi, apiTest, responsesNotGiven } from "./helpers/api.ts";
import { createTestApp } from "./helpers/app.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { whileExporting } from "./helpers/heavy_load.ts";

const P = "/api/patient_data";

apiTest(
  "the template is the dataset's header, and the codebook says what each column holds",
  async ({ app }) => {
    const anon = anonymousApi(app);
    const template = await anon("GET", `${P}/import/template`);
    assert.equal(template.text, `${PATIENT_FIELDS.join(",")}\r\n`);
    assert.match(template.headers.get("Content-Disposition")!, /patients-template\.csv/);

    const book = await anon("GET", "/api/codebook");
    assert.deepEqual(book.body.map((e: { field: string }) => e.field), [...PATIENT_FIELDS]);
    for (const entry of book.body) {
      const rule = ruleOf(entry.field);
      assert.equal(entry.label, rule.label);
      if (rule.kind === "category") {
        assert.deepEqual(entry.allowed.map((a: { value: unknown }) => a.value), [...rule.values]);
      } else {
        assert.deepEqual([entry.min, entry.max], [rule.min, rule.max], entry.field);
        assert.equal(entry.type, rule.integer ? "integer" : "number");
      }
    }
    const byField = new Map<string, { allowed?: unknown }>(
      book.body.map((e: { field: string }) => [e.field, e]),
    );
    assert.deepEqual(byField.get("bmi"), {
      field: "bmi",
      label: "BMI",
      description: FIELD_RULES.bmi.description,
      type: "number",
      min: 5,
      max: 150,
      unit: "kg/m²",
      missing: "N/A",
    });
    assert.deepEqual(byField.get("hypertension")?.allowed, [
      { value: 0, label: "No" },
      { value: 1, label: "Yes" },
    ]);

    const csv = await anon("GET", "/api/codebook?format=csv");
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => r.field), [...PATIENT_FIELDS]);
    assert.equal(rows.find((r) => r.field === "age")!.min, ">0");
    assert.equal(
      rows.find((r) => r.field === "gender")!.allowed,
      "Male=Male; Female=Female; Other=Other",
    );
    assert.equal((await anon("GET", "/api/codebook?format=xml")).status, 400);
  },
);

Deno.test("the codebook page lists every field with its allowed values and missing code", async () => {
  const app = await createTestApp();
  try {
    const dom = parseDom(await (await app.request("/codebook")).text());
    assert.equal(dom.all("table.codebook tbody tr").length, PATIENT_FIELDS.length);
    assert.match(dom.text("#field-age"), /above 0 and at most 120 years/);
    assert.match(dom.text("#field-bmi"), /N\/A/);
    assert.match(dom.text("#field-work_type"), /Never_worked Never worked/);
  } finally {
    await app.close();
  }
});

apiTest(
  "the data endpoints give every documented response",
  async ({ app, user, newUser, browser, sessionApi }) => {
    const anon = anonymousApi(app);
    const session = sessionApi(await browser());
    const line = PATIENT_FIELDS.map((f) => FIRST_ROW[f] ?? "N/A").join(",");
    const file = `${PATIENT_FIELDS.join(",")}\n${line}\n`;
    const csv = { "Content-Type": "text/csv" };
    await anon("GET", `${P}/import/template`);
    await anon("GET", "/api/codebook");
    await anon("GET", "/api/codebook?format=bad");
    await anon("POST", `${P}/import`, file, csv);
    await session("POST", `${P}/import`, file, csv);
    await user.api("POST", `${P}/import?dry_run=true`, file, csv);
    await user.api("POST", `${P}/import`, "id\n1\n", csv);
    await user.api("POST", `${P}/import`, "x".repeat(300 * 1024 * 80), csv);
    await user.api("GET", `${P}/export?format=json`);
    await user.api("GET", `${P}/export?deidentify=true&format=json`);
    await user.api("GET", `${P}/export?page=1`);
    await anon("GET", `${P}/export`);
    await session("GET", `${P}/export`, undefined, { "Sec-Fetch-Site": "cross-site" });
    // While the user's export runs, another export or an import is refused (429).
    await whileExporting(app, user.token, () =>
      Promise.all([
        user.api("GET", `${P}/export?format=json`),
        user.api("POST", `${P}/import?dry_run=true`, file, csv),
      ]));
    // In a registry the user is not a member of (404), and as a viewer of one (403).
    for (const query of ["registry=tnosuchregistryhere"]) {
      await user.api("POST", `${P}/import?dry_run=true&${query}`, file, csv);
      await user.api("GET", `${P}/export?format=json&${query}`);
    }
    const team = await user.api("POST", "/api/registries", { name: "Team" });
    const viewer = await newUser();
    await user.api("POST", `/api/registries/${team.body.id}/members`, {
      email: viewer.email,
      role: "viewer",
    });
    const inTeam = `registry=${team.body.id}`;
    await viewer.api("POST", `${P}/import?dry_run=true&${inTeam}`, file, csv);
    await viewer.api("GET", `${P}/export?format=json&${inTeam}`);
    assert.equal((await viewer.api("GET", `${P}/export?deidentify=true&${inTeam}`)).status, 200);
    assert.deepEqual(responsesNotGiven(["data"]), []);
  },
);

Deno.test("the codebook shows each field's FHIR element and codes, as a page section and as JSON", async () => {
  const app = await createTestApp();
  try {
    const dom = parseDom(await (await app.request("/codebook")).text());
    const rows = mappingRows();
    assert.equal(dom.all("table.fhir-mapping tbody tr").length, rows.length);
    assert.match(dom.text("#fhir-record-bmi"), /Observation\.code, valueQuantity/);
    assert.match(dom.text("#fhir-record-bmi"), /LOINC 39156-5 Body mass index/);
    assert.match(dom.text("#fhir-record-stroke"), /ICD-10 I64/);
    assert.match(dom.text("#fhir-admission-nihss_arrival"), /LOINC 72089-6/);
    assert.match(dom.text("#fhir-admission-imaging_at"), /not written/);
    assert.match(dom.text("#fhir"), /urn:uuid:/, "the app's own code systems are listed");

    const json = await app.request("/codebook/fhir.json");
    assert.equal(json.status, 200);
    const book = await json.json();
    assert.deepEqual(book.mapping, JSON.parse(JSON.stringify(rows)));
    assert.deepEqual(
      book.code_systems.map((s: { url: string }) => s.url),
      appCodeSystems().map((s) => s.url),
    );
  } finally {
    await app.close();
  }
});
