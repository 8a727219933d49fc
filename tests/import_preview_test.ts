/**
 * The import preview tells the truth: rows that differ from the stored record are never
 * "unchanged", each is shown field by field, the conflict choice on screen is the one that runs
 * (with and without htmx), the report lists the ids given to rows without one, and each record
 * the import changed has the change in its history, naming the file.
 */
import assert from "node:assert/strict";
import type { TestApp } from "./helpers/app.ts";
import { csvRow, HEADER } from "./helpers/csv_files.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { testWithAnn } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

/** Ann has patients 1 and 2 as the dataset's first row. */
async function seed(app: TestApp) {
  await app.stores.patients.create(1, { ...FIRST_ROW, id: 1 });
  await app.stores.patients.create(1, { ...FIRST_ROW, id: 2 });
}

/** 1 the same, 2 with another age and BMI, 3 new, and one without an id. */
const FILE = HEADER + csvRow(1) + csvRow(2, { age: "70", bmi: "N/A" }) + csvRow(3) + csvRow("");

function upload(ann: TestBrowser, text: string, onConflict = "skip", name = "ward.csv") {
  const form = new FormData();
  form.set("_csrf", ann.csrf);
  form.set("on_conflict", onConflict);
  form.set("file", new File([text], name, { type: "text/csv" }));
  return ann.request("/patients/import", { method: "POST", body: form });
}

/** The counts as the page words them, one string each. */
const counts = (page: Dom) => page.all("ul.counts li").map((li) => textOf(li).replace(/\s+/g, " "));

/** The differing fields as `line id field: before → after`. */
const differences = (page: Dom) => {
  let line = "";
  let id = "";
  return page.all("table.differences tbody tr").map((tr) => {
    const cells = [...tr.children].map(textOf);
    line = cells[0] || line;
    id = cells[1] || id;
    return `${line} ${id} ${cells[2]}: ${cells[3]} → ${cells[4]}`;
  });
};

testWithAnn(
  "a row that differs is never called unchanged: the preview shows each differing field, old and new",
  seed,
  async (_app, ann) => {
    await ann.get("/patients/import");
    const url = (await upload(ann, FILE)).headers.get("Location")!;
    const skip = parseDom(await (await ann.get(url)).text());
    assert.deepEqual(counts(skip), [
      "2 would be added",
      "1 would be skipped because they differ from your records",
      "1 would be skipped (already in your records, unchanged)",
      "0 with problems, would not be imported",
    ]);
    assert.deepEqual(differences(skip), ["3 2 Age: 67 → 70", "3 2 BMI: 36.6 → N/A"]);
    assert.match(skip.text("#differences-heading"), /1 row differ/);
    assert.match(textOf(skip.get("#differences-heading").closest("section")), /would be skipped/);

    const rechecked = await ann.postForm(`${url}/preview`, { on_conflict: "update" });
    assert.equal(rechecked.status, 303);
    const update = parseDom(await (await ann.get(url)).text());
    assert.deepEqual(counts(update), [
      "2 would be added",
      "1 would be updated (they differ from your records)",
      "1 would be skipped (already in your records, unchanged)",
      "0 with problems, would not be imported",
    ]);
    assert.equal(update.text("#import-run button"), "Import 3 rows");
  },
);

testWithAnn(
  "without JavaScript, Import with another choice than the one checked shows the new preview and imports nothing",
  seed,
  async (app, ann) => {
    await ann.get("/patients/import");
    const url = (await upload(ann, FILE, "skip")).headers.get("Location")!;
    await ann.get(url);
    // The user picks "replace" and presses Import without checking again.
    const trap = await ann.postForm(`${url}/run`, { on_conflict: "update" });
    assert.equal(trap.status, 200);
    const page = parseDom(await trap.text());
    assert.match(page.text(".alert-note"), /You changed the choice/);
    assert.equal(page.get('input[value="update"]').hasAttribute("checked"), true);
    assert.equal(page.text("#import-run button"), "Import 3 rows");
    assert.equal(await app.stores.patients.count(1), 2, "nothing imported");
    assert.equal((await app.stores.patients.get(1, 2))!.age, 67);

    // Import again, with the choice now checked: it runs as shown.
    assert.equal((await ann.postForm(`${url}/run`, { on_conflict: "update" })).status, 303);
    const report = parseDom(await (await ann.get(url)).text());
    assert.deepEqual(counts(report), [
      "2 added",
      "1 updated (they differ from your records)",
      "1 skipped (already in your records, unchanged)",
      "0 with problems, not imported",
    ]);
    assert.equal((await app.stores.patients.get(1, 2))!.age, 70);
    assert.deepEqual(
      report.all("table.assigned-ids tbody tr").map((tr) => [...tr.children].map(textOf)),
      [["5", "4"]],
      "the row without an id (line 5) got id 4",
    );
  },
);

testWithAnn(
  "with htmx, changing the choice checks the file again, and Import sends the choice on screen",
  seed,
  async (app, ann) => {
    await ann.get("/patients/import");
    const url = (await upload(ann, FILE, "skip")).headers.get("Location")!;
    const page = parseDom(await (await ann.get(url)).text());
    const radio = page.get('input[name="on_conflict"][value="update"]');
    assert.equal(radio.getAttribute("hx-post"), `${url}/preview`);
    assert.equal(radio.getAttribute("hx-trigger"), "change");
    assert.equal(page.get("#import-run button").getAttribute("hx-post"), `${url}/run`);
    const hx = { "HX-Request": "true", "X-CSRF-Token": ann.csrf };
    const fragment = parseDom(
      await (await ann.postForm(`${url}/preview`, { on_conflict: "update" }, hx)).text(),
    );
    assert.match(counts(fragment)[1]!, /1 would be updated/);
    assert.equal(fragment.text("#import-run button"), "Import 3 rows");
    const started = await ann.postForm(`${url}/run`, { on_conflict: "update" }, hx);
    assert.equal(started.status, 200);
    for (let i = 0; i < 100 && (await app.stores.patients.count(1)) < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await app.stores.patients.get(1, 2))!.age, 70, "updated, as the screen said");
  },
);

testWithAnn(
  "an import that changes a record leaves the change in its history, field by field, naming the file",
  seed,
  async (app, ann) => {
    await ann.get("/patients/import");
    const url = (await upload(ann, FILE, "update", "ward 7.csv")).headers.get("Location")!;
    await ann.get(url);
    assert.equal((await ann.postForm(`${url}/run`, { on_conflict: "update" })).status, 303);
    const history = await app.stores.patients.audit.history(1, 2);
    // (The seed stored patient 2 without an entry: the import's is its only one.)
    assert.deepEqual(history.map((e) => [e.action, e.changes, e.details?.file_name]), [
      ["update", { age: [67, 70], bmi: [36.6, null] }, "ward 7.csv"],
    ]);
    assert.ok(history[0]!.revision_before && history[0]!.revision_after);
    const page = parseDom(await (await ann.get("/patients/2/history")).text());
    const newest = page.all(".history-list li")[0]!;
    assert.match(textOf(newest), /Changed by importing ward 7\.csv \(line 3\) by you/);
    assert.deepEqual(
      [...newest.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map(textOf)),
      [["Age", "67", "70"], ["BMI", "36.6", "N/A"]],
    );
    const created = await app.stores.patients.audit.history(1, 3);
    assert.deepEqual(created.map((e) => [e.action, e.details?.line]), [["create", 4]]);
    assert.equal(created[0]!.changes.age?.[1], FIRST_ROW.age);
    const unchanged = await app.stores.patients.audit.history(1, 1);
    assert.deepEqual(unchanged, [], "an unchanged row: no entry");
  },
);
