/** Add, edit and delete on `/patients`: htmx fragments, the same forms without JavaScript, CSRF. */
import assert from "node:assert/strict";
import { COLUMN_ORDER } from "../components/PatientRows.ts";
import type { NewPatient } from "../lib/patient_fields.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import {
  attributesOf,
  type Dom,
  type DomElement,
  firstOf,
  isPage,
  parseDom,
  textOf,
} from "./helpers/html.ts";
import { formFields, htmxHeaders, testWithFirstRow } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const PATIENT: NewPatient = samplePatient();

const eachBackend = testWithFirstRow;

const hx = htmxHeaders;
/** A patient as a submitted form: text, an unknown BMI empty. */
const form = (fields: Record<string, unknown>, extra: Record<string, string> = {}) =>
  new URLSearchParams({ ...formFields(fields), ...extra });
const send = (b: TestBrowser, method: string, path: string, h: HeadersInit, body?: BodyInit) =>
  b.request(path, { method, headers: h, ...(body === undefined ? {} : { body }) });

/** The text of the whole answer, head and body. */
const allText = (dom: Dom) => dom.text("html");
/** The `<div class="field">` holding the control with this id: label, input, hint and error. */
function field(dom: Dom, id: string): DomElement {
  const box = dom.get(`#${id}`).closest("div.field");
  if (!box?.querySelector(`label[for="${id}"]`)) throw new Error(`#${id} is in no labelled field`);
  return box;
}
/** The value attribute of the control with this id inside a field. */
const valueIn = (box: DomElement, id: string) => box.querySelector(`#${id}`)?.getAttribute("value");
/** The text of a field's error message (its `role="alert"` element). */
const errorIn = (box: DomElement) => textOf(box.querySelector('[role="alert"]'));
/** The values of the selected options of a select. */
const selectedIn = (scope: DomElement, selector: string) =>
  [...scope.querySelectorAll(`${selector} option[selected]`)].map((o) => o.getAttribute("value"));
const revisionOf = (dom: Dom) => dom.find('input[name="revision"]')?.getAttribute("value");
/**
 * Every table row of an answer, those sent out of band in a `<template>` too (a template's
 * content is not part of the document tree, so it is parsed on its own, inside a table).
 */
function rowsOf(dom: Dom): DomElement[] {
  const inTemplates = dom.all("template")
    .flatMap((template) => parseDom(`<table>${template.innerHTML}</table>`).all("tr"));
  return [...dom.all("tr"), ...inTemplates];
}
/** The text of each cell of a row: id, gender, age, … stroke, actions. */
function cellsOf(row: DomElement | undefined): Record<string, string> {
  const texts = [...(row?.children ?? [])].map(textOf);
  return Object.fromEntries([...COLUMN_ORDER, "actions"].map((f, i) => [f, texts[i] ?? ""]));
}

/** The out-of-band patient count: `<p id="patient-count" class="count" hx-swap-oob="true">`. */
function assertOobCount(dom: Dom, text: string) {
  const count = dom.find("p#patient-count");
  assert.deepEqual(attributesOf(count), {
    id: "patient-count",
    class: "count",
    "hx-swap-oob": "true",
  });
  assert.equal(textOf(count), text);
}
/** The out-of-band message: the live region beside the table replaced inside, a message first. */
function assertOobAlert(dom: Dom, text: string) {
  const region = dom.find("div#patient-status");
  assert.deepEqual(attributesOf(region), { id: "patient-status", "hx-swap-oob": "innerHTML" });
  const message = region?.children[0];
  assert.deepEqual([message?.localName, message?.getAttribute("class")], [
    "div",
    "alert alert-ok toast",
  ]);
  assert.equal(textOf(message?.querySelector(".toast-text")), text);
}

/** Every input and select with an id has a label naming it; answers the ids. */
function assertLabelled(dom: Dom) {
  const ids = dom.all("input[id], select[id]").map((control) => control.id);
  for (const id of ids) assert.ok(textOf(dom.find(`label[for="${id}"]`)), `${id} has a label`);
  return ids;
}

eachBackend("an invalid add answers 422 with messages by fields, input kept", async (app, b) => {
  const bad = form({ ...PATIENT, age: "abc", avg_glucose_level: "-5", bmi: "" }, { id: "" });
  const frag = await send(b, "POST", "/patients", hx(b, "add"), bad);
  assert.equal(frag.status, 422);
  const plain = await b.postForm("/patients", Object.fromEntries(bad));
  assert.equal(plain.status, 422);
  const answers = [[await frag.text(), false], [await plain.text(), true]] as const;
  for (const [html, fullPage] of answers) {
    assert.equal(isPage(html), fullPage);
    const dom = parseDom(html);
    assert.deepEqual(attributesOf(dom.find("details#add")), {
      id: "add",
      class: "card add-patient tool",
      open: "",
    });
    assert.match(dom.text('#add .alert[role="alert"]'), /^The patient was not added/);
    const age = field(dom, "add-age");
    const ageInput = age.querySelector("#add-age");
    assert.deepEqual(
      [ageInput?.getAttribute("value"), ageInput?.getAttribute("aria-invalid")],
      ["abc", "true"],
    );
    const ageError = age.querySelector("#add-age-error");
    assert.deepEqual(
      [ageError?.localName, ageError?.getAttribute("class"), ageError?.getAttribute("role")],
      ["p", "field-error", "alert"],
    );
    assert.match(textOf(ageError), /^Age must be/);
    const glucose = field(dom, "add-avg_glucose_level");
    assert.equal(valueIn(glucose, "add-avg_glucose_level"), "-5");
    assert.match(errorIn(glucose), /^Average/);
    assert.deepEqual(selectedIn(field(dom, "add-gender"), "#add-gender"), ["Male"]);
    assert.deepEqual(
      selectedIn(field(dom, "add-smoking_status"), "#add-smoking_status"),
      ["formerly smoked"],
    );
    for (const id of ["add-bmi", "add-gender"]) {
      assert.equal(field(dom, id).querySelector(".field-error"), null, `${id} has no error`);
    }
    assertLabelled(dom);
  }
  assert.equal(await app.stores.patients.count(1), 1, "nothing was stored");
});

eachBackend("an htmx add answers a fresh form, the row, count and message", async (app, b) => {
  const female = form({ ...PATIENT, gender: "Female", bmi: null }, { id: "" });
  const res = await send(b, "POST", "/patients", hx(b, "add", "/patients?gender=Female"), female);
  assert.equal(res.status, 200);
  const dom = parseDom(await res.text());
  const id = Number(/Patient (\d+) added/.exec(dom.text("#patient-status"))?.[1]);
  assert.notEqual(id, 9046);
  assert.equal((await app.stores.patients.get(1, id))?.gender, "Female", "the app chose an id");
  const first = firstOf(dom);
  assert.equal(first?.localName, "details");
  assert.deepEqual(attributesOf(first), { id: "add", class: "card add-patient tool", open: "" });
  const idInput = field(dom, "add-id").querySelector("#add-id");
  assert.deepEqual([idInput?.getAttribute("value"), idInput?.hasAttribute("autofocus")], [
    "",
    true,
  ]);
  assert.equal(valueIn(field(dom, "add-age"), "add-age"), "");
  // The row, out of band: <template><tbody hx-swap-oob="afterbegin:#patient-rows"><tr …>.
  const template = dom.find("body > template");
  const oob = parseDom(`<table>${template?.innerHTML ?? ""}</table>`).find("table")?.children[0];
  assert.deepEqual(
    [oob?.localName, oob?.getAttribute("hx-swap-oob")],
    ["tbody", "afterbegin:#patient-rows"],
    "the row, out of band",
  );
  const row = oob?.children[0];
  assert.deepEqual(
    [row?.localName, attributesOf(row)],
    ["tr", { id: `patient-${id}`, class: "changed" }],
    "the row, out of band",
  );
  const cells = cellsOf(row);
  assert.deepEqual(
    [cells.gender, cells.age, cells.avg_glucose_level, cells.bmi],
    ["Female", "67", "228.69", "N/A"],
  );
  assertOobCount(dom, "1–1 of 1 patient");
  assertOobAlert(dom, `Patient ${id} added.`);
});

eachBackend("a no-JS add redirects with a flash; a taken id is refused", async (app, b) => {
  const res = await b.postForm("/patients", Object.fromEntries(form({ ...PATIENT, id: 77 })));
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), "/patients?q=77");
  const next = parseDom(await (await b.get("/patients?q=77")).text());
  // Beside the table, in its live region.
  const region = next.find("div#patient-status");
  assert.deepEqual([region?.getAttribute("role"), region?.getAttribute("aria-live")], [
    "status",
    "polite",
  ]);
  const flash = region?.children[0];
  assert.equal(textOf(flash?.querySelector(".toast-text")), "Patient 77 added.");
  assert.ok(next.find("tr#patient-77"), "the new row is listed");
  const after = parseDom(await (await b.get("/patients")).text());
  assert.doesNotMatch(allText(after), /Patient 77 added/, "shown once");
  const taken = form({ ...PATIENT, id: 9046, age: 1 }, { _csrf: b.csrf });
  for (const headers of [{}, hx(b, "add")]) {
    const again = await send(b, "POST", "/patients", headers, taken);
    assert.equal(again.status, 422);
    const id = field(parseDom(await again.text()), "add-id");
    assert.equal(valueIn(id, "add-id"), "9046");
    assert.match(errorIn(id), /^You already have a patient with ID 9046/);
  }
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 67);
});

eachBackend(
  "the edit row is one form across the row, labelled, selects for categories",
  async (app, b) => {
    const res = await b.get("/patients/9046/edit", hx(b, "patient-9046"));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("Vary") ?? "", /\bHX-Request\b/);
    const dom = parseDom(await res.text());
    const first = firstOf(dom);
    assert.equal(first?.localName, "tr");
    assert.deepEqual(attributesOf(first), {
      id: "patient-9046",
      class: "editing",
      "data-edit-row": "true",
    });
    // One cell across the whole row, holding the form and its fields (a grid, not 11 columns).
    const cell = first?.children[0];
    assert.deepEqual([first?.children.length, cell?.getAttribute("colspan")], [1, "13"]);
    const panel = cell?.querySelector("form#edit-9046");
    assert.equal(panel?.getAttribute("hx-put"), "/patients/9046");
    assert.equal(panel?.querySelectorAll("select").length, 8);
    // Age, glucose, BMI and the optional reason for the change.
    assert.equal(panel?.querySelectorAll('input:not([type="hidden"])').length, 4);
    assert.equal(assertLabelled(dom).length, 12);
    assert.equal(dom.text('label[for="edit-9046-reason"]'), "Reason (optional)");
    assert.equal(
      dom.text('label[for="edit-9046-avg_glucose_level"]'),
      "Average glucose level (mg/dL)",
    );
    // The fields in the table's order: the outcome first, and focused.
    const stroke = field(dom, "edit-9046-stroke");
    assert.equal(stroke.querySelector("select#edit-9046-stroke")?.hasAttribute("autofocus"), true);
    assert.deepEqual(selectedIn(stroke, "#edit-9046-stroke"), ["1"]);
    assert.deepEqual(selectedIn(field(dom, "edit-9046-gender"), "#edit-9046-gender"), ["Male"]);
    assert.equal(valueIn(field(dom, "edit-9046-age"), "edit-9046-age"), "67");
    const glucose = field(dom, "edit-9046-avg_glucose_level");
    assert.equal(valueIn(glucose, "edit-9046-avg_glucose_level"), "228.69");
    assert.equal(revisionOf(dom), (await app.stores.patients.get(1, 9046))?.revision);
    const cancel = dom.find('[hx-get="/patients/9046/row"][data-cancel="true"]');
    assert.equal(textOf(cancel), "Cancel");
    const row = parseDom(await (await b.get("/patients/9046/row", hx(b, "patient-9046"))).text());
    const shown = firstOf(row);
    assert.deepEqual([shown?.localName, attributesOf(shown)], ["tr", { id: "patient-9046" }]);
    assert.equal(textOf(shown?.querySelector("a[autofocus]")), "Edit patient 9046");
    const plainRow = await b.get("/patients/9046/row");
    assert.equal(plainRow.headers.get("Location"), "/patients/9046");
    const html = await (await b.get("/patients/9046/edit")).text();
    assert.ok(isPage(html), "a whole page without htmx");
    const page = parseDom(html);
    assert.equal(page.text('[hx-history="false"] h1'), "Edit patient 9046");
    assert.ok(page.find('form[method="post"][action="/patients/9046"]'), "a plain form");
    assertLabelled(page);
  },
);

eachBackend("a save answers the row or a redirect; bad input answers 422", async (app, b) => {
  const edit = parseDom(await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text());
  const changed = { ...PATIENT, age: 68, smoking_status: "smokes", bmi: null };
  const put = await send(
    b,
    "PUT",
    "/patients/9046",
    hx(b, "patient-9046"),
    form(changed, { revision: revisionOf(edit)! }),
  );
  assert.equal(put.status, 200);
  const dom = parseDom(await put.text());
  const row = firstOf(dom);
  assert.deepEqual(
    [row?.localName, attributesOf(row)],
    ["tr", { id: "patient-9046", class: "changed" }],
  );
  const cells = cellsOf(row);
  assert.deepEqual([cells.age, cells.bmi, cells.smoking_status], ["68", "N/A", "Smokes"]);
  assert.equal(textOf(row?.querySelector("a[autofocus]")), "Edit patient 9046");
  assertOobAlert(dom, "Patient 9046 saved.");
  const saved = await app.stores.patients.get(1, 9046);
  assert.deepEqual([saved?.age, saved?.smoking_status, saved?.bmi], [68, "smokes", null]);

  const bad = form({ ...changed, age: "-1", id: 1 }, {
    revision: saved!.revision,
    _csrf: b.csrf,
  });
  const invalid = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), bad);
  assert.equal(invalid.status, 422);
  const age = field(parseDom(await invalid.text()), "edit-9046-age");
  const ageInput = age.querySelector("#edit-9046-age");
  assert.deepEqual([ageInput?.getAttribute("value"), ageInput?.hasAttribute("autofocus")], [
    "-1",
    true,
  ]);
  assert.match(errorIn(age), /^Age must be a number/);
  const invalidPage = await send(b, "POST", "/patients/9046", {}, bad);
  assert.equal(invalidPage.status, 422);
  const pageAge = field(parseDom(await invalidPage.text()), "edit-age");
  assert.equal(valueIn(pageAge, "edit-age"), "-1");
  assert.match(errorIn(pageAge), /^Age/);

  // Without JavaScript the form's address carries the list's view, and the save goes back to it.
  const fields = Object.fromEntries(form(PATIENT));
  const post = await b.postForm("/patients/9046?sort=-age&gender=Male&page=1", fields);
  assert.equal(post.status, 303);
  assert.equal(post.headers.get("Location"), "/patients?gender=Male&sort=-age#patient-9046");
  const list = parseDom(await (await b.get("/patients")).text());
  assert.match(list.text('[role="status"]'), /^Patient 9046 saved\./);
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 67);
});

eachBackend("a stale save answers 409 with current values, overwriting nothing", async (app, b) => {
  const old = revisionOf(
    parseDom(await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text()),
  )!;
  const current = await app.stores.patients.patch(1, 9046, { age: 70, work_type: "Govt_job" });
  const mine = form({ ...PATIENT, age: 50 }, { revision: old, _csrf: b.csrf });
  const ways = [["PUT", hx(b, "patient-9046"), "edit-9046"], ["POST", {}, "edit"]] as const;
  for (const [method, headers, prefix] of ways) {
    const res = await send(b, method, "/patients/9046", headers, mine);
    assert.equal(res.status, 409);
    const dom = parseDom(await res.text());
    assert.match(dom.text('[role="alert"]'), /^Someone else changed this patient.*not saved/);
    assert.equal(valueIn(field(dom, `${prefix}-age`), `${prefix}-age`), "70");
    assert.deepEqual(selectedIn(dom.document, `#${prefix}-work_type`), ["Govt_job"]);
    assert.equal(revisionOf(dom), current.revision);
    assert.equal((await app.stores.patients.get(1, 9046))?.age, 70, "nothing overwritten");
  }
  const retry = form({ ...PATIENT, age: 50 }, { revision: current.revision });
  const ok = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), retry);
  assert.equal(ok.status, 200);
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 50);
});

eachBackend("saving a record deleted meanwhile answers a row saying so", async (app, b) => {
  const edit = await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text();
  const old = revisionOf(parseDom(edit))!;
  await app.stores.patients.delete(1, 9046);
  const mine = form(PATIENT, { revision: old, _csrf: b.csrf });
  const res = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), mine);
  assert.equal(res.status, 404);
  const row = firstOf(parseDom(await res.text()));
  assert.deepEqual(
    [row?.localName, attributesOf(row)],
    ["tr", { id: "patient-9046", class: "gone" }],
  );
  const cell = row?.children[0];
  assert.deepEqual([cell?.localName, attributesOf(cell)], ["td", { colspan: "13", role: "alert" }]);
  assert.ok(
    textOf(cell).startsWith(
      "Patient 9046 was already deleted, or does not exist. Your changes were not",
    ),
    textOf(cell),
  );
  const page = await send(b, "POST", "/patients/9046", {}, mine);
  assert.equal(page.status, 404);
  assert.match(parseDom(await page.text()).text("main"), /was already deleted, or does not exist/);
  assert.equal(await app.stores.patients.get(1, 9046), null, "not brought back");
});

eachBackend("a delete answers no row, the count and a message; again says so", async (app, b) => {
  await app.stores.patients.create(1, { ...PATIENT, id: 5 });
  // As static/app.js sends a row's Delete: a POST to the record's delete address, through htmx.
  const del = () =>
    send(b, "POST", "/patients/9046/delete", hx(b, "patient-9046"), new URLSearchParams());
  const res = await del();
  assert.equal(res.status, 200);
  const dom = parseDom(await res.text());
  assert.equal(rowsOf(dom).length, 0, "no row, not even out of band");
  assertOobCount(dom, "1–1 of 1 patient");
  // The export panel counts the view's patients as the table does.
  assert.equal(dom.find("#export-view")?.getAttribute("hx-swap-oob"), "true");
  assert.equal(
    dom.text("#export-view"),
    "The 1 patient of this view, with its filters and sort, in the dataset's format: CSV · JSON. " +
      "Their admissions, one row each (the import's columns, times in your time zone): " +
      "admissions CSV",
  );
  assertOobAlert(dom, "Patient 9046 deleted. Undo Recently deleted"); // Undo: deleted_pages_test
  assert.equal(await app.stores.patients.get(1, 9046), null);
  const again = await del();
  assert.equal(again.status, 404);
  const againText = allText(parseDom(await again.text()));
  assert.match(againText, /Patient 9046 was already deleted, or does not exist\./);

  const confirm = parseDom(await (await b.get("/patients/5/delete")).text());
  assert.equal(confirm.text("h1"), "Delete patient 5?");
  const post = await b.postForm("/patients/5/delete", {});
  assert.equal(post.status, 303);
  assert.equal(post.headers.get("Location"), "/patients");
  const list = parseDom(await (await b.get("/patients")).text());
  assert.match(list.text('[role="status"]'), /^Patient 5 deleted\./);
  assert.equal(await app.stores.patients.count(1), 0);
  // Gone: a 404 page that says so (a 404 is also what another user's id must get).
  const gonePage = await b.postForm("/patients/5/delete", {});
  assert.equal(gonePage.status, 404);
  const goneText = allText(parseDom(await gonePage.text()));
  assert.match(goneText, /Patient 5 was already deleted, or does not exist\./);
});

eachBackend("add, edit and delete are refused without the session's CSRF token", async (app, b) => {
  const body = (token?: string) => form({ ...PATIENT, age: 1 }, token ? { _csrf: token } : {});
  const noToken = { "HX-Request": "true" };
  const wrong = { "HX-Request": "true", "X-CSRF-Token": "forged" };
  const attempts: [string, string, HeadersInit, BodyInit?][] = [
    ["POST", "/patients", noToken, body()],
    ["POST", "/patients", wrong, body()],
    ["POST", "/patients", {}, body("forged")],
    ["POST", "/patients", { Origin: "http://evil.example" }, body(b.csrf)],
    ["PUT", "/patients/9046", noToken, body()],
    ["PUT", "/patients/9046", wrong, body()],
    ["POST", "/patients/9046", {}, body()],
    ["POST", "/patients/9046/delete", noToken, body()],
    ["POST", "/patients/9046/delete", wrong, body()],
    ["POST", "/patients/9046/delete", {}, body()],
    ["POST", "/patients/9046/delete", { Origin: "http://evil.example" }, body(b.csrf)],
  ];
  for (const [method, path, headers, payload] of attempts) {
    const res = await send(b, method, path, headers, payload);
    assert.equal(res.status, 403, `${method} ${path} ${JSON.stringify(headers)}`);
    await res.body?.cancel();
  }
  assert.equal(await app.stores.patients.count(1), 1);
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 67);
});

eachBackend("htmx errors come back as fragments, not pages", async (_app, b) => {
  const res = await b.get("/patients/123/edit", hx(b, "patient-123"));
  assert.equal(res.status, 404);
  const html = await res.text();
  assert.ok(!isPage(html), "a fragment");
  const first = firstOf(parseDom(html));
  assert.deepEqual(
    [first?.localName, attributesOf(first)],
    ["div", { class: "alert alert-error", role: "alert" }],
  );
});
