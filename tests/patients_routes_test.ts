/** `/patients` as full pages and table fragments: list, filters, sort, pages, details, isolation. */
import assert from "node:assert/strict";
import type { CategoricalField, NewPatient } from "../lib/patient_fields.ts";
import {
  DATASET,
  loadDataset,
  patientBackends,
  samplePatient,
  skipWithoutData,
  type TestApp,
  TestBrowser,
  withPatientsApp,
} from "./helpers.ts";

const PASSWORD = "correct horse battery staple";
const PATIENT: NewPatient = samplePatient();

function eachBackend(name: string, body: (app: TestApp, t: Deno.TestContext) => Promise<void>) {
  for (const backend of patientBackends()) {
    Deno.test(`${name} (${backend.name})`, (t) => withPatientsApp(backend, (app) => body(app, t)));
  }
}

/** A registered, logged-in browser that has seen /patients (so it holds the CSRF token). */
async function loggedIn(app: TestApp, email = "ann@example.org"): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  assert.equal((await browser.register("Ann Clinician", email, PASSWORD)).status, 303);
  assert.equal((await browser.get("/patients")).status, 200);
  return browser;
}

/** The headers htmx sends when the table reloads itself. */
const tableHx = (browser: TestBrowser, current = "/patients") => ({
  "HX-Request": "true",
  "HX-Target": "patient-table",
  "HX-Current-URL": `http://127.0.0.1:5000${current}`,
  "X-CSRF-Token": browser.csrf,
});
const countOf = (html: string) => /id="patient-count"[^>]*>([^<]*)</.exec(html)?.[1];
const rowIds = (html: string) => [...html.matchAll(/<tr id="patient-(\d+)"/g)].map((m) => +m[1]!);
/** The text of each cell of a row: id, gender, age, … stroke, actions. */
function cells(html: string, id: number): string[] {
  const row = new RegExp(`<tr id="patient-${id}"[^>]*>(.*?)</tr>`, "s").exec(html)?.[1] ?? "";
  return [...row.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/gs)].map((m) =>
    m[1]!.replace(/<[^>]+>/g, "").trim()
  );
}
const n = (x: number) => x.toLocaleString("en-US");
const summary = (first: number, shown: number, total: number) =>
  shown === 0
    ? `0 of ${n(total)} patients`
    : `${n(first)}–${n(first + shown - 1)} of ${n(total)} patient${total === 1 ? "" : "s"}`;

/** The list over the real dataset: every view the table offers, as the store computes it. */
async function datasetViews(app: TestApp, t: Deno.TestContext) {
  const { patients: data, rows: csv } = loadDataset()!;
  const browser = await loggedIn(app);
  await app.stores.patients.insertMany(1, data);
  const byId = [...data].sort((a, b) => a.id - b.id);
  const table = async (qs: string) => {
    const res = await browser.get(`/patients?${qs}`, tableHx(browser));
    assert.equal(res.status, 200, qs);
    assert.equal(res.headers.get("HX-Push-Url"), qs ? `/patients?${qs}` : "/patients");
    return await res.text();
  };

  await t.step("the full page shows the first 50 by id, the count and the sort", async () => {
    const res = await browser.get("/patients");
    assert.equal(res.headers.get("Vary"), "HX-Request");
    assert.equal(res.headers.get("HX-Push-Url"), null);
    const html = await res.text();
    assert.match(html, /^<!DOCTYPE html>/);
    assert.equal(countOf(html), "1–50 of 5,110 patients");
    assert.deepEqual(rowIds(html), byId.slice(0, 50).map((p) => p.id));
    assert.match(html, /aria-sort="ascending"[^>]*><a [^>]*>ID<span[^>]*> ▲<\/span>/);
    assert.equal([...html.matchAll(/<th scope="col"[^>]*><a href=/g)].length, 12);
    assert.match(html, /<nav class="pagination"[^]*Page 1 of 103/);
  });

  await t.step("only an htmx request aimed at the table gets the bare table", async () => {
    const html = await table("sort=-age&per_page=25");
    assert.match(html, /^<div id="patient-table"/);
    assert.doesNotMatch(html, /<html|id="filters"|id="add-patient"/);
    const others = [["HX-Target", "main"], ["HX-Boosted", "true"], [
      "HX-History-Restore-Request",
      "true",
    ]];
    for (const [name, value] of others) {
      const res = await browser.get("/patients", { ...tableHx(browser), [name!]: value! });
      assert.equal(res.headers.get("Vary"), "HX-Request");
      assert.match(await res.text(), /^<!DOCTYPE html>[^]*id="filters"/, name!);
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
    const page = await (await browser.get("/patients?gender=Female&work_type=Govt_job")).text();
    assert.match(page, /id="filter-gender"[^]*?value="Female" selected>/);
    assert.match(page, /id="filter-work_type"[^]*?value="Govt_job" selected>/);
  });

  await t.step("age range, search by id, page size and page combine", async () => {
    const aged = data.filter((p) => p.age >= 40 && p.age <= 60.5).length;
    assert.equal(countOf(await table("age_min=40&age_max=60.5")), summary(1, 50, aged));
    const one = await table(`q=${byId[7]!.id}`);
    assert.equal(countOf(one), "1–1 of 1 patient");
    assert.deepEqual(rowIds(one), [byId[7]!.id]);
    const picked = data.filter((p) => p.gender === "Female" && p.stroke === 1)
      .map((p) => p.age).sort((a, b) => b - a);
    const html = await table("gender=Female&stroke=1&sort=-age&per_page=25&page=2");
    assert.equal(countOf(html), summary(26, 25, picked.length));
    const shown = rowIds(html).map((id) => cells(html, id)[2]);
    assert.deepEqual(shown, picked.slice(25, 50).map(String));
  });

  await t.step("sorting orders the rows and marks the header, both ways", async () => {
    const desc = await table("sort=-age");
    const ages = data.map((p) => p.age).sort((a, b) => b - a).slice(0, 50).map(String);
    assert.deepEqual(rowIds(desc).map((id) => cells(desc, id)[2]), ages);
    assert.match(desc, /aria-sort="descending"[^>]*><a href="\/patients\?sort=age"[^]{0,160}> ▼/);
    const asc = await table("sort=avg_glucose_level");
    const low = data.map((p) => p.avg_glucose_level).sort((a, b) => a - b).slice(0, 50);
    assert.deepEqual(rowIds(asc).map((id) => cells(asc, id)[8]), low.map(String));
    assert.match(asc, /aria-sort="ascending"[^>]*><a href="\/patients\?sort=-avg_glucose/);
  });

  await t.step("numbers read exactly as the dataset writes them", async () => {
    const infant = csv.find((r) => r.age === "0.08" && r.bmi === "N/A") ??
      csv.find((r) => r.bmi === "N/A")!;
    for (const row of [csv[0]!, infant]) {
      const [, , age, , , , , , glucose, bmi] = cells(await table(`q=${row.id}`), +row.id!);
      assert.deepEqual([age, glucose, bmi], [row.age, row.avg_glucose_level, row.bmi]);
    }
    const first = cells(await table("q=9046"), 9046).slice(0, 12).join("|");
    assert.equal(first, "9046|Male|67|No|Yes|Yes|Private|Urban|228.69|36.6|Formerly smoked|Yes");
  });

  await t.step("the last page, an empty page and an empty search say so", async () => {
    const last = await table("per_page=100&page=52");
    assert.equal(countOf(last), "5,101–5,110 of 5,110 patients");
    assert.match(last, /Page 52 of 52/);
    assert.match(last, /href="\/patients\?per_page=100&amp;page=51"[^>]*rel="prev"/);
    assert.doesNotMatch(last, /rel="next"/);
    const beyond = await table("page=999");
    assert.equal(countOf(beyond), "0 of 5,110 patients");
    assert.match(beyond, /This page is empty/);
    assert.match(await table("q=1"), /No patients match these filters/);
  });

  await t.step("a bad query answers 400: a page, or a fragment for htmx", async () => {
    const bad = ["sort=height", "colour=red", "age_min=abc", "per_page=0", "gender=male"];
    for (const qs of [...bad, "age_min=60&age_max=40", "page=2&page=3"]) {
      const res = await browser.get(`/patients?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.match(await res.text(), /^<!DOCTYPE html>[^]*Bad request/, qs);
      const frag = await browser.get(`/patients?${qs}`, tableHx(browser));
      assert.equal(frag.status, 400, qs);
      assert.match(await frag.text(), /^<div class="alert alert-error" role="alert">/);
    }
  });
}

for (const backend of patientBackends()) {
  Deno.test({
    name: `GET /patients lists, filters, sorts and pages the whole dataset (${backend.name})`,
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
  const browser = await loggedIn(app);
  const list = await browser.get("/patient_data");
  assert.equal(list.status, 301);
  assert.equal(list.headers.get("Location"), "/patients");
  const add = await browser.get("/add_patient_data");
  assert.equal(add.status, 301);
  assert.equal(add.headers.get("Location"), "/patients#add");
});

eachBackend("an empty list says what to do, with the add form open and labelled", async (app) => {
  const html = await (await (await loggedIn(app)).get("/patients")).text();
  assert.match(html, /You have no patients yet\. Add your first one/);
  assert.equal(countOf(html), "0 of 0 patients");
  assert.match(html, /<div class="patients-page" hx-history="false">/);
  assert.match(html, /<details id="add" class="card add-patient" open>/);
  assert.match(html, /<nav [^]*Ann Clinician[^]*Log out/);
  const ids = [...html.matchAll(/<(?:input|select) id="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(ids.length >= 12 + 11);
  for (const id of ids) assert.match(html, new RegExp(`<label for="${id}">`), id);
});

eachBackend("the detail and delete pages show one patient, not kept in history", async (app) => {
  const browser = await loggedIn(app);
  await app.stores.patients.create(1, { ...PATIENT, id: 9046 });
  await app.stores.patients.create(1, { ...PATIENT, id: 7, age: 0.08, bmi: null });
  const detail = await (await browser.get("/patients/9046")).text();
  assert.match(detail, /<div hx-history="false">[^]*<h1>Patient 9046<\/h1>/);
  for (const [label, value] of [["Age", "67"], ["Average glucose level", "228.69"]]) {
    assert.match(detail, new RegExp(`<dt>${label}</dt><dd>${value}</dd>`));
  }
  const infant = await (await browser.get("/patients/7")).text();
  assert.match(infant, /<dt>Age<\/dt><dd>0\.08<\/dd>[^]*<dt>BMI<\/dt><dd>N\/A<\/dd>/);
  const del = await browser.get("/patients/9046/delete");
  assert.equal(del.status, 200);
  const page = await del.text();
  assert.match(page, /hx-history="false"[^]*<form method="post" action="\/patients\/9046\/delete"/);
  assert.match(page, /name="_csrf" value="[^"]+"/);
  for (const path of ["/patients/8", "/patients/abc", "/patients/0/edit", "/patients/8/delete"]) {
    assert.equal((await browser.get(path)).status, 404, path);
  }
});

eachBackend("another user's record is a 404 at every URL, its data nowhere", async (app) => {
  const ann = await loggedIn(app);
  await app.stores.patients.create(1, { ...PATIENT, id: 9046, avg_glucose_level: 123.45 });
  const bob = await loggedIn(app, "bob@example.org");
  const list = await (await bob.get("/patients")).text();
  assert.match(list, /You have no patients yet/);
  assert.doesNotMatch(list, /9046|123\.45/);
  assert.match(await (await bob.get("/patients?q=9046")).text(), /No patients match/);
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
    ["DELETE", "/patients/9046", hx],
    ["POST", "/patients/9046/delete", {}, form],
  ];
  const wrong: string[] = [];
  for (const [method, path, headers, body] of attempts) {
    const res = await bob.request(path, { method, headers, ...(body ? { body } : {}) });
    const text = await res.text();
    assert.doesNotMatch(text, /123\.45/, `${method} ${path} shows the record`);
    if (res.status !== 404) {
      wrong.push(`${method} ${path} ${hx === headers ? "htmx " : ""}${res.status}`);
    }
  }
  const kept = await app.stores.patients.get(1, 9046);
  assert.equal(kept?.avg_glucose_level, 123.45, "Bob's requests changed Ann's record");
  assert.match(await (await ann.get("/patients")).text(), /123\.45/);
  assert.deepEqual(wrong, [], "every request for another user's record should answer 404");
});
