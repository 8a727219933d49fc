/**
 * The records pages in a team registry, on every accounts backend, without JavaScript and
 * through htmx: an editor adds, edits, deletes, undoes, restores, imports and exports there —
 * each lands in the team registry (the editor's personal one stays empty) and every link, form,
 * htmx address and redirect of those pages stays in it; the Undo of a delete restores in the
 * registry of the delete wherever it is shown; a viewer sees no control to change records and
 * only the de-identified export, and a form posted anyway is a 403 naming the editor role; a
 * non-member gets 404 on every page, and so does a member removed meanwhile, at once.
 */
import assert from "node:assert/strict";
import { createRegistryService } from "../lib/registry_service.ts";
import { loadDocument } from "./helpers/api.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { csvRow, HEADER } from "./helpers/csv_files.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { type Dom, type DomElement, isPage, parseDom, textOf } from "./helpers/html.ts";
import { formFields } from "./helpers/patients_pages.ts";
import {
  addMember,
  type Member,
  memberPath,
  newMember,
  teamRegistry,
} from "./helpers/registries.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const ORIGIN = "http://127.0.0.1:5000";

/** The attributes that hold an address a page sends its user to. */
const ADDRESSES = [
  "href",
  "action",
  "formaction",
  "hx-get",
  "hx-post",
  "hx-put",
  "hx-delete",
  "hx-patch",
  "hx-push-url",
  // The address a row's Delete posts to through htmx (static/app.js), `{id}` the row's.
  "data-post",
];
/**
 * Addresses of the records areas: each acts in the registry its address names (the import's
 * template aside: the same empty table for everyone, served without a session).
 */
const RECORDS = /^\/(patients|dashboard|api\/patient_data(?!\/import\/template))(?=[/?#]|$)/;

/** Every element of an answer, those of its `<template>`s (sent out of band) too. */
function elementsOf(dom: Dom): DomElement[] {
  const inTemplates = dom.all("template").flatMap((template) =>
    elementsOf(parseDom(`<table>${template.innerHTML}</table>`))
  );
  return [...dom.all("body *"), ...inTemplates];
}

/**
 * Asserts that every records address of an answer (page or fragment) names registry `rid`, and
 * that every GET form to one carries it as a field (a browser drops the query of its action);
 * the header's switcher, which leads to the user's other registries, aside. Answers how many
 * addresses it checked.
 */
function assertStaysIn(html: string, rid: string, where: string): number {
  const dom = parseDom(html);
  let checked = 0;
  for (const element of elementsOf(dom)) {
    if (element.closest("[data-registry-menu]")) continue;
    for (const name of ADDRESSES) {
      const value = element.getAttribute(name);
      if (value === null || !RECORDS.test(value)) continue;
      const url = new URL(value, ORIGIN);
      assert.equal(
        url.searchParams.get("registry"),
        rid,
        `${where}: <${element.localName} ${name}="${value}"> stays in the registry`,
      );
      checked++;
    }
    const action = element.getAttribute("action");
    if (element.localName === "form" && action && RECORDS.test(action)) {
      if ((element.getAttribute("method") ?? "get").toLowerCase() === "get") {
        assert.equal(
          element.querySelector('input[name="registry"]')?.getAttribute("value"),
          rid,
          `${where}: the GET form to ${action} carries the registry as a field`,
        );
      }
    }
  }
  return checked;
}

/** An answer's text, status and DOM; a page's links checked to stay in `rid`. */
async function open(browser: TestBrowser, path: string, rid: string, headers: HeadersInit = {}) {
  const res = await browser.get(path, headers);
  const html = await res.text();
  assert.equal(res.status, 200, `${path} opens: ${html.slice(0, 300)}`);
  const checked = assertStaysIn(html, rid, path);
  return { html, dom: parseDom(html), checked };
}

/** The fields a form submits as a browser would: inputs, the selected options, text areas. */
function fieldsOf(form: DomElement): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll("input[name]")) {
    const type = input.getAttribute("type") ?? "text";
    if ((type === "checkbox" || type === "radio") && !input.hasAttribute("checked")) continue;
    if (type === "file") continue;
    fields[input.getAttribute("name")!] = input.getAttribute("value") ?? "";
  }
  for (const select of form.querySelectorAll("select[name]")) {
    const chosen = select.querySelector("option[selected]") ?? select.querySelector("option");
    fields[select.getAttribute("name")!] = chosen?.getAttribute("value") ?? "";
  }
  for (const area of form.querySelectorAll("textarea[name]")) {
    fields[area.getAttribute("name")!] = area.textContent ?? "";
  }
  return fields;
}

/** Where a GET form leads: its action's path with its fields as the query, as a browser does. */
function getFormUrl(form: DomElement): string {
  const path = new URL(form.getAttribute("action")!, ORIGIN).pathname;
  const { _csrf: _, ...fields } = fieldsOf(form);
  return `${path}?${new URLSearchParams(fields)}`;
}

/** `path` with `fields` added to its query. */
function withFields(path: string, fields: Record<string, string>): string {
  const url = new URL(path, ORIGIN);
  for (const [name, value] of Object.entries(fields)) url.searchParams.append(name, value);
  return `${url.pathname}${url.search}`;
}

/**
 * The de-identified export's form as the list's Export panel fetches it when it first opens,
 * checked to stay in `rid`, with the fields the browser sends: its own and the view's, which
 * stand beside it in the panel (`form=`).
 */
async function deidentifyForm(browser: TestBrowser, rid: string, list: Dom) {
  const panel = list.get("#export [hx-get]");
  const res = await browser.get(
    panel.getAttribute("hx-get")!,
    htmx(browser, `/patients?registry=${rid}`, ""),
  );
  const html = await res.text();
  assert.equal(res.status, 200, html);
  assertStaysIn(html, rid, "the de-identified export's form");
  const form = parseDom(html).get("form.deidentify");
  const view = Object.fromEntries(
    list.all("#export-view input[form]").map((
      i,
    ) => [i.getAttribute("name")!, i.getAttribute("value")!]),
  );
  return { form, url: withFields(getFormUrl(form), view), fields: { ...view, ...fieldsOf(form) } };
}

/** The headers htmx sends from the page at `current`. */
const htmx = (browser: TestBrowser, current: string, target?: string) => ({
  "HX-Request": "true",
  "HX-Current-URL": `${ORIGIN}${current}`,
  "X-CSRF-Token": browser.csrf,
  ...(target ? { "HX-Target": target } : {}),
});

/** Sends a form's fields through htmx. */
function htmxSend(
  browser: TestBrowser,
  method: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string>,
) {
  return browser.request(path, {
    method,
    headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
}

/** A redirect's `Location`, asserted to stay in `rid`. */
function redirectIn(res: Response, rid: string, what: string): string {
  assert.equal(res.status, 303, `${what} redirects`);
  const location = res.headers.get("Location")!;
  assert.equal(new URL(location, ORIGIN).searchParams.get("registry"), rid, `${what}: ${location}`);
  return location;
}

interface Team {
  app: TestApp;
  rid: string;
  /** The team registry's number: its records' scope in the patient store. */
  scope: number;
  owner: Member;
  editor: Member;
  viewer: Member;
  outsider: Member;
}

/** Ann owns "Stroke unit"; Bob edits, Vic views; Nat is no member. */
async function team(app: TestApp): Promise<Team> {
  await loadDocument(app);
  const owner = await newMember(app, "ann@example.org");
  const editor = await newMember(app, "bob@example.org");
  const viewer = await newMember(app, "vic@example.org");
  const outsider = await newMember(app, "nat@example.org");
  const rid = await teamRegistry(owner.user);
  await addMember(owner.user, rid, editor.user.email, "editor");
  await addMember(owner.user, rid, viewer.user.email, "viewer");
  const { scope } = await createRegistryService(app.stores.accounts).resolveAccess(
    { userId: owner.user.id },
    rid,
  );
  return { app, rid, scope, owner, editor, viewer, outsider };
}

/** The ids of the team registry's live records. */
async function teamIds({ app, scope }: Team): Promise<number[]> {
  const { items } = await app.stores.patients.list(scope, {
    filter: {},
    sort: { field: "id", direction: "asc" },
    page: 1,
    perPage: 100,
  });
  return items.map((p) => p.id);
}

/** Uploads `text` through the upload page's own form, as a browser sends it. */
function upload(browser: TestBrowser, page: Dom, text: string) {
  const form = page.get('form[enctype="multipart/form-data"]');
  const body = new FormData();
  for (const [name, value] of Object.entries(fieldsOf(form))) body.set(name, value);
  body.set("file", new File([text], "ward.csv", { type: "text/csv" }));
  return browser.request(form.getAttribute("action")!, { method: "POST", body });
}

for (const backend of accountBackends()) {
  const test = (name: string, body: (team: Team) => Promise<void>) =>
    Deno.test(
      `[${backend.name}] ${name}`,
      () => withAccountsApp(backend, {}, async (app) => await body(await team(app))),
    );

  test("an editor adds, edits and deletes in a team registry, without JavaScript", async (t) => {
    const { rid, editor } = t;
    const bob = editor.browser;
    const list = `/patients?registry=${rid}`;
    const first = await open(bob, list, rid);
    assert.equal(first.dom.text("h1"), "Patients · Stroke unit (editor)");
    assert.ok(first.checked >= 5, `the empty list's links are checked (${first.checked})`);

    // Add, through the add form's own address (open: the list is empty).
    const addForm = first.dom.get("form#add-patient");
    const added = await bob.postForm(addForm.getAttribute("action")!, {
      ...formFields(FIRST_ROW),
      id: "501",
    });
    const afterAdd = redirectIn(added, rid, "an add");
    const shown = await open(bob, afterAdd, rid);
    assert.ok(shown.dom.find("#patient-501"), "the new record is in the team's list");
    assert.match(shown.dom.text("#patient-status"), /Patient 501 added/);
    assert.deepEqual(await teamIds(t), [501]);
    assert.equal(await t.app.stores.patients.count(editor.user.id), 0, "none is personal");

    // Edit: the row's Edit link, the edit page's form, and back to the list in the registry.
    const editLink = shown.dom.named("Edit patient 501").getAttribute("href")!;
    const editPage = await open(bob, editLink, rid);
    assert.equal(editPage.dom.text("h1"), "Edit patient 501 · Stroke unit (editor)");
    const editForm = editPage.dom.get('main form[method="post"]');
    const saved = await bob.postForm(editForm.getAttribute("action")!, {
      ...fieldsOf(editForm),
      age: "71",
    });
    const afterSave = redirectIn(saved, rid, "a save");
    assert.match(afterSave, /#patient-501$/);
    const listed = await open(bob, afterSave, rid);
    assert.match(listed.dom.text("#patient-status"), /Patient 501 saved/);
    assert.equal((await t.app.stores.patients.get(t.scope, 501))?.age, 71);

    // The record's own page and its history stay in the registry too.
    const detail = await open(bob, listed.dom.get("#patient-501 th a").getAttribute("href")!, rid);
    assert.equal(detail.dom.text("h1"), "Patient 501 · Stroke unit (editor)");
    const history = await open(
      bob,
      listed.dom.named("History of patient 501").getAttribute("href")!,
      rid,
    );
    assert.match(history.dom.text("main"), /Changed by you/);

    // Delete: the row's button submits the page's delete form (a GET), on to the confirmation.
    const deleteForm = listed.dom.get('form#del[method="get"]');
    const deleteButton = listed.dom.named("Delete patient 501");
    assert.equal(deleteButton.getAttribute("form"), "del");
    assert.equal(deleteButton.getAttribute("value"), "501");
    const sent = await bob.get(withFields(getFormUrl(deleteForm), { id: "501" }));
    const confirm = await open(bob, redirectIn(sent, rid, "a row's Delete"), rid);
    assert.equal(confirm.dom.text("h1"), "Delete patient 501? · Stroke unit (editor)");
    const confirmForm = confirm.dom.get('main form[method="post"]');
    const deleted = await bob.postForm(confirmForm.getAttribute("action")!, {
      ...fieldsOf(confirmForm),
      reason: "Entered twice",
    });
    const afterDelete = redirectIn(deleted, rid, "a delete");
    const gone = await open(bob, afterDelete, rid);
    assert.equal(gone.dom.find("#patient-501"), null);
    assert.deepEqual(await teamIds(t), []);

    // Undo, offered on the next page: back in the team registry.
    const undo = gone.dom.get("form[data-restores]");
    const undone = await bob.postForm(undo.getAttribute("action")!, fieldsOf(undo));
    await open(bob, redirectIn(undone, rid, "an Undo"), rid);
    assert.deepEqual(await teamIds(t), [501]);

    // Delete again; restore from "Recently deleted".
    const again = await open(bob, list, rid);
    const second = await bob.get(
      withFields(getFormUrl(again.dom.get("form#del")), { id: "501" }),
    );
    const secondPage = await bob.get(redirectIn(second, rid, "a row's Delete"));
    const secondForm = parseDom(await secondPage.text()).get('main form[method="post"]');
    const deletedAgain = await bob.postForm(secondForm.getAttribute("action")!, {
      ...fieldsOf(secondForm),
    });
    await open(bob, redirectIn(deletedAgain, rid, "a second delete"), rid);
    const bin = await open(
      bob,
      again.dom.get('a[href^="/patients/deleted"]').getAttribute("href")!,
      rid,
    );
    assert.equal(bin.dom.text("h1"), "Recently deleted · Stroke unit (editor)");
    const restore = bin.dom.get('form[action^="/patients/501/restore"]');
    const restored = await bob.postForm(restore.getAttribute("action")!, fieldsOf(restore));
    await open(bob, redirectIn(restored, rid, "a restore"), rid);
    assert.deepEqual(await teamIds(t), [501]);

    // The personal registry never saw any of it.
    assert.equal(await t.app.stores.patients.count(editor.user.id), 0);
    const personal = parseDom(await (await bob.get("/patients")).text());
    assert.equal(personal.text("h1"), "Patients", "the personal list names no registry");
    assert.equal(personal.all("#patient-rows tr").length, 0);
    assert.match(personal.text("#patient-empty"), /You have no patients yet/);
  });

  test("an editor adds, edits, deletes and undoes through htmx in a team registry", async (t) => {
    const { rid, editor } = t;
    const bob = editor.browser;
    const list = `/patients?registry=${rid}`;
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 7 });
    const page = await open(bob, list, rid);

    // The table (sorting, filtering): a fragment whose links and pushed address stay.
    const sortHref = page.dom.get("thead[data-get] #sort-age").getAttribute("href")!;
    const sorted = await bob.get(sortHref, htmx(bob, list, "patient-table"));
    assert.equal(sorted.status, 200);
    assert.equal(
      new URL(sorted.headers.get("HX-Push-Url")!, ORIGIN).searchParams.get("registry"),
      rid,
      "the address pushed stays in the registry",
    );
    assertStaysIn(await sorted.text(), rid, "the sorted table");

    // Add: the form the folded panel fetches, its hx-post; the new row, its links in the registry.
    const panel = page.dom.get("#add [hx-get]");
    const fetched = await bob.get(panel.getAttribute("hx-get")!, htmx(bob, list, ""));
    const fetchedHtml = await fetched.text();
    assert.equal(fetched.status, 200);
    assertStaysIn(fetchedHtml, rid, "the add form");
    const addForm = parseDom(fetchedHtml).get("form#add-patient");
    const added = await htmxSend(
      bob,
      "POST",
      addForm.getAttribute("hx-post")!,
      { ...formFields(FIRST_ROW), id: "8" },
      htmx(bob, list, "add"),
    );
    assert.equal(added.status, 200);
    const addedHtml = await added.text();
    assert.ok(!isPage(addedHtml), "a fragment");
    assert.ok(assertStaysIn(addedHtml, rid, "the add's answer") >= 5);
    assert.deepEqual(await teamIds(t), [7, 8]);

    // Edit inline: the row's Edit, then Save; Cancel's address too.
    const editHref = page.dom.named("Edit patient 7").getAttribute("href")!;
    const row = await bob.get(editHref, htmx(bob, list, "patient-7"));
    const rowHtml = await row.text();
    assert.equal(row.status, 200);
    assertStaysIn(rowHtml, rid, "the edit row");
    const editForm = parseDom(rowHtml).get("form.edit-panel");
    const saved = await htmxSend(
      bob,
      "PUT",
      editForm.getAttribute("hx-put")!,
      { ...fieldsOf(editForm), age: "70" },
      htmx(bob, list, "patient-7"),
    );
    assert.equal(saved.status, 200);
    assertStaysIn(await saved.text(), rid, "the saved row");
    assert.equal((await t.app.stores.patients.get(t.scope, 7))?.age, 70);
    const cancel = parseDom(rowHtml).get("a[data-cancel]").getAttribute("hx-get")!;
    const back = await bob.get(cancel, htmx(bob, list, "patient-7"));
    assertStaysIn(await back.text(), rid, "the row after Cancel");

    // Delete: as static/app.js posts a row's Delete (the form's data-post, its fields), then Undo.
    const deleteForm = page.dom.get("form#del");
    const deleted = await htmxSend(
      bob,
      "POST",
      deleteForm.getAttribute("data-post")!.replace("{id}", "7"),
      { ...fieldsOf(deleteForm), id: "7" },
      htmx(bob, list, "patient-7"),
    );
    const deletedHtml = await deleted.text();
    assert.equal(deleted.status, 200, deletedHtml);
    assertStaysIn(deletedHtml, rid, "the delete's answer");
    assert.deepEqual(await teamIds(t), [8]);
    const undo = parseDom(deletedHtml).get("form[data-restores]");
    const undone = await htmxSend(
      bob,
      "POST",
      undo.getAttribute("hx-post")!,
      fieldsOf(undo),
      htmx(bob, list),
    );
    const undoneHtml = await undone.text();
    assert.equal(undone.status, 200);
    assertStaysIn(undoneHtml, rid, "the Undo's answer");
    assert.ok(parseDom(undoneHtml).all("template").length > 0, "the row comes back on the page");
    assert.deepEqual(await teamIds(t), [7, 8]);
    assert.equal(await t.app.stores.patients.count(editor.user.id), 0, "none is personal");

    // Through the API too, the new record's address is in the registry.
    const created = await editor.user.api("POST", `/api/patient_data?registry=${rid}`, {
      ...FIRST_ROW,
      id: 30,
    });
    assert.equal(created.status, 201, created.text);
    const location = created.headers.get("Location")!;
    assert.equal(location, `/api/patient_data/30?registry=${rid}`);
    assert.equal((await editor.user.api("GET", location)).body.id, 30);
  });

  test("the Undo of a delete restores in the delete's registry, whatever page shows it", async (t) => {
    const { rid, editor } = t;
    const bob = editor.browser;
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 12 });
    // Bob has a deleted patient 12 of his own as well: the Undo must not bring that one back.
    await t.app.stores.patients.create(editor.user.id, { ...FIRST_ROW, id: 12 });
    await editor.user.api("DELETE", "/api/patient_data/12");
    const confirm = parseDom(await (await bob.get(`/patients/12/delete?registry=${rid}`)).text());
    const form = confirm.get('main form[method="post"]');
    const deleted = await bob.postForm(form.getAttribute("action")!, fieldsOf(form));
    redirectIn(deleted, rid, "the delete");
    // The next page Bob opens is his personal list (another tab, say): the Undo is offered
    // there, for the team's record.
    const personal = parseDom(await (await bob.get("/patients")).text());
    const undo = personal.get("form[data-restores]");
    assert.match(textOf(undo.closest(".undo-notice")), /Patient 12 deleted\. Undo/);
    assert.equal(undo.getAttribute("action"), `/patients/12/restore?registry=${rid}`);
    assert.equal(undo.getAttribute("hx-post"), `/patients/12/restore?registry=${rid}`);
    assert.equal(
      personal.get(".undo-notice a").getAttribute("href"),
      `/patients/deleted?registry=${rid}`,
    );
    // Through htmx, from the personal page: restored in the team, no row added to this page.
    const undone = await htmxSend(
      bob,
      "POST",
      undo.getAttribute("hx-post")!,
      fieldsOf(undo),
      htmx(bob, "/patients"),
    );
    const html = await undone.text();
    assert.equal(undone.status, 200, html);
    assert.match(parseDom(html).text("body"), /Patient 12 restored in “Stroke unit”/);
    assert.equal(parseDom(html).all("template").length, 0, "no team row in the personal table");
    assert.deepEqual(await teamIds(t), [12]);
    assert.equal(await t.app.stores.patients.count(editor.user.id), 0, "his own stays deleted");
  });

  test("an editor imports and exports in a team registry; the upload stays in it", async (t) => {
    const { rid, editor } = t;
    const bob = editor.browser;
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 1 });
    const list = await open(bob, `/patients?registry=${rid}`, rid);

    const uploadPage = await open(
      bob,
      list.dom.get('a[href^="/patients/import"]').getAttribute("href")!,
      rid,
    );
    assert.equal(
      uploadPage.dom.text("h1"),
      "Import patients from a CSV file · Stroke unit (editor)",
    );
    const file = HEADER + csvRow(1) + csvRow(2) + csvRow(3) + csvRow(4, { age: "forty" });
    const sent = await upload(bob, uploadPage.dom, file);
    const previewUrl = redirectIn(sent, rid, "an upload");
    const preview = await open(bob, previewUrl, rid);
    assert.equal(preview.dom.text("h1"), "Check before importing · Stroke unit (editor)");
    assert.equal(preview.dom.text("#import-run button"), "Import 2 rows", "1 is the team's");
    assert.deepEqual(await teamIds(t), [1], "the preview stores nothing");
    const problems = await bob.get(
      preview.dom.get('a[href*="/problems.csv"]').getAttribute("href")!,
    );
    assert.equal(problems.status, 200);
    assert.match(await problems.text(), /^line,field,value,message\r\n5,age,forty,/);

    // The upload belongs to the team registry: not there in Bob's personal one.
    const path = new URL(previewUrl, ORIGIN).pathname;
    const elsewhere = await bob.get(path);
    assert.equal(elsewhere.status, 404, "the upload is not the personal registry's");
    assert.match(parseDom(await elsewhere.text()).text("main"), /uploaded in another registry/);

    // Checked again through htmx with another choice: the fragment stays in the registry.
    const recheck = preview.dom.get('input[name="on_conflict"][value="update"]');
    const fragment = await htmxSend(
      bob,
      "POST",
      recheck.getAttribute("hx-post")!,
      { _csrf: bob.csrf, on_conflict: "skip" },
      htmx(bob, previewUrl, "import-page"),
    );
    assertStaysIn(await fragment.text(), rid, "the preview's fragment");

    const runForm = preview.dom.get("form#import-run");
    const ran = await bob.postForm(runForm.getAttribute("action")!, fieldsOf(runForm));
    const report = await open(bob, redirectIn(ran, rid, "a run"), rid);
    assert.match(report.dom.text(".import-report .alert"), /Import finished/);
    assert.equal(report.dom.text("h1"), "Import of ward.csv · Stroke unit (editor)");
    assert.deepEqual(await teamIds(t), [1, 2, 3]);
    assert.equal(await t.app.stores.patients.count(editor.user.id), 0, "none is personal");

    // The export: the plain links and the de-identified form, each of the team's records.
    const page = await open(bob, `/patients?registry=${rid}`, rid);
    const csvLink = page.dom.all("#export-view a").find((a) => textOf(a) === "CSV")!;
    const csv = await bob.get(csvLink.getAttribute("href")!);
    assert.equal(csv.status, 200);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(",")[0]), ["1", "2", "3"]);
    const deidentify = await deidentifyForm(bob, rid, page.dom);
    const deidentified = await bob.get(deidentify.url);
    assert.equal(deidentified.status, 200);
    assert.match(deidentified.headers.get("Content-Type") ?? "", /^text\/csv/);
    await deidentified.body?.cancel();
    const anonymity = deidentify.form.querySelector("button[hx-get]")!.getAttribute("hx-get")!;
    const check = await bob.get(
      withFields(anonymity, deidentify.fields),
      htmx(bob, `/patients?registry=${rid}`),
    );
    assert.equal(check.status, 200);
    assert.match(parseDom(await check.text()).text("body"), /^Of 3 patients/);

    // The dashboard of the team's records, its links and filters in the registry.
    const dashboard = await open(bob, `/dashboard?registry=${rid}`, rid);
    assert.equal(dashboard.dom.text("h1"), "Dashboard · Stroke unit (editor)");
    assert.ok(dashboard.checked >= 10, `the dashboard's links are checked (${dashboard.checked})`);
  });

  test("a viewer sees no control to change records, only the de-identified export", async (t) => {
    const { rid, viewer, editor } = t;
    const vic = viewer.browser;
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 3 });
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 4 });
    const removed = await editor.user.api("DELETE", `/api/patient_data/4?registry=${rid}`);
    assert.equal(removed.status, 204);
    const list = `/patients?registry=${rid}`;

    const page = await open(vic, list, rid);
    assert.equal(page.dom.text("h1"), "Patients · Stroke unit (viewer)");
    assert.ok(page.dom.find("#patient-3"), "the viewer reads the records");
    assert.equal(page.dom.find("#add"), null, "no add form");
    assert.equal(page.dom.findNamed("Edit patient 3"), null, "no Edit");
    assert.equal(page.dom.all('a[href*="/edit"]').length, 0, "no edit link");
    assert.equal(page.dom.all('form[action*="/delete"]').length, 0, "no Delete");
    assert.equal(page.dom.all('button[form="del"]').length, 0, "no Delete button");
    assert.equal(page.dom.find('a[href^="/patients/import"]'), null, "no import");
    assert.ok(page.dom.findNamed("History of patient 3"), "but History");
    assert.equal(page.dom.all('a[href^="/api/patient_data/export"]').length, 0, "no plain export");
    assert.match(
      page.dom.text("#export-view"),
      /As a viewer of “Stroke unit”, you may export the 1 patient of this view .* de-identified only/,
    );
    const deidentified = await vic.get((await deidentifyForm(vic, rid, page.dom)).url);
    assert.equal(deidentified.status, 200, "the de-identified export is the viewer's");
    await deidentified.body?.cancel();
    const plain = await vic.get(`/api/patient_data/export?registry=${rid}`);
    assert.equal(plain.status, 403);
    assert.equal((await plain.json()).required_role, "editor");

    const detail = await open(vic, `/patients/3?registry=${rid}`, rid);
    assert.equal(detail.dom.text("h1"), "Patient 3 · Stroke unit (viewer)");
    assert.equal(detail.dom.find("p.actions a"), null, "no Edit or Delete on the record's page");
    const bin = await open(vic, `/patients/deleted?registry=${rid}`, rid);
    assert.ok(bin.dom.find("table.deleted"), "the viewer sees what was deleted");
    assert.equal(bin.dom.all("form").filter((f) => f.closest("main")).length, 0, "no Restore");
    assert.match(bin.dom.text(".lead"), /may not restore them/);
    const dashboard = await open(vic, `/dashboard?registry=${rid}`, rid);
    assert.equal(dashboard.dom.text("h1"), "Dashboard · Stroke unit (viewer)");

    // Pages that are nothing but a control, and forms posted anyway: 403 naming the role.
    const refused = (html: string) => {
      assert.match(
        parseDom(html).text("body"),
        /Your role in "Stroke unit" is viewer; .* needs the editor role or owner/,
      );
    };
    const controls = [
      "/patients/3/edit",
      "/patients/3/delete",
      "/patients/import",
      "/patients/new",
      "/patients/delete?id=3&",
    ];
    for (const path of controls) {
      const res = await vic.get(`${path}${path.includes("?") ? "" : "?"}registry=${rid}`);
      assert.equal(res.status, 403, path);
      const html = await res.text();
      refused(html);
      assert.equal(
        parseDom(html).get(".error-page a.button").getAttribute("href"),
        list,
        "the way on is the registry's list",
      );
    }
    const posts: [string, Record<string, string>][] = [
      [list, { ...formFields(FIRST_ROW), id: "9" }],
      [`/patients/3?registry=${rid}`, { ...formFields(FIRST_ROW), age: "1" }],
      [`/patients/3/delete?registry=${rid}`, {}],
      [`/patients/4/restore?registry=${rid}`, { from: "deleted" }],
    ];
    for (const [path, fields] of posts) {
      const plainPost = await vic.postForm(path, fields);
      assert.equal(plainPost.status, 403, `POST ${path}`);
      refused(await plainPost.text());
      const viaHtmx = await htmxSend(
        vic,
        "POST",
        path,
        { _csrf: vic.csrf, ...fields },
        htmx(vic, list),
      );
      assert.equal(viaHtmx.status, 403, `POST ${path} through htmx`);
      const fragment = await viaHtmx.text();
      assert.ok(!isPage(fragment), "a fragment for htmx");
      refused(fragment);
    }
    const body = new FormData();
    body.set("_csrf", vic.csrf);
    body.set("file", new File([HEADER + csvRow(9)], "ward.csv", { type: "text/csv" }));
    const importing = await vic.request(`/patients/import?registry=${rid}`, {
      method: "POST",
      body,
    });
    assert.equal(importing.status, 403, "no import, not even a check");
    refused(await importing.text());
    const newForm = await vic.get(`/patients/new?registry=${rid}`, htmx(vic, list, ""));
    assert.equal(newForm.status, 403, "no add form for the folded panel either");
    refused(await newForm.text());
    assert.deepEqual(await teamIds(t), [3], "nothing changed");
    assert.equal(
      await t.app.stores.accounts.run(async (db) =>
        (await db.selectFrom("imports").selectAll().execute()).length
      ),
      0,
      "no upload kept",
    );
  });

  test("a non-member gets 404 on every page; a member removed meanwhile at once", async (t) => {
    const { rid, outsider, editor, owner } = t;
    await t.app.stores.patients.create(t.scope, { ...FIRST_ROW, id: 5 });
    const pages = [
      "/patients",
      "/patients/5",
      "/patients/5/edit",
      "/patients/5/delete",
      "/patients/5/history",
      "/patients/deleted",
      "/patients/import",
      "/dashboard",
      "/patients/export/anonymity",
      "/patients/export",
      "/patients/new",
      "/patients/filters",
      "/patients/delete?id=5&",
    ];
    const each = async (browser: TestBrowser, who: string) => {
      for (const path of pages) {
        const res = await browser.get(`${path}${path.includes("?") ? "" : "?"}registry=${rid}`);
        assert.equal(res.status, 404, `${who}: GET ${path}`);
        const html = await res.text();
        assert.doesNotMatch(html, /Stroke unit/, `${who}: the page does not name the registry`);
      }
      const add = await browser.postForm(`/patients?registry=${rid}`, formFields(FIRST_ROW));
      assert.equal(add.status, 404, `${who}: an add`);
      const remove = await browser.postForm(`/patients/5/delete?registry=${rid}`, {});
      assert.equal(remove.status, 404, `${who}: a delete`);
    };
    await each(outsider.browser, "a non-member");

    // Bob works in the registry; the owner removes him; his very next request is a 404.
    await open(editor.browser, `/patients?registry=${rid}`, rid);
    const gone = await owner.user.api("DELETE", memberPath(rid, editor.user.email));
    assert.equal(gone.status, 204);
    await each(editor.browser, "a removed member");
    assert.deepEqual(await teamIds(t), [5], "nothing changed");
  });
}
