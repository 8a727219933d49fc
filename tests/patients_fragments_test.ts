/** Add, edit and delete on `/patients`: htmx fragments, the same forms without JavaScript, CSRF. */
import assert from "node:assert/strict";
import type { NewPatient } from "../lib/patient_fields.ts";
import {
  patientBackends,
  samplePatient,
  type TestApp,
  TestBrowser,
  withPatientsApp,
} from "./helpers.ts";

const PASSWORD = "correct horse battery staple";
const PATIENT: NewPatient = samplePatient();

/** One test per backend, with a logged-in user (id 1) who owns patient 9046 (the dataset's first). */
function eachBackend(name: string, body: (app: TestApp, browser: TestBrowser) => Promise<void>) {
  for (const backend of patientBackends()) {
    Deno.test(`${name} (${backend.name})`, () =>
      withPatientsApp(backend, async (app) => {
        const browser = new TestBrowser(app);
        assert.equal((await browser.register("Ann", "ann@example.org", PASSWORD)).status, 303);
        await app.stores.patients.create(1, { ...PATIENT, id: 9046 });
        assert.equal((await browser.get("/patients")).status, 200);
        await body(app, browser);
      }));
  }
}

/** The headers htmx sends (the page's hx-headers carry the CSRF token). */
const hx = (browser: TestBrowser, target: string, current = "/patients") => ({
  "HX-Request": "true",
  "HX-Target": target,
  "HX-Current-URL": `http://127.0.0.1:5000${current}`,
  "X-CSRF-Token": browser.csrf,
});
/** A patient as a submitted form: text, an unknown BMI empty. */
const form = (fields: Record<string, unknown>, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? "" : String(v)])),
    ...extra,
  });
/** The `<div class="field">` holding the control with this id: label, input, hint and error. */
const field = (html: string, id: string) =>
  new RegExp(`<div class="field[^"]*"><label for="${id}">(?:(?!</div>).)*</div>`, "s")
    .exec(html)?.[0] ?? "";
const send = (b: TestBrowser, method: string, path: string, h: HeadersInit, body?: BodyInit) =>
  b.request(path, { method, headers: h, ...(body === undefined ? {} : { body }) });
const oobCount = (text: string) =>
  new RegExp(`<p id="patient-count" class="count" hx-swap-oob="true">${text}</p>`);
const oobAlert = (text: string) =>
  new RegExp(`<div id="alerts" hx-swap-oob="innerHTML"><div [^>]*role="status">${text}</div>`);
const revisionOf = (html: string) => /name="revision" value="([^"]+)"/.exec(html)?.[1];

function assertLabelled(html: string) {
  const ids = [...html.matchAll(/<(?:input|select) id="([^"]+)"/g)].map((m) => m[1]!);
  for (const id of ids) assert.match(html, new RegExp(`<label for="${id}">`), `${id} has a label`);
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
    assert.equal(html.startsWith("<!DOCTYPE html>"), fullPage);
    assert.match(html, /<details id="add" class="card add-patient" open>/);
    assert.match(html, /role="alert">The patient was not added/);
    const age = field(html, "add-age");
    assert.match(age, /value="abc"[^>]*aria-invalid="true"/);
    assert.match(age, /<p class="field-error" id="add-age-error" role="alert">Age must be/);
    assert.match(field(html, "add-avg_glucose_level"), /value="-5"[^]*role="alert">Average/);
    assert.match(field(html, "add-gender"), /value="Male" selected>/);
    assert.match(field(html, "add-smoking_status"), /value="formerly smoked" selected>/);
    assert.doesNotMatch(field(html, "add-bmi") + field(html, "add-gender"), /field-error/);
    assertLabelled(html);
  }
  assert.equal(await app.stores.patients.count(1), 1, "nothing was stored");
});

eachBackend("an htmx add answers a fresh form, the row, count and message", async (app, b) => {
  const female = form({ ...PATIENT, gender: "Female", bmi: null }, { id: "" });
  const res = await send(b, "POST", "/patients", hx(b, "add", "/patients?gender=Female"), female);
  assert.equal(res.status, 200);
  const html = await res.text();
  const id = Number(/Patient (\d+) added/.exec(html)?.[1]);
  assert.notEqual(id, 9046);
  assert.equal((await app.stores.patients.get(1, id))?.gender, "Female", "the app chose an id");
  assert.match(html, /^<details id="add" class="card add-patient" open>/);
  assert.match(field(html, "add-id"), /value=""[^>]*autofocus/);
  assert.match(field(html, "add-age"), /value=""/);
  const rows = '<template><tbody hx-swap-oob="afterbegin:#patient-rows">';
  assert.ok(
    html.includes(`${rows}<tr id="patient-${id}" class="changed">`),
    "the row, out of band",
  );
  assert.match(html, /<td[^>]*>Female<\/td><td[^>]*>67<\/td>[^]*228\.69<\/td><td[^>]*>N\/A</);
  assert.match(html, oobCount("1–1 of 1 patient"));
  assert.match(html, oobAlert(`Patient ${id} added.`));
});

eachBackend("a no-JS add redirects with a flash; a taken id is refused", async (app, b) => {
  const res = await b.postForm("/patients", Object.fromEntries(form({ ...PATIENT, id: 77 })));
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), "/patients?q=77");
  const next = await (await b.get("/patients?q=77")).text();
  assert.match(next, /<div id="alerts"[^>]*><div [^>]*role="status">Patient 77 added\.<\/div>/);
  assert.match(next, /<tr id="patient-77"/);
  assert.doesNotMatch(await (await b.get("/patients")).text(), /Patient 77 added/, "shown once");
  const taken = form({ ...PATIENT, id: 9046, age: 1 }, { _csrf: b.csrf });
  for (const headers of [{}, hx(b, "add")]) {
    const again = await send(b, "POST", "/patients", headers, taken);
    assert.equal(again.status, 422);
    const id = field(await again.text(), "add-id");
    assert.match(id, /value="9046"[^]*role="alert">You already have a patient with ID 9046/);
  }
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 67);
});

eachBackend("the edit row has labelled inputs, selects for categorical fields", async (app, b) => {
  const res = await b.get("/patients/9046/edit", hx(b, "patient-9046"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Vary"), "HX-Request");
  const html = await res.text();
  assert.match(html, /^<tr id="patient-9046" class="editing" data-edit-row="true">/);
  assert.equal([...html.matchAll(/<select [^>]*form="edit-9046"/g)].length, 8);
  assert.equal([...html.matchAll(/<input [^>]*form="edit-9046"/g)].length, 3);
  assert.equal(assertLabelled(html).length, 11);
  assert.match(field(html, "edit-9046-gender"), /<select [^>]*autofocus[^]*"Male" selected>/);
  assert.match(field(html, "edit-9046-age"), /value="67"/);
  assert.match(field(html, "edit-9046-avg_glucose_level"), /value="228.69"/);
  assert.equal(revisionOf(html), (await app.stores.patients.get(1, 9046))?.revision);
  assert.match(html, /hx-get="\/patients\/9046\/row"[^>]*data-cancel="true">Cancel</);
  const row = await b.get("/patients/9046/row", hx(b, "patient-9046"));
  assert.match(await row.text(), /^<tr id="patient-9046"\s*>[^]*<a [^>]*autofocus[^>]*>Edit</);
  const plainRow = await b.get("/patients/9046/row");
  assert.equal(plainRow.headers.get("Location"), "/patients/9046");
  const page = await (await b.get("/patients/9046/edit")).text();
  assert.match(page, /^<!DOCTYPE html>[^]*hx-history="false"[^]*<h1>Edit patient 9046<\/h1>/);
  assert.match(page, /<form method="post" action="\/patients\/9046"/);
  assertLabelled(page);
});

eachBackend("a save answers the row or a redirect; bad input answers 422", async (app, b) => {
  const edit = await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text();
  const changed = { ...PATIENT, age: 68, smoking_status: "smokes", bmi: null };
  const put = await send(
    b,
    "PUT",
    "/patients/9046",
    hx(b, "patient-9046"),
    form(changed, { revision: revisionOf(edit)! }),
  );
  assert.equal(put.status, 200);
  const row = await put.text();
  assert.match(row, /^<tr id="patient-9046" class="changed">/);
  assert.match(row, /<td[^>]*>68<\/td>[^]*N\/A<\/td><td[^>]*>Smokes<\/td>/);
  assert.match(row, /<a [^>]*autofocus[^>]*>Edit</);
  assert.match(row, oobAlert("Patient 9046 saved."));
  const saved = await app.stores.patients.get(1, 9046);
  assert.deepEqual([saved?.age, saved?.smoking_status, saved?.bmi], [68, "smokes", null]);

  const bad = form({ ...changed, age: "-1", id: 1 }, {
    revision: saved!.revision,
    _csrf: b.csrf,
  });
  const invalid = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), bad);
  assert.equal(invalid.status, 422);
  const age = field(await invalid.text(), "edit-9046-age");
  assert.match(age, /value="-1"[^>]*autofocus[^]*role="alert">Age must be a number/);
  const invalidPage = await send(b, "POST", "/patients/9046", {}, bad);
  assert.equal(invalidPage.status, 422);
  assert.match(field(await invalidPage.text(), "edit-age"), /value="-1"[^]*role="alert">Age/);

  const post = await b.postForm("/patients/9046", Object.fromEntries(form(PATIENT)));
  assert.equal(post.status, 303);
  assert.equal(post.headers.get("Location"), "/patients?q=9046");
  assert.match(await (await b.get("/patients")).text(), /role="status">Patient 9046 saved\./);
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 67);
});

eachBackend("a stale save answers 409 with current values, overwriting nothing", async (app, b) => {
  const old = revisionOf(
    await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text(),
  )!;
  const current = await app.stores.patients.patch(1, 9046, { age: 70, work_type: "Govt_job" });
  const mine = form({ ...PATIENT, age: 50 }, { revision: old, _csrf: b.csrf });
  const ways = [["PUT", hx(b, "patient-9046"), "edit-9046-age"], [
    "POST",
    {},
    "edit-age",
  ]] as const;
  for (const [method, headers, ageId] of ways) {
    const res = await send(b, method, "/patients/9046", headers, mine);
    assert.equal(res.status, 409);
    const html = await res.text();
    assert.match(html, /role="alert">Someone else changed this patient[^<]*not saved/);
    assert.match(field(html, ageId), /value="70"/);
    assert.match(html, /value="Govt_job" selected>/);
    assert.equal(revisionOf(html), current.revision);
    assert.equal((await app.stores.patients.get(1, 9046))?.age, 70, "nothing overwritten");
  }
  const retry = form({ ...PATIENT, age: 50 }, { revision: current.revision });
  const ok = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), retry);
  assert.equal(ok.status, 200);
  assert.equal((await app.stores.patients.get(1, 9046))?.age, 50);
});

eachBackend("saving a record deleted meanwhile answers a row saying so", async (app, b) => {
  const old = revisionOf(await (await b.get("/patients/9046/edit", hx(b, "patient-9046"))).text())!;
  await app.stores.patients.delete(1, 9046);
  const mine = form(PATIENT, { revision: old, _csrf: b.csrf });
  const res = await send(b, "PUT", "/patients/9046", hx(b, "patient-9046"), mine);
  assert.equal(res.status, 404);
  const gone = '<tr id="patient-9046" class="gone"><td colspan="13" role="alert">Patient 9046 was';
  assert.ok(
    (await res.text()).startsWith(
      `${gone} already deleted, or does not exist. Your changes were not`,
    ),
  );
  const page = await send(b, "POST", "/patients/9046", {}, mine);
  assert.equal(page.status, 404);
  assert.match(await page.text(), /was already deleted, or does not exist/);
  assert.equal(await app.stores.patients.get(1, 9046), null, "not brought back");
});

eachBackend("a delete answers no row, the count and a message; again says so", async (app, b) => {
  await app.stores.patients.create(1, { ...PATIENT, id: 5 });
  const del = () => send(b, "DELETE", "/patients/9046", hx(b, "patient-9046"));
  const res = await del();
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.doesNotMatch(html, /<tr/);
  assert.match(html, oobCount("1–1 of 1 patient"));
  assert.match(html, oobAlert("Patient 9046 deleted."));
  assert.equal(await app.stores.patients.get(1, 9046), null);
  const again = await del();
  assert.equal(again.status, 404);
  assert.match(await again.text(), /Patient 9046 was already deleted, or does not exist\./);

  const confirm = await (await b.get("/patients/5/delete")).text();
  assert.match(confirm, /<h1>Delete patient 5\?<\/h1>/);
  const post = await b.postForm("/patients/5/delete", {});
  assert.equal(post.status, 303);
  assert.equal(post.headers.get("Location"), "/patients");
  assert.match(await (await b.get("/patients")).text(), /role="status">Patient 5 deleted\./);
  assert.equal(await app.stores.patients.count(1), 0);
  // Gone: a 404 page that says so (a 404 is also what another user's id must get).
  const gonePage = await b.postForm("/patients/5/delete", {});
  assert.equal(gonePage.status, 404);
  assert.match(await gonePage.text(), /Patient 5 was already deleted, or does not exist\./);
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
    ["DELETE", "/patients/9046", noToken],
    ["DELETE", "/patients/9046", wrong],
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
  assert.match(await res.text(), /^<div class="alert alert-error" role="alert">/);
});
