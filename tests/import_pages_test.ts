/**
 * `/patients/import` without JavaScript and through htmx: upload, a preview that stores nothing
 * and lists every problem by line, the import itself with its progress, the report, the problems
 * as CSV — one user's upload invisible to another.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/csv_writer.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { FIRST_ROW, PASSWORD } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { testWithAnn } from "./helpers/patients_pages.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const HEADER = csvLine(PATIENT_FIELDS);
const row = (id: number, age = String(FIRST_ROW.age)) =>
  csvLine(
    PATIENT_FIELDS.map((f) => f === "id" ? String(id) : f === "age" ? age : String(FIRST_ROW[f])),
  );
const AGE_MESSAGE =
  "Age must be a number above 0 and at most 120 years (fractions for infants: 0.08 is one month)";
/** Two new rows, one already Ann's (id 1), one bad age on line 5. */
const FILE = HEADER + row(1) + row(2) + row(3) + row(4, "forty");

/** Uploads a file through the form, as a browser sends it. */
function upload(
  ann: TestBrowser,
  text: string | Uint8Array<ArrayBuffer>,
  onConflict = "skip",
  name = "ward.csv",
) {
  const form = new FormData();
  form.set("_csrf", ann.csrf);
  form.set("on_conflict", onConflict);
  form.set("file", new File([text], name, { type: "text/csv" }));
  return ann.request("/patients/import", { method: "POST", body: form });
}

testWithAnn(
  "without JavaScript, a preview stores nothing and lists each problem; the import then reports",
  (app) => app.stores.patients.create(1, { ...FIRST_ROW, id: 1 }),
  async (app, ann) => {
    const page = parseDom(await (await ann.get("/patients")).text());
    assert.ok(page.find('a[href="/patients/import"]'), "the patients page links the import");
    await ann.get("/patients/import");
    const sent = await upload(ann, FILE);
    assert.equal(sent.status, 303);
    const previewUrl = sent.headers.get("Location")!;
    assert.match(previewUrl, /^\/patients\/import\/[0-9a-f-]{36}$/);
    const preview = parseDom(await (await ann.get(previewUrl)).text());
    assert.equal(preview.text("h1"), "Check before importing");
    assert.deepEqual(
      preview.all("ul.counts li").map((li) => li.textContent?.trim().split(" ")[0]),
      [
        "2",
        "0",
        "1",
        "1",
      ],
    );
    assert.deepEqual(
      preview.all("table.problems tbody td").map((td) => td.textContent?.trim()),
      ["5", "age", "forty", AGE_MESSAGE],
    );
    assert.equal(preview.text("#import-run button"), "Import 2 rows");
    assert.equal(await app.stores.patients.count(1), 1, "nothing stored by the preview");

    const problems = await ann.get(`${previewUrl}/problems.csv`);
    assert.match(problems.headers.get("Content-Disposition")!, /ward-problems\.csv/);
    assert.equal(
      await problems.text(),
      `line,field,value,message\r\n5,age,forty,${AGE_MESSAGE}\r\n`,
    );

    const rerun = await ann.postForm(`${previewUrl}/preview`, { on_conflict: "update" });
    assert.equal(rerun.status, 303);
    const updated = parseDom(await (await ann.get(previewUrl)).text());
    assert.equal(updated.text("#import-run button"), "Import 2 rows", "row 1 is the same: skipped");
    assert.equal(updated.get('input[value="update"]').hasAttribute("checked"), true);

    const run = await ann.postForm(`${previewUrl}/run`, {});
    assert.equal(run.status, 303);
    const report = parseDom(await (await ann.get(previewUrl)).text());
    assert.match(report.text(".import-report .alert"), /Import finished\. ward\.csv: 4 rows read/);
    assert.equal(await app.stores.patients.count(1), 3);
    assert.equal((await ann.postForm(`${previewUrl}/run`, {})).status, 303, "a second click");
    assert.equal(await app.stores.patients.count(1), 3, "imports the file once");

    const other = new TestBrowser(app);
    await other.register("Bo", "bo@example.org", PASSWORD);
    assert.equal((await other.get(previewUrl)).status, 404, "another user's upload is not there");
  },
);

testWithAnn(
  "with htmx, the import runs in the background and the page polls until the report",
  () => Promise.resolve(),
  async (app, ann) => {
    await ann.get("/patients/import");
    const previewUrl = (await upload(ann, FILE)).headers.get("Location")!;
    await ann.get(previewUrl);
    const hx = { "HX-Request": "true", "X-CSRF-Token": ann.csrf };
    const started = await ann.postForm(`${previewUrl}/run`, {}, hx);
    const fragment = parseDom(await started.text());
    const polling = fragment.find("#import-progress") ?? fragment.find(".import-report");
    assert.ok(polling, "a progress bar (or, when already done, the report)");
    let report = null;
    for (let i = 0; i < 100 && !report; i++) {
      const answer = parseDom(await (await ann.get(`${previewUrl}/progress`, hx)).text());
      report = answer.find(".import-report");
      if (!report) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(report, "the report arrives");
    assert.equal(await app.stores.patients.count(1), 3);
  },
);

testWithAnn(
  "a file that is not the dataset's table is refused at the upload, saying why",
  () => Promise.resolve(),
  async (_app, ann) => {
    await ann.get("/patients/import");
    for (
      const [text, message] of [
        ["name,age\nAnn,4\n", /the column "name" is not a field/],
        ["", /Choose a CSV file/],
        [
          new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 6, 0, 8, 0]),
          /^This is an Excel workbook \(or not a text file\); save it as CSV/,
        ],
      ] as const
    ) {
      const res = await upload(ann, text);
      assert.equal(res.status, 422);
      const dom = parseDom(await res.text());
      assert.match(dom.text(".alert-error"), message);
      assert.equal(dom.get("#import-file").getAttribute("aria-invalid"), "true");
    }
  },
);

testWithAnn(
  "a fourth upload replaces the oldest waiting one, whose page then says why it is gone",
  () => Promise.resolve(),
  async (_app, ann) => {
    await ann.get("/patients/import");
    const urls: string[] = [];
    for (let i = 0; i < 4; i++) {
      urls.push((await upload(ann, FILE)).headers.get("Location")!);
      await new Promise((r) => setTimeout(r, 5));
    }
    const gone = await ann.get(urls[0]!);
    assert.equal(gone.status, 404);
    assert.match(parseDom(await gone.text()).text("main"), /replaced by newer uploads \(3 wait/);
    for (const url of urls.slice(1)) assert.equal((await ann.get(url)).status, 200);
  },
);

testWithAnn(
  "a file of mostly bad rows is checked only until it stops, and the page offers no import",
  () => Promise.resolve(),
  async (app, ann) => {
    await ann.get("/patients/import");
    const url = (await upload(ann, HEADER + row(1) + "x\r\n".repeat(5000))).headers
      .get("Location")!;
    const page = parseDom(await (await ann.get(url)).text());
    assert.match(page.text(".alert-error"), /^The import stopped at line 1,003: 1,001 of the/);
    assert.equal(page.find("#import-run"), null, "no Import button");
    assert.equal(page.all("table.problems tbody tr").length, 1000);
    assert.match(page.text("#problems-heading ~ p.muted"), /^And 1 more problem, not listed/);
    assert.equal((await ann.postForm(`${url}/run`, {})).status, 303);
    assert.equal(
      (await app.stores.accounts.run((db) =>
        db.selectFrom("imports").select("status").executeTakeFirstOrThrow()
      )).status,
      "previewed",
      "a sent Import does not run it either",
    );
    assert.equal(await app.stores.patients.count(1), 0, "nothing imported");
  },
);
