/** Undo, "Recently deleted" and history in the browser: htmx fragments and the same forms without JavaScript. */
import assert from "node:assert/strict";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { testWithFirstRow } from "./helpers/patients_pages.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const eachBackend = testWithFirstRow;

const hx = (browser: TestBrowser, current = "/patients") => ({
  "HX-Request": "true",
  "HX-Current-URL": `http://127.0.0.1:5000${current}`,
  "X-CSRF-Token": browser.csrf,
});

/** Submits a restore form as htmx does, from the page at `current`. */
const restoreByHtmx = (browser: TestBrowser, fields: Record<string, string>, current: string) =>
  browser.request("/patients/9046/restore", {
    method: "POST",
    headers: { ...hx(browser, current), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });

/** The form that submits the button with this accessible name. */
function formOf(dom: Dom, label: string) {
  const button = dom.all("button").find((b) => b.getAttribute("aria-label") === label);
  assert.ok(button, `a button "${label}"`);
  return button.closest("form")!;
}

/** The hidden and text fields of a form, as it would submit them. */
function fieldsOf(form: ReturnType<typeof formOf>): Record<string, string> {
  return Object.fromEntries(
    [...form.querySelectorAll("input")].map((
      i,
    ) => [i.getAttribute("name"), i.getAttribute("value") ?? ""]),
  );
}

eachBackend(
  "without JavaScript a delete offers Undo on the next page, and Undo brings the row back",
  async (app, browser) => {
    const confirm = parseDom(await (await browser.get("/patients/9046/delete")).text());
    assert.ok(confirm.find('input[name="reason"]'), "the confirmation asks for a reason");
    const deleted = await browser.postForm("/patients/9046/delete", { reason: "Wrong ward" });
    assert.equal(deleted.status, 303);
    assert.equal(deleted.headers.get("Location"), "/patients");
    const list = parseDom(await (await browser.get("/patients")).text());
    assert.match(list.text("#patient-status"), /Patient 9046 deleted\. Undo/);
    assert.equal(list.find("#patient-9046"), null);
    const undo = formOf(list, "Undo (patient 9046)");
    assert.equal(undo.getAttribute("method"), "post");
    const restored = await browser.postForm(undo.getAttribute("action")!, fieldsOf(undo));
    assert.equal(restored.status, 303);
    assert.equal(restored.headers.get("Location"), "/patients?q=9046");
    const back = parseDom(await (await browser.get("/patients?q=9046")).text());
    assert.ok(back.find("#patient-9046"), "the row is back");
    assert.match(back.text("#patient-status"), /Patient 9046 restored/);
    const again = parseDom(await (await browser.get("/patients")).text());
    assert.doesNotMatch(again.text("#patient-status"), /Undo/, "the Undo is offered once");
    const history = (await app.stores.patients.audit.history(1, 9046)).map((e) => e.reason);
    assert.deepEqual(history.slice(0, 2), [null, "Wrong ward"]);
  },
);

eachBackend(
  "with htmx a delete answers an Undo, and Undo answers the row at the top of the table",
  async (_app, browser) => {
    const deleted = await browser.request("/patients/9046/delete", {
      method: "POST",
      headers: hx(browser),
      body: new URLSearchParams({ id: "9046" }),
    });
    assert.equal(deleted.status, 200);
    const fragment = parseDom(await deleted.text());
    const undo = formOf(fragment, "Undo (patient 9046)");
    assert.equal(undo.getAttribute("hx-post"), "/patients/9046/restore");
    assert.equal(undo.getAttribute("hx-swap"), "none");
    assert.match(fragment.text("#patient-count"), /0 of 0 patients/);
    const restored = await restoreByHtmx(browser, fieldsOf(undo), "/patients");
    assert.equal(restored.status, 200);
    const html = await restored.text();
    const answer = parseDom(html);
    const template = answer.get("template");
    assert.equal(
      template.querySelector("tbody")?.getAttribute("hx-swap-oob"),
      "afterbegin:#patient-rows",
    );
    assert.ok(parseDom(`<table>${template.innerHTML}</table>`).find("#patient-9046.changed"));
    assert.match(answer.text("#patient-count"), /1–1 of 1 patient/);
    assert.equal(answer.text("#patient-status"), "Patient 9046 restored.");
  },
);

eachBackend(
  "Recently deleted lists deleted records and restores them; a taken id is refused with 409",
  async (app, browser) => {
    await browser.postForm("/patients/9046/delete", {});
    const page = parseDom(await (await browser.get("/patients/deleted")).text());
    const rows = page.all("table.deleted tbody tr");
    assert.equal(rows.length, 1);
    assert.equal(textOf(rows[0]!.querySelector("th")), "9046");
    const restore = formOf(page, "Restore (patient 9046)");
    // Another patient takes the id meanwhile: the restore is refused and the copy waits.
    await app.stores.patients.create(1, { ...FIRST_ROW, age: 30 });
    const taken = await restoreByHtmx(browser, fieldsOf(restore), "/patients/deleted");
    assert.equal(taken.status, 409);
    assert.match(
      parseDom(await taken.text()).text('tr [role="alert"]'),
      /already have a patient with ID 9046/,
    );
    const plain = await browser.postForm("/patients/9046/restore", fieldsOf(restore));
    assert.equal(plain.status, 409, "without JavaScript: the page again, with the message");
    assert.match(parseDom(await plain.text()).text(".alert-error"), /already have a patient/);
    await browser.postForm("/patients/9046/delete", {});
    const swapped = await restoreByHtmx(browser, fieldsOf(restore), "/patients/deleted");
    assert.equal(swapped.status, 200);
    const row = parseDom(await swapped.text());
    assert.match(row.text("tr.restored"), /Patient 9046 is restored/);
    assert.equal((await app.stores.patients.get(1, 9046))?.age, 30, "the latest copy came back");
  },
);

eachBackend(
  "the patient page shows its history, and each row links to it",
  async (_app, browser) => {
    const edit = parseDom(await (await browser.get("/patients/9046/edit")).text());
    const fields: Record<string, string> = {};
    for (const input of edit.all("form.card input, form.card select")) {
      const selected = input.querySelector("option[selected]")?.getAttribute("value");
      fields[input.getAttribute("name")!] = selected ?? input.getAttribute("value") ?? "";
    }
    assert.ok(edit.find("#edit-reason"), "the edit form asks for a reason");
    await browser.postForm("/patients/9046", {
      ...fields,
      age: "70",
      reason: "Age from the ID card",
    });
    const list = parseDom(await (await browser.get("/patients")).text());
    const link = list.named("History of patient 9046");
    assert.equal(link?.getAttribute("href"), "/patients/9046/history");
    const detail = parseDom(await (await browser.get("/patients/9046")).text());
    const items = detail.all("#history li").map(textOf);
    assert.match(items[0]!, /^Viewed on its page by you/);
    assert.match(items[1]!, /^Changed by you.*Reason: Age from the ID card$/);
    const change = detail.all("#history li")[1]!.querySelectorAll("tbody tr");
    assert.deepEqual([...change].map((tr) => [...tr.children].map(textOf)), [["Age", "67", "70"]]);
    assert.match(items[2]!, /^Viewed in the edit form by you/);
    const page = parseDom(await (await browser.get("/patients/9046/history")).text());
    assert.equal(page.text("h1"), "History of patient 9046");
    assert.equal(page.all("#history li").length, 3, "the history page is not itself a view");
  },
);
