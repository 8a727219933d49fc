/** `/patients` as full pages and table fragments: list, filters, sort, pages, details, isolation. */
import assert from "node:assert/strict";
import type { CategoricalField, NewPatient } from "../lib/patient_fields.ts";
import { type TestApp, withPatientsApp } from "./helpers/app.ts";
import { patientBackends } from "./helpers/backends.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import { FIRST_ROW, samplePatient } from "./helpers/fixtures.ts";
import { attributesOf, type Dom, firstOf, isPage, parseDom, textOf } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const PATIENT: NewPatient = samplePatient();

function eachBackend(name: string, body: (app: TestApp, t: Deno.TestContext) => Promise<void>) {
  for (const backend of patientBackends()) {
    Deno.test(`[${backend.name}] ${name}`, (t) => withPatientsApp(backend, (app) => body(app, t)));
  }
}

/** The headers htmx sends when the table reloads itself. */
const tableHx = (browser: TestBrowser, current = "/patients") => ({
  "HX-Request": "true",
  "HX-Target": "patient-table",
  "HX-Current-URL": `http://127.0.0.1:5000${current}`,
  "X-CSRF-Token": browser.csrf,
});
const countOf = (dom: Dom) => dom.text("#patient-count");
const rowIds = (dom: Dom) =>
  dom.all('tr[id^="patient-"]').map((row) => Number(row.id.slice("patient-".length)));
/** The fields of the columns, in the table's order (read from the sort links' ids). */
const columnsOf = (dom: Dom) =>
  dom.all("thead th").map((th) => th.querySelector("a")?.id.replace(/^sort-/, "") ?? "actions");
/** The text of each cell of a row, by column: `{id, stroke, gender, age, …, actions}`. */
function cells(dom: Dom, id: number): Record<string, string> {
  const texts = dom.all(`#patient-${id} > th, #patient-${id} > td`).map(textOf);
  return Object.fromEntries(columnsOf(dom).map((field, i) => [field, texts[i] ?? ""]));
}
/** The values of the selected options of a select. */
const selectedIn = (dom: Dom, select: string) =>
  dom.all(`${select} option[selected]`).map((option) => option.getAttribute("value"));
/** The column the table is sorted by: how many are marked, the order, its link and its text. */
function sortedBy(dom: Dom) {
  const marked = dom.all("th[aria-sort]");
  const link = marked[0]?.children[0];
  return {
    marked: marked.length,
    order: marked[0]?.getAttribute("aria-sort"),
    link: link?.localName,
    href: link?.getAttribute("href"),
    text: textOf(link),
  };
}
/** Every input and select with an id has a label naming it; answers the ids. */
function assertLabelled(dom: Dom) {
  const ids = dom.all("input[id], select[id]").map((control) => control.id);
  for (const id of ids) assert.ok(textOf(dom.find(`label[for="${id}"]`)), `${id} has a label`);
  return ids;
}
/** The terms of a definition list with the definition that follows each. */
function definitions(dom: Dom): [string, string][] {
  return dom.all("dt").map((dt) => {
    const siblings = [...(dt.parentElement?.children ?? [])];
    const next = siblings[siblings.indexOf(dt) + 1];
    return [textOf(dt), next?.localName === "dd" ? textOf(next) : ""];
  });
}
const n = (x: number) => x.toLocaleString("en-US");
const summary = (first: number, shown: number, total: number) =>
  shown === 0
    ? `0 of ${n(total)} patients`
    : `${n(first)}–${n(first + shown - 1)} of ${n(total)} patient${total === 1 ? "" : "s"}`;

/** The list over the real dataset: every view the table offers, as the store computes it. */
async function datasetViews(app: TestApp, t: Deno.TestContext) {
  const { patients: data, rows: csv } = loadDataset()!;
  const browser = await loggedInBrowser(app);
  await app.stores.patients.insertMany(1, data);
  const byId = [...data].sort((a, b) => a.id - b.id);
  const tableHtml = async (qs: string) => {
    const res = await browser.get(`/patients?${qs}`, tableHx(browser));
    assert.equal(res.status, 200, qs);
    assert.equal(res.headers.get("HX-Push-Url"), qs ? `/patients?${qs}` : "/patients");
    return await res.text();
  };
  const table = async (qs: string) => parseDom(await tableHtml(qs));

  await t.step("the full page shows the first 50 by id, the count and the sort", async () => {
    const res = await browser.get("/patients");
    assert.match(res.headers.get("Vary") ?? "", /\bHX-Request\b/);
    assert.equal(res.headers.get("HX-Push-Url"), null);
    const html = await res.text();
    assert.ok(isPage(html), "a whole page");
    const dom = parseDom(html);
    assert.equal(countOf(dom), "1–50 of 5,110 patients");
    assert.deepEqual(rowIds(dom), byId.slice(0, 50).map((p) => p.id));
    assert.deepEqual(sortedBy(dom), {
      marked: 1,
      order: "ascending",
      link: "a",
      href: "/patients?sort=-id",
      text: "ID",
    });
    assert.equal(dom.all("thead th > a[href]:first-child").length, 12);
    // The outcome next to the id; units in the headings.
    assert.deepEqual(columnsOf(dom).slice(0, 3), ["id", "stroke", "gender"]);
    // (The sort marks, ↕ ▲ ▼, are the stylesheet's: browser_table_test.ts.)
    assert.equal(dom.text("#sort-avg_glucose_level"), "Glucose mg/dL");
    assert.equal(dom.text("#sort-age"), "Age years");
    assert.match(dom.text("nav.pagination"), /Page 1 of 103/);
  });

  await t.step("only an htmx request aimed at the table gets the bare table", async () => {
    const html = await tableHtml("sort=-age&per_page=25");
    // parseDom puts a fragment in a page, so that no <html> was sent is read from the raw text.
    assert.doesNotMatch(html, /<html/, "a fragment, not a page");
    const dom = parseDom(html);
    const first = firstOf(dom);
    assert.deepEqual([first?.localName, first?.id], ["div", "patient-table"]);
    assert.equal(dom.find("#filters"), null);
    assert.equal(dom.find("#add-patient"), null);
    const others = [["HX-Target", "main"], ["HX-Boosted", "true"], [
      "HX-History-Restore-Request",
      "true",
    ]];
    for (const [name, value] of others) {
      const res = await browser.get("/patients", { ...tableHx(browser), [name!]: value! });
      assert.match(res.headers.get("Vary") ?? "", /\bHX-Request\b/);
      const html = await res.text();
      assert.ok(isPage(html), name!);
      assert.ok(parseDom(html).find("#filters-panel"), name!);
    }
  });

  await t.step("every categorical filter is counted by the store", async () => {
    // One value per field (all of them would take a minute on FerretDB); spaces and dashes too.
    const picks: Record<CategoricalField, string | number> = {
      gender: "Other",
      hypertension: 1,
      heart_disease: 1,
      ever_married: "No",
      work_type: "Self-employed",
      Residence_type: "Rural",
      smoking_status: "formerly smoked",
      stroke: 1,
    };
    for (const [field, value] of Object.entries(picks)) {
      const qs = new URLSearchParams({ [field]: String(value) }).toString();
      const total = data.filter((p) => p[field as CategoricalField] === value).length;
      assert.equal(countOf(await table(qs)), summary(1, Math.min(50, total), total), qs);
    }
    // The filter panel open shows the view's values; so does the form its folded panel fetches.
    const view = "gender=Female&work_type=Govt_job";
    const page = parseDom(await (await browser.get(`/patients?${view}&filters=open`)).text());
    const folded = await browser.get("/patients/filters", {
      ...tableHx(browser, `/patients?${view}`),
      "HX-Target": "",
    });
    assert.equal(folded.status, 200);
    const form = parseDom(await folded.text());
    for (const dom of [page, form]) {
      assert.deepEqual(selectedIn(dom, "#filter-gender"), ["Female"]);
      assert.deepEqual(selectedIn(dom, "#filter-work_type"), ["Govt_job"]);
    }
    assert.equal(firstOf(form)?.id, "filters", "the form alone");
  });

  await t.step("age range, search by id, page size and page combine", async () => {
    const aged = data.filter((p) => p.age >= 40 && p.age <= 60.5).length;
    assert.equal(countOf(await table("age_min=40&age_max=60.5")), summary(1, 50, aged));
    const one = await table(`q=${byId[7]!.id}`);
    assert.equal(countOf(one), "1–1 of 1 patient");
    assert.deepEqual(rowIds(one), [byId[7]!.id]);
    const picked = data.filter((p) => p.gender === "Female" && p.stroke === 1)
      .map((p) => p.age).sort((a, b) => b - a);
    const dom = await table("gender=Female&stroke=1&sort=-age&per_page=25&page=2");
    assert.equal(countOf(dom), summary(26, 25, picked.length));
    const shown = rowIds(dom).map((id) => cells(dom, id).age);
    assert.deepEqual(shown, picked.slice(25, 50).map(String));
  });

  await t.step("sorting orders the rows and marks the header, both ways", async () => {
    const desc = await table("sort=-age");
    const ages = data.map((p) => p.age).sort((a, b) => b - a).slice(0, 50).map(String);
    assert.deepEqual(rowIds(desc).map((id) => cells(desc, id).age), ages);
    assert.deepEqual(sortedBy(desc), {
      marked: 1,
      order: "descending",
      link: "a",
      href: "/patients?sort=age",
      text: "Age years",
    });
    const asc = await table("sort=avg_glucose_level");
    const low = data.map((p) => p.avg_glucose_level).sort((a, b) => a - b).slice(0, 50);
    assert.deepEqual(
      rowIds(asc).map((id) => Number(cells(asc, id).avg_glucose_level)),
      low,
    );
    assert.deepEqual(sortedBy(asc), {
      marked: 1,
      order: "ascending",
      link: "a",
      href: "/patients?sort=-avg_glucose_level",
      text: "Glucose mg/dL",
    });
  });

  await t.step("numbers line up: the dataset's values with consistent decimals", async () => {
    const infant = csv.find((r) => r.age === "0.08" && r.bmi === "N/A") ??
      csv.find((r) => r.bmi === "N/A")!;
    for (const row of [csv[0]!, infant]) {
      const shown = cells(await table(`q=${row.id}`), +row.id!);
      const values = [shown.age, shown.avg_glucose_level, shown.bmi].map(Number);
      assert.deepEqual(values, [row.age, row.avg_glucose_level, row.bmi].map(Number));
    }
    const first = Object.values(cells(await table("q=9046"), 9046)).slice(0, 12).join("|");
    assert.equal(first, "9046|Yes|Male|67|No|Yes|Yes|Private|Urban|228.69|36.6|Formerly smoked");
    // Glucose with two decimals, BMI with one, whole years whole: zeros added, nothing rounded.
    const padded = cells(await table("q=29552"), 29552); // the CSV has 210.4 and 40
    assert.deepEqual([padded.avg_glucose_level, padded.bmi], ["210.40", "40.0"]);
    const dom = await table("sort=bmi&per_page=200");
    for (const id of rowIds(dom)) {
      const { avg_glucose_level: glucose, bmi } = cells(dom, id);
      assert.match(glucose!, /^\d+\.\d\d$/, `glucose of ${id}`);
      assert.match(bmi!, /^(\d+\.\d|N\/A)$/, `BMI of ${id}`);
    }
    // The stylesheet aligns the cells by column: every row has all of them, in order.
    assert.ok(rowIds(dom).every((id) => dom.get(`#patient-${id}`).children.length === 13));
  });

  await t.step("the last page, an empty page and an empty search say so", async () => {
    const last = await table("per_page=100&page=52");
    assert.equal(countOf(last), "5,101–5,110 of 5,110 patients");
    assert.match(last.text("nav.pagination"), /Page 52 of 52/);
    assert.equal(
      last.find('a[rel="prev"]')?.getAttribute("href"),
      "/patients?per_page=100&page=51",
    );
    assert.equal(last.find('[rel~="next"]'), null);
    const asked = await browser.get("/patients?page=999", tableHx(browser));
    assert.equal(asked.headers.get("HX-Push-Url"), "/patients?page=103");
    const beyond = parseDom(await asked.text());
    assert.equal(countOf(beyond), "5,101–5,110 of 5,110 patients");
    assert.match(beyond.text(".table-note"), /There is no page 999: this is the last page\./);
    assert.match(beyond.text("nav.pagination"), /Page 103 of 103/);
    const partial = (await table("q=904")).text("#patient-empty");
    assert.match(partial, /no patient with ID 904\. The search matches the whole ID/);
    assert.match((await table("q=1&gender=Male")).text("#patient-empty"), /No patients match/);
  });

  await t.step("a bad filter comes back as the page, the message at its field", async () => {
    const bad = ["age_min=abc", "per_page=0", "gender=male", "age_min=60&age_max=40", "q=12a"];
    for (const qs of bad) {
      const res = await browser.get(`/patients?${qs}`);
      assert.equal(res.status, 422, qs);
      const page = parseDom(await res.text());
      assert.ok(page.find("#filters [aria-invalid=true]"), qs);
      assert.equal(rowIds(page).length, 0, `${qs}: no stale rows`);
      // As the filter form sends it (htmx names the form): its fields' messages come along.
      const frag = await browser.get(`/patients?${qs}`, {
        ...tableHx(browser),
        "HX-Trigger": "filters",
      });
      assert.equal(frag.status, 422, qs);
      const dom = parseDom(await frag.text());
      assert.equal(firstOf(dom)?.id, "patient-table", qs);
      assert.match(dom.text("#patient-count"), /No patients shown/, qs);
      assert.ok(dom.all('p.field-error[hx-swap-oob="true"]:not([hidden])').length, qs);
    }
    // A sort heading or a page (the filter form perhaps not fetched yet): no messages for
    // fields that may not be on the page, only the count of active filters.
    const sorted = parseDom(
      await (await browser.get("/patients?sort=age", tableHx(browser))).text(),
    );
    assert.equal(sorted.all("p.field-error").length, 0);
    assert.equal(sorted.find("#filters-alert"), null);
    assert.ok(sorted.find('#filters-active[hx-swap-oob="true"]'));
  });
}

for (const backend of patientBackends()) {
  Deno.test({
    name: `[${backend.name}] GET /patients lists, filters, sorts and pages the whole dataset`,
    ignore: skipWithoutData(DATASET),
    fn: (t) => withPatientsApp(backend, (app) => datasetViews(app, t)),
  });
}

eachBackend("a logged-out visitor is sent to /login with the page to come back to", async (app) => {
  const browser = new TestBrowser(app);
  for (const path of ["/patients?gender=Female", "/patients/9046", "/patients/9046/edit"]) {
    const res = await browser.get(path);
    assert.equal(res.status, 303, path);
    assert.equal(res.headers.get("Location"), `/login?next=${encodeURIComponent(path)}`);
  }
  const hx = await browser.get("/patients?page=2", {
    "HX-Request": "true",
    "HX-Current-URL": "http://127.0.0.1:5000/patients?stroke=1",
  });
  assert.equal(hx.status, 401);
  assert.equal(hx.headers.get("HX-Redirect"), "/login?next=%2Fpatients");
});

eachBackend("the original app's /patient_data and /add_patient_data redirect", async (app) => {
  const browser = await loggedInBrowser(app);
  const list = await browser.get("/patient_data");
  assert.equal(list.status, 301);
  assert.equal(list.headers.get("Location"), "/patients");
  const add = await browser.get("/add_patient_data");
  assert.equal(add.status, 301);
  assert.equal(add.headers.get("Location"), "/patients#add");
});

eachBackend("an empty list says what to do, with the add form open and labelled", async (app) => {
  const dom = parseDom(
    await (await (await loggedInBrowser(app, { name: "Ann Clinician" })).get("/patients")).text(),
  );
  assert.match(dom.text("#patient-empty"), /You have no patients yet\./);
  const offers = dom.all("#patient-empty a").map((a) => [textOf(a), a.getAttribute("href")]);
  assert.equal(dom.find("#patient-empty a")?.getAttribute("data-open"), "add");
  assert.deepEqual(offers, [
    ["Add your first patient", "/patients/new"],
    ["Import patients from a CSV file", "/patients/import"],
  ]);
  for (const tool of ["details#filters-panel", "details#export"]) {
    assert.ok(dom.find(tool)?.hasAttribute("hidden"), `${tool} waits for the first record`);
  }
  assert.equal(countOf(dom), "0 of 0 patients");
  assert.deepEqual(attributesOf(dom.find("div.patients-page")), {
    class: "patients-page",
    "hx-history": "false",
  });
  assert.deepEqual(attributesOf(dom.find("details#add")), {
    id: "add",
    class: "card add-patient tool",
    open: "",
  });
  assert.match(dom.text('nav[aria-label="Main"]'), /Ann Clinician.*Log out/);
  assert.ok(assertLabelled(dom).length >= 12, "the add form's fields");
});

eachBackend("the detail and delete pages show one patient, not kept in history", async (app) => {
  const browser = await loggedInBrowser(app);
  await app.stores.patients.create(1, { ...FIRST_ROW });
  await app.stores.patients.create(1, { ...PATIENT, id: 7, age: 0.08, bmi: null });
  const detail = parseDom(await (await browser.get("/patients/9046")).text());
  const kept = detail.find('div[hx-history="false"]');
  assert.deepEqual(attributesOf(kept), { "hx-history": "false" });
  assert.equal(textOf(kept?.querySelector("h1")), "Patient 9046");
  const terms = new Map(definitions(detail));
  const values = [["Age", "67 years"], ["Average glucose level", "228.69 mg/dL"], [
    "BMI",
    "36.6 kg/m²",
  ]] as const;
  for (const [label, value] of values) {
    assert.equal(terms.get(label), value, label);
  }
  const infant = parseDom(await (await browser.get("/patients/7")).text());
  const ageAndBmi = definitions(infant).filter(([term]) => term === "Age" || term === "BMI");
  assert.deepEqual(ageAndBmi, [["Age", "0.08 years"], ["BMI", "N/A"]]);
  const del = await browser.get("/patients/9046/delete");
  assert.equal(del.status, 200);
  const page = parseDom(await del.text());
  const confirm = page.find(
    '[hx-history="false"] form[method="post"][action="/patients/9046/delete"]',
  );
  assert.ok(confirm, "a confirmation form, not kept in history");
  assert.ok(confirm.querySelector('input[name="_csrf"]')?.getAttribute("value"), "a CSRF token");
  for (const path of ["/patients/8", "/patients/abc", "/patients/0/edit", "/patients/8/delete"]) {
    assert.equal((await browser.get(path)).status, 404, path);
  }
});

eachBackend("another user's record is a 404 at every URL, its data nowhere", async (app) => {
  const ann = await loggedInBrowser(app);
  await app.stores.patients.create(1, { ...FIRST_ROW, avg_glucose_level: 123.45 });
  const bob = await loggedInBrowser(app, { email: "bob@example.org" });
  const list = await (await bob.get("/patients")).text();
  assert.match(parseDom(list).text("#patient-empty"), /You have no patients yet/);
  // The record may appear nowhere, attributes (ids, links) and scripts included: the raw text.
  assert.doesNotMatch(list, /9046|123\.45/);
  const search = parseDom(await (await bob.get("/patients?q=9046")).text());
  assert.match(search.text("#patient-empty"), /You have no patient with ID 9046\./);
  const hx = { "HX-Request": "true", "X-CSRF-Token": bob.csrf };
  const fields = Object.entries(PATIENT).map(([k, v]) => [k, String(v)]);
  const form = new URLSearchParams([...fields, ["_csrf", bob.csrf]]);
  const attempts: [string, string, HeadersInit, BodyInit?][] = [
    ["GET", "/patients/9046", {}],
    ["GET", "/patients/9046/edit", {}],
    ["GET", "/patients/9046/edit", hx],
    ["GET", "/patients/9046/delete", {}],
    ["GET", "/patients/9046/row", hx],
    ["POST", "/patients/9046", {}, form],
    ["PUT", "/patients/9046", hx, form],
    ["POST", "/patients/9046/delete", hx, form],
    ["POST", "/patients/9046/delete", {}, form],
  ];
  const wrong: string[] = [];
  for (const [method, path, headers, body] of attempts) {
    const res = await bob.request(path, { method, headers, ...(body ? { body } : {}) });
    // Raw text on purpose: not every answer is HTML, and a leak in an attribute counts too.
    const text = await res.text();
    assert.doesNotMatch(text, /123\.45/, `${method} ${path} shows the record`);
    if (res.status !== 404) {
      wrong.push(`${method} ${path} ${hx === headers ? "htmx " : ""}${res.status}`);
    }
  }
  const kept = await app.stores.patients.get(1, 9046);
  assert.equal(kept?.avg_glucose_level, 123.45, "Bob's requests changed Ann's record");
  const annList = parseDom(await (await ann.get("/patients")).text());
  assert.equal(cells(annList, 9046).avg_glucose_level, "123.45", "Ann still sees her record");
  assert.deepEqual(wrong, [], "every request for another user's record should answer 404");
});
