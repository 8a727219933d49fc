/**
 * The list's view on `/patients` as a clinician keeps it: filter mistakes shown at their field
 * (never an error page), the view carried through the plain edit and delete pages, counts that
 * match the rows on screen after an inline add or delete, and a row saved out of the filters.
 */
import assert from "node:assert/strict";
import type { TestApp } from "./helpers/app.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { formFields, htmxHeaders, testWithAnn } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

/** One test per backend; Ann (user 1) is logged in and owns patients 1001–1060. */
const test = (name: string, body: (app: TestApp, ann: TestBrowser) => Promise<void>) =>
  testWithAnn(name, (app) => app.stores.patients.insertMany(1, samplePatients(60, 1001)), body);

const htmx = htmxHeaders;
const page = async (ann: TestBrowser, path: string, headers: HeadersInit = {}) => {
  const res = await ann.get(path, headers);
  return { status: res.status, headers: res.headers, dom: parseDom(await res.text()) };
};
const rows = (dom: Dom) => dom.all("tbody > tr[id^='patient-']").map((row) => row.id.slice(8));
/** The headers htmx sends when the filter form reloads the table (htmx names the form). */
const fromFilters = (ann: TestBrowser) => ({
  ...htmx(ann, "patient-table"),
  "HX-Trigger": "filters",
});

test(
  "a filter mistake comes back as the list, the message in words at its field",
  async (_app, ann) => {
    const cases: [string, string, RegExp][] = [
      ["age_max=abc", "age_max", /^Enter an age in years from 0 to 120/],
      ["age_min=60&age_max=30", "age_min", /^“Age from” \(60\) is above “Age to” \(30\)$/],
      ["age_min=40,5", "age_min", /^Write decimals with a point: 40\.5$/],
      ["q=12a", "q", /^Enter a patient ID: a whole number/],
      ["gender=male", "gender", /^“male” is not one of the choices for gender$/],
      ["per_page=0", "per_page", /^Choose from 1 to 500 rows per page$/],
    ];
    for (const [qs, field, message] of cases) {
      // Without JavaScript: the whole page, the field marked and described, the input kept.
      const plain = await page(ann, `/patients?${qs}`);
      assert.equal(plain.status, 422, qs);
      const control = plain.dom.get(`#filters #filter-${field}`);
      assert.equal(control.getAttribute("aria-invalid"), "true", qs);
      assert.equal(
        control.getAttribute("aria-describedby")?.includes(`filter-${field}-error`),
        true,
      );
      assert.match(plain.dom.text(`#filter-${field}-error`), message, qs);
      assert.doesNotMatch(
        plain.dom.text("#filters"),
        /age_max|age_min|per_page/,
        "words, no names",
      );
      assert.ok(plain.dom.find("details#filters-panel[open]"), `${qs}: unfolded on a phone`);
      assert.deepEqual(rows(plain.dom), [], `${qs}: no rows of an earlier view`);
      assert.match(plain.dom.text("#patient-count"), /No patients shown/);
      assert.equal(plain.dom.find("nav.pagination"), null, `${qs}: no pages of nothing`);
      // With htmx: the table cleared, and the message out of band into the field's slot.
      const frag = await page(ann, `/patients?${qs}`, fromFilters(ann));
      assert.equal(frag.status, 422, qs);
      assert.equal(frag.dom.get("body").children[0]?.id, "patient-table");
      assert.deepEqual(rows(frag.dom), []);
      const slot = frag.dom.get(`p#filter-${field}-error[hx-swap-oob="true"]`);
      assert.deepEqual([slot.hasAttribute("hidden"), slot.getAttribute("role")], [false, "alert"]);
      assert.match(textOf(slot), message);
      const pushed = decodeURIComponent(frag.headers.get("HX-Push-Url") ?? "");
      assert.equal(pushed, `/patients?${qs}`, "a reload shows the same");
    }
    // Corrected: every slot comes back empty and hidden, and the rows return.
    const fixed = await page(ann, "/patients?age_max=30", fromFilters(ann));
    assert.equal(fixed.status, 200);
    const slots = fixed.dom.all('p.field-error[hx-swap-oob="true"]');
    assert.equal(slots.length, 16); // a slot per filter field, the admission ones included
    assert.ok(slots.every((s) => s.hasAttribute("hidden") && textOf(s) === ""));
    assert.ok(rows(fixed.dom).length > 0);
    assert.equal(fixed.dom.text("#filters-active"), "(1 active)");
    // The JSON API keeps its strict 400.
    const api = await ann.get("/api/patient_data?age_max=abc", { Accept: "application/json" });
    assert.equal(api.status, 400);
    assert.equal((await api.json()).errors[0].field, "age_max");
  },
);

test(
  "an unknown part of the address is left out with a note; any page size is offered",
  async (_app, ann) => {
    const address = "/patients?colour=red&per_page=7&gender=Female";
    const { status, dom } = await page(ann, address);
    assert.equal(status, 200);
    assert.equal(rows(dom).length, 7);
    assert.equal(dom.text("#patient-count"), "1–7 of 30 patients");
    assert.equal(dom.text("#filters-panel > summary"), "Filters (1 active)");
    // The filter panel, open on the page or fetched when it first opens, says so.
    const open = (await page(ann, `${address}&filters=open`)).dom;
    const fetched = (await page(ann, "/patients/filters", htmx(ann, "", address))).dom;
    for (const filters of [open, fetched]) {
      assert.match(filters.text("#filters-alert"), /not understood and is left out: “colour=red”/);
      assert.deepEqual(
        filters.all("#filter-per_page option").map((o) => [textOf(o), o.hasAttribute("selected")]),
        [["7", true], ["25", false], ["50", false], ["100", false], ["200", false]],
      );
    }
  },
);

test(
  "without JavaScript, edit and delete carry the list's view there and back",
  async (app, ann) => {
    const view = "gender=Female&sort=-age";
    const list = (await page(ann, `/patients?${view}`)).dom;
    const id = rows(list)[0]!;
    // A row's links name the record only; the browser says which list they were followed from.
    const from = { Referer: `http://127.0.0.1:5000/patients?${view}` };
    assert.equal(
      list.findNamed(`Edit patient ${id}`)?.getAttribute("href"),
      `/patients/${id}/edit`,
    );
    const detail = (await page(ann, `/patients/${id}`, from)).dom;
    assert.equal(detail.find("p.back a")?.getAttribute("href"), `/patients?${view}#patient-${id}`);
    const edit = (await page(ann, `/patients/${id}/edit`, from)).dom;
    assert.equal(edit.find("form.card")?.getAttribute("action"), `/patients/${id}?${view}`);
    assert.equal(
      edit.find("a.button-secondary")?.getAttribute("href"),
      `/patients?${view}#patient-${id}`,
    );
    // Opened from elsewhere (or with no Referer sent): the list as it first shows.
    const bare = (await page(ann, `/patients/${id}/edit`)).dom;
    assert.equal(bare.find("form.card")?.getAttribute("action"), `/patients/${id}`);
    const saved = await ann.postForm(`/patients/${id}?${view}`, {
      ...formFields(samplePatient({ gender: "Female", age: 33 })),
    });
    assert.equal(saved.headers.get("Location"), `/patients?${view}#patient-${id}`);
    assert.equal((await app.stores.patients.get(1, Number(id)))?.age, 33);
    assert.match((await page(ann, `/patients?${view}`)).dom.text("#patient-status"), /saved\.$/);
    // Saved out of the filters: the message says why the row is not in the list.
    const out = await ann.postForm(`/patients/${id}?${view}`, {
      ...formFields(samplePatient({ gender: "Male" })),
    });
    assert.equal(out.status, 303);
    const after = (await page(ann, `/patients?${view}`)).dom;
    assert.match(after.text("#patient-status"), /no longer matches the filters/);
    // A row's Delete submits the page's one delete form: the view once, the row's id its value.
    const form = list.get("form#del");
    assert.deepEqual(
      [form.getAttribute("method"), form.getAttribute("action")],
      ["get", "/patients/delete"],
    );
    const hidden = form.querySelectorAll('input[type="hidden"]');
    assert.deepEqual([...hidden].map((i) => [i.getAttribute("name"), i.getAttribute("value")]), [
      ["gender", "Female"],
      ["sort", "-age"],
    ]);
    const button = list.named(`Delete patient ${id}`);
    assert.deepEqual(
      ["form", "name", "value"].map((name) => button.getAttribute(name)),
      ["del", "id", id],
    );
    const sent = await ann.get(`/patients/delete?${view}&page=2&id=1002`);
    assert.equal(sent.status, 303);
    assert.equal(sent.headers.get("Location"), `/patients/1002/delete?${view}&page=2`);
    const confirm = (await page(ann, `/patients/1002/delete?${view}&page=2`)).dom;
    const action = `/patients/1002/delete?${view}&page=2`;
    assert.equal(confirm.find("form.card")?.getAttribute("action"), action);
    const deleted = await ann.postForm(action, {});
    assert.equal(deleted.headers.get("Location"), `/patients?${view}&page=2`);
  },
);

test("an inline add or delete keeps the count true to the rows on screen", async (_app, ann) => {
  const add = async (current: string) => {
    const body = new URLSearchParams({ ...formFields(samplePatient()), _csrf: ann.csrf });
    const res = await ann.request("/patients", {
      method: "POST",
      body,
      headers: htmx(ann, "add", current),
    });
    return parseDom(await res.text());
  };
  // A full page: the new row goes above it, apart, and "1–25" still names the page's rows.
  const full = await add("/patients?per_page=25");
  const into = (dom: Dom) =>
    dom.get("body > template").innerHTML.match(/hx-swap-oob="([^"]+)"/)?.[1];
  assert.equal(into(full), "afterend:#just-added-label");
  assert.equal(full.text("#patient-count"), "1–25 of 61 patients");
  // The last page has room: the row joins its rows, and the count with it.
  const last = await add("/patients?per_page=25&page=3");
  assert.equal(into(last), "afterbegin:#patient-rows");
  assert.equal(last.text("#patient-count"), "51–62 of 62 patients");
  // As static/app.js posts a row's Delete; a row added on the page says so.
  const del = async (id: number, fields: Record<string, string> = {}) => {
    const headers = htmx(ann, `patient-${id}`, "/patients?per_page=25");
    const body = new URLSearchParams({ id: String(id), ...fields });
    const res = await ann.request(`/patients/${id}/delete`, { method: "POST", headers, body });
    return parseDom(await res.text()).text("#patient-count");
  };
  assert.equal(
    await del(1061, { added: "1" }),
    "1–25 of 61 patients",
    "one added above the page",
  );
  assert.equal(await del(1001), "1–24 of 60 patients");
});

test(
  "an htmx save that takes a row out of the filters marks the row and says so",
  async (_app, ann) => {
    const edit = parseDom(
      await (await ann.get("/patients/1002/edit", htmx(ann, "patient-1002"))).text(),
    );
    const revision = edit.get('input[name="revision"]').getAttribute("value")!;
    const body = new URLSearchParams({
      ...formFields(samplePatient({ gender: "Male" })),
      revision,
    });
    const res = await ann.request("/patients/1002", {
      method: "PUT",
      body,
      headers: htmx(ann, "patient-1002", "/patients?gender=Female"),
    });
    const dom = parseDom(await res.text());
    const row = dom.get("body").children[0];
    assert.equal(row?.getAttribute("class"), "changed outside");
    assert.equal(textOf(row?.querySelector(".tag")), "Not in this view");
    assert.match(dom.text("#patient-status"), /no longer matches the filters/);
  },
);

test("a decimal comma is explained: write a point", async (_app, ann) => {
  const body = new URLSearchParams({
    ...formFields(samplePatient()),
    bmi: "28,4",
    _csrf: ann.csrf,
  });
  const res = await ann.request("/patients", { method: "POST", body, headers: htmx(ann, "add") });
  assert.equal(res.status, 422);
  assert.match(
    parseDom(await res.text()).text("#add-bmi-error"),
    /Write decimals with a point: 28\.4$/,
  );
});

test(
  "a missing patient's page offers the list; a token is revoked only after asking",
  async (_app, ann) => {
    const missing = await page(ann, "/patients/999");
    assert.equal(missing.status, 404);
    assert.equal(missing.dom.find(".error-page a.button")?.getAttribute("href"), "/patients");
    await ann.get("/profile");
    const created = parseDom(
      await (await ann.postForm("/profile/tokens", { name: "notebook" })).text(),
    );
    // The new token at the top, before the forms, with a Copy button (shown by the script).
    const order = [...created.get("main").children].map((el) => el.localName);
    assert.deepEqual(order.slice(1, 5), ["h1", "p", "div", "div"]);
    assert.equal(created.get("main").children[4]?.getAttribute("class"), "grid-2");
    const top = created.get("main > .alert-ok");
    assert.ok(top.querySelector("input#new-token[readonly][autofocus]"), "the token first");
    assert.equal(top.querySelector("button[data-copy]")?.getAttribute("data-copy"), "new-token");
    const profile = (await page(ann, "/profile")).dom;
    const revoke = profile.get("table.tokens form");
    assert.equal(revoke.getAttribute("method"), "get", "Revoke asks first");
    const path = revoke.getAttribute("action")!;
    const asking = (await page(ann, path)).dom;
    assert.match(asking.text("h1"), /^Revoke the token “notebook”\?$/);
    assert.equal(asking.find('main form[method="post"]')?.getAttribute("action"), path);
    assert.equal((await ann.postForm(path, {})).status, 303);
    assert.match((await page(ann, "/profile")).dom.text("main"), /You have no API tokens/);
    const gone = await ann.get(path);
    assert.equal(gone.headers.get("Location"), "/profile#tokens");
  },
);
