/**
 * Admissions in and out in the browser, as the records' are: `/patients/admissions/import` checks
 * a file (every bad row by line, nothing stored) or imports it, with or without htmx; the patients
 * page links it and offers the admissions' export, plain to an editor and de-identified to a
 * viewer too; a viewer may not import (403) and a non-member sees nothing (404). The codebook
 * lists an admission's fields from their rules table, as a page section, JSON and CSV.
 */
import assert from "node:assert/strict";
import { ADMISSION_FIELDS } from "../lib/stroke/admission_fields.ts";
import { anonymousApi, apiTest, type ApiUser, samplePatient } from "./helpers/api.ts";
import { parseDom } from "./helpers/html.ts";
import { addMember, newMember, teamRegistry } from "./helpers/registries.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const PAGE = "/patients/admissions/import";
const FILE = [
  "patient_id,stroke_type,arrival_at,nihss_arrival",
  "1,ischaemic,2025-01-05T10:00:00Z,4",
  "1,TIA,2025-01-06T10:00,",
  "2,mimic,2025-01-07T10:00:00Z,99",
  "77,TIA,2025-01-08T10:00:00Z,",
].join("\r\n");

/** Sends `text` through the page's form, as a browser does (htmx adds its header). */
function send(
  browser: TestBrowser,
  text: string,
  { dryRun = true, htmx = false, path = PAGE } = {},
) {
  const form = new FormData();
  form.set("_csrf", browser.csrf);
  form.set("on_conflict", "skip");
  form.set("dry_run", String(dryRun));
  form.set("file", new File([text], "admissions.csv", { type: "text/csv" }));
  const headers: Record<string, string> = htmx ? { "HX-Request": "true" } : {};
  return browser.request(path, { method: "POST", body: form, headers });
}

async function patients(user: ApiUser, query = "") {
  for (const id of [1, 2]) {
    const res = await user.api("POST", `/api/patient_data${query}`, samplePatient({ id }));
    assert.equal(res.status, 201, res.text);
  }
}

apiTest(
  "the import page checks a file (every bad row by line, nothing stored), then imports it",
  async ({ user, browser }) => {
    await patients(user);
    const page = await browser();
    const list = parseDom(await (await page.get("/patients")).text());
    assert.ok(list.find(`a[href="${PAGE}"]`), "the patients page links the admissions' import");
    const form = parseDom(await (await page.get(PAGE)).text());
    assert.equal(form.get("form[enctype='multipart/form-data']").getAttribute("action"), PAGE);
    assert.ok(form.find('a[href="/api/admissions/import/template"]'));
    assert.match(form.text(".lead"), /read on the clock of UTC/);

    const checked = await send(page, FILE);
    assert.equal(checked.status, 200);
    const report = parseDom(await checked.text());
    assert.match(
      report.text("#admission-import-result [role=status]"),
      /Checked 4 rows: 2 admissions would be added, 0 would be changed, 0 skipped .*, 2 rows with problems\.\s*Nothing was stored\./,
    );
    const problems = report.all("table.problems tbody tr").map((tr) =>
      [...tr.children].slice(0, 3).map((td) => td.textContent?.trim())
    );
    assert.deepEqual(problems, [["4", "nihss_arrival", "99"], ["5", "patient_id", "77"]]);
    assert.deepEqual((await user.api("GET", "/api/patient_data/1/admissions")).body, []);

    // Under htmx the report alone comes back, and the import stores the good rows.
    const imported = await send(page, FILE, { dryRun: false, htmx: true });
    assert.equal(imported.status, 200);
    const fragment = await imported.text();
    assert.ok(!fragment.includes("<html"), "a fragment, not a page");
    assert.match(
      parseDom(fragment).text("[role=status]"),
      /Imported 4 rows: 2 admissions added, 0 changed/,
    );
    const stored = await user.api("GET", "/api/patient_data/1/admissions");
    assert.deepEqual(stored.body.map((a: { stroke_type: string }) => a.stroke_type), [
      "ischaemic",
      "TIA",
    ]);
    // A time without an offset was read on the user's clock (UTC here).
    assert.equal(stored.body[1].arrival_at, "2025-01-06T10:00:00+00:00");

    // A file that is not an admissions file is refused whole, said in words.
    const wrong = await send(page, "id,gender,age\r\n1,Male,3\r\n");
    assert.equal(wrong.status, 422);
    assert.match(
      parseDom(await wrong.text()).text("#admission-import-result [role=alert]"),
      /The header row is not an admissions file's/,
    );
    const empty = await send(page, "");
    assert.equal(empty.status, 422);
  },
);

apiTest(
  "a viewer gets the de-identified admissions export only, and may not import; an outsider sees nothing",
  async ({ app, user }) => {
    const rid = await teamRegistry(user);
    const query = `?registry=${rid}`;
    await patients(user, query);
    const editor = await newMember(app, "editor@example.org");
    const viewer = await newMember(app, "viewer@example.org");
    const outsider = await newMember(app, "outsider@example.org");
    await addMember(user, rid, editor.user.email, "editor");
    await addMember(user, rid, viewer.user.email, "viewer");

    // The list, and its Export panel's forms as the panel fetches them when it first opens.
    const panel = async (member: { browser: TestBrowser }) => ({
      list: parseDom(await (await member.browser.get(`/patients${query}`)).text()),
      exports: parseDom(
        await (await member.browser.get(`/patients/export${query}`, {
          "HX-Request": "true",
          "HX-Current-URL": `http://127.0.0.1:5000/patients${query}`,
        })).text(),
      ),
    });
    const editorsPage = await panel(editor);
    const plain = `/api/admissions/export${query}`;
    assert.ok(editorsPage.list.find(`a[href="${plain}"]`), "an editor gets the plain export");
    assert.ok(editorsPage.list.find(`a[href="${PAGE}${query}"]`), "and the import");
    const viewersPage = await panel(viewer);
    assert.equal(viewersPage.list.find(`a[href="${plain}"]`), null);
    assert.equal(viewersPage.exports.find(`a[href="${plain}"]`), null);
    assert.equal(viewersPage.list.find(`a[href="${PAGE}${query}"]`), null);
    const form = viewersPage.exports.get("form[action^='/api/admissions/export']");
    const fields = Object.fromEntries(
      [...form.querySelectorAll("input[name]")].map((i) => [
        i.getAttribute("name"),
        i.getAttribute("value"),
      ]),
    );
    assert.deepEqual(fields, { registry: rid, deidentify: "true", coarsen: "true", k_min: "5" });
    // What the form sends is what the export takes.
    const download = await viewer.browser.get(
      `/api/admissions/export?registry=${rid}&deidentify=true&coarsen=true&k_min=5`,
    );
    assert.equal(download.status, 200);
    await download.body?.cancel();

    assert.equal((await viewer.browser.get(`${PAGE}${query}`)).status, 403);
    const refused = await send(viewer.browser, FILE, { path: `${PAGE}${query}` });
    assert.equal(refused.status, 403);
    assert.equal((await outsider.browser.get(`${PAGE}${query}`)).status, 404);
    assert.equal((await send(outsider.browser, FILE, { path: `${PAGE}${query}` })).status, 404);
    const done = await send(editor.browser, FILE, { dryRun: false, path: `${PAGE}${query}` });
    assert.equal(done.status, 200);
    const team = await user.api("GET", `/api/patient_data/1/admissions${query}`);
    assert.equal(team.body.length, 2);
  },
);

apiTest(
  "the list's export offers the admissions of its view: the link and the de-identified form carry its filters",
  async ({ user, browser: logIn }) => {
    await patients(user);
    const browser = await logIn();
    const list = parseDom(await (await browser.get("/patients?gender=Male&sort=-age")).text());
    // Admissions have no order of the list's: the filters go, the sort does not.
    const plain = list.get("a[href^='/api/admissions/export']");
    assert.equal(plain.getAttribute("href"), "/api/admissions/export?gender=Male");
    assert.equal(plain.textContent, "admissions CSV");
    const sent = list.all("input[form='export-admissions-form']").map((input) => [
      input.getAttribute("name"),
      input.getAttribute("value"),
    ]);
    assert.deepEqual(sent, [["gender", "Male"]]);
    const panel = parseDom(
      await (await browser.get("/patients/export?gender=Male", { "HX-Request": "true" })).text(),
    );
    assert.ok(panel.find("form#export-admissions-form[action='/api/admissions/export']"));
    assert.match(panel.text("form#export-admissions-form"), /this view's patients/);
    // What the link and the form send is what the export takes.
    const file = await browser.get("/api/admissions/export?gender=Male&deidentify=true");
    assert.equal(file.status, 200);
    await file.body?.cancel();
  },
);

apiTest("the codebook lists an admission's fields: page, JSON and CSV", async ({ app }) => {
  const anon = anonymousApi(app);
  const json = await anon("GET", "/api/codebook?of=admissions");
  assert.equal(json.status, 200, json.text);
  assert.deepEqual(json.body.map((e: { field: string }) => e.field), [...ADMISSION_FIELDS]);
  const nihss = json.body.find((e: { field: string }) => e.field === "nihss_arrival");
  assert.deepEqual([nihss.type, nihss.min, nihss.max, nihss.nullable], ["integer", 0, 42, true]);
  const csv = await anon("GET", "/api/codebook?of=admissions&format=csv");
  assert.equal(csv.status, 200);
  const lines = csv.text.trimEnd().split("\r\n");
  assert.equal(lines[0], "field,label,type,allowed,min,max,unit,nullable,description");
  assert.deepEqual(lines.slice(1).map((l) => l.split(",")[0]), [...ADMISSION_FIELDS]);
  assert.match(lines.find((l) => l.startsWith("arrival_at,"))!, /^arrival_at,Arrival,date-time,/);
  assert.equal((await anon("GET", "/api/codebook?of=beds")).status, 400);
  // The template the page links needs no login either: it holds columns, not records.
  const template = await anon("GET", "/api/admissions/import/template");
  assert.equal(template.status, 200);
  assert.equal(template.text.split(",")[0], "patient_id");
  // The records' codebook is as it was.
  assert.equal((await anon("GET", "/api/codebook")).body[0].field, "id");

  const page = parseDom(await (await app.request("/codebook")).text());
  assert.equal(page.all("table.codebook-admissions tbody tr").length, ADMISSION_FIELDS.length);
  assert.match(page.text("#admission-field-stroke_type"), /ischaemic.*haemorrhagic.*TIA.*mimic/);
  assert.match(page.text("#admission-field-arrival_at"), /required/);
  assert.match(page.text("#admission-field-imaging_at"), /an empty cell/);
  assert.ok(page.find('a[href="/api/admissions/import/template"]'));
});
