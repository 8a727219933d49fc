/**
 * A patient's admissions on the patient page, on every patient backend: added, edited, deleted
 * and restored through plain forms (no JavaScript: POST and redirect) and through htmx (the
 * section's part swapped, a message beside it, Undo); problems at their fields with the values
 * kept and the focus on the first; a time that happened twice on a fall-back night asks which
 * one; times shown and read in the profile's time zone; someone else's save meanwhile said
 * clearly; a viewer sees no controls and is refused (403), a non-member gets 404.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { type ApiUser, loadDocument, registerApiUser } from "./helpers/api.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { patientBackends } from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { type Dom, isPage, parseDom, textOf } from "./helpers/html.ts";
import { htmxHeaders } from "./helpers/patients_pages.ts";
import { addMember, newMember, teamRegistry } from "./helpers/registries.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const PATIENT = "/patients/1";
const ADMISSIONS = "/patients/1/admissions";

/** An ischaemic stroke thrombolysed 45 minutes after arrival, as a form sends it (wall clock). */
const FORM = {
  stroke_type: "ischaemic",
  nihss_arrival: "8",
  last_known_well_at: "2025-03-10T07:30",
  arrival_at: "2025-03-10T09:00",
  imaging_at: "2025-03-10T09:20",
  thrombolysis_at: "2025-03-10T09:45",
  thrombectomy_at: "",
  discharge_at: "2025-03-17T12:00",
  discharge_destination: "home",
  mrs_discharge: "2",
  mrs_90d: "1",
};

interface Ctx {
  app: TestApp;
  /** Ann: registered, with patient 1 and a token. */
  ann: ApiUser;
  /** Ann's browser, logged in, on the patient's page. */
  browser: TestBrowser;
}

/** A fresh app per patient backend (APP_TIMEZONE as given), Ann with patient 1, logged in. */
function pageTest(name: string, fn: (ctx: Ctx) => Promise<void>, appTimeZone = "UTC") {
  for (const backend of patientBackends()) {
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      const dir = Deno.makeTempDirSync({ prefix: "spm-admission-pages-" });
      const app = await createTestApp(
        { accounts: openAccountsDb(null, dir), patients: opened.value },
        testConfig({ dataDir: dir, appTimeZone }),
      );
      try {
        await loadDocument(app);
        const ann = await registerApiUser(app, "ann@example.org");
        const res = await ann.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
        assert.equal(res.status, 201, res.text);
        const browser = new TestBrowser(app);
        assert.equal((await browser.logIn(ann.email, PASSWORD)).status, 303);
        assert.equal((await browser.get(PATIENT)).status, 200);
        await fn({ app, ann, browser });
      } finally {
        await app.close();
        await opened.cleanup();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

/** A page (or fragment) with its status. */
async function open(browser: TestBrowser, path: string, headers: HeadersInit = {}) {
  const res = await browser.get(path, headers);
  const html = await res.text();
  return { status: res.status, html, dom: parseDom(html), headers: res.headers };
}

/** Posts a form; a 303 is followed once, as a browser does. */
async function submit(
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  headers: HeadersInit = {},
) {
  const res = await browser.postForm(path, fields, headers);
  const location = res.headers.get("Location") ?? undefined;
  if (res.status === 303 && location) {
    return { posted: 303, location, ...(await open(browser, location)) };
  }
  const html = await res.text();
  return { posted: res.status, location, status: res.status, html, dom: parseDom(html) };
}

/** The timeline of an admission as read aloud: one line per step. */
function timeline(dom: Dom, aid: number): string[] {
  return dom.all(`#admission-${aid} ol.timeline > li`).map(textOf);
}

/** The facts of an admission: "term: value". */
function facts(dom: Dom, aid: number): Record<string, string> {
  return Object.fromEntries(
    dom.all(`#admission-${aid} .admission-facts > div`).map((d) => [
      textOf(d.querySelector("dt")),
      textOf(d.querySelector("dd")),
    ]),
  );
}

/** The field's message under it, and whether its control says it is invalid. */
function fieldProblem(dom: Dom, id: string): string {
  const control = dom.get(`#${id}`);
  assert.equal(control.getAttribute("aria-invalid"), "true", `${id} is marked invalid`);
  assert.match(control.getAttribute("aria-describedby") ?? "", new RegExp(`${id}-error`));
  return dom.text(`#${id}-error`);
}

pageTest("plain forms add, refuse at the field, edit, delete and restore an admission", async (
  { browser },
) => {
  let page = await open(browser, PATIENT);
  assert.equal(page.dom.text("#admissions h2"), "Admissions");
  assert.match(page.dom.text("#admissions-count"), /^No admissions recorded\. Times are in UTC\.$/);
  assert.match(page.dom.text("#add-admission legend:nth-of-type(1)"), /Stroke/);
  assert.match(
    textOf(page.dom.all("#add-admission fieldset legend")[1]),
    /^Times in UTC/,
    "the form says which time zone its times are in",
  );

  // Refused: every problem at its field, the values kept, the focus on the first.
  const refused = await submit(browser, ADMISSIONS, {
    ...FORM,
    imaging_at: "2025-03-10T08:00",
    nihss_arrival: "50",
    mrs_discharge: "6",
  });
  assert.equal(refused.status, 422);
  assert.ok(isPage(refused.html), "without JavaScript the answer is a page");
  assert.equal(refused.dom.text("h1"), "Add an admission to patient 1");
  assert.match(fieldProblem(refused.dom, "add-admission-imaging_at"), /must not be before arrival/);
  assert.match(fieldProblem(refused.dom, "add-admission-nihss_arrival"), /0 to 42/);
  assert.match(
    fieldProblem(refused.dom, "add-admission-discharge_destination"),
    /mRS 6 at discharge means the patient died/,
  );
  assert.equal(
    refused.dom.get("#add-admission-imaging_at").getAttribute("value"),
    "2025-03-10T08:00",
  );
  assert.equal(refused.dom.get("#add-admission-nihss_arrival").getAttribute("value"), "50");
  assert.equal(
    refused.dom.get("#add-admission-arrival_at").getAttribute("value"),
    "2025-03-10T09:00",
  );
  assert.deepEqual(
    refused.dom.all("[autofocus]").map((e) => e.id),
    ["add-admission-nihss_arrival"],
    "the focus is on the first field with a problem, as the form shows them",
  );

  // Added: back on the patient's page at the new admission, its timeline in order.
  const added = await submit(browser, ADMISSIONS, FORM);
  assert.equal(added.posted, 303);
  assert.equal(added.location, "/patients/1#admission-1");
  assert.match(added.dom.text("#alerts"), /Admission 1 added to patient 1\./);
  assert.equal(added.dom.text("#admission-1 h3"), "Admission 1: Ischaemic stroke");
  assert.deepEqual(timeline(added.dom, 1), [
    "Onset (last known well) 10 Mar 2025, 07:30",
    "Arrival 10 Mar 2025, 09:00 1 h 30 min after onset",
    "Imaging 09:20 20 min after arrival",
    "Thrombolysis (needle) 09:45 25 min after imaging",
    "Discharge 17 Mar 2025, 12:00 7 days 2 h after thrombolysis",
  ]);
  assert.equal(
    added.dom.get("#admission-1 time").getAttribute("datetime"),
    "2025-03-10T07:30:00.000Z",
  );
  assert.match(added.dom.text("#admission-1 .timeline-missing"), /Thrombectomy: not done/);
  const shown = facts(added.dom, 1);
  assert.equal(shown["Onset to arrival"], "1 h 30 min");
  assert.equal(shown["Door to imaging"], "20 min");
  assert.equal(shown["Door to needle"], "45 min (within the 60-minute target)");
  assert.equal(shown["NIHSS on arrival"], "8");
  assert.equal(shown["Discharge destination"], "Home");
  assert.equal(shown["mRS at 90 days"], "1 – No significant disability");

  // Edited on a page of its own, the stored values in the form.
  const edit = await open(browser, `${ADMISSIONS}/1/edit`);
  assert.equal(edit.status, 200);
  assert.equal(edit.dom.text("h1"), "Edit admission 1 of patient 1");
  assert.equal(
    edit.dom.get("#edit-admission-1-thrombolysis_at").getAttribute("value"),
    "2025-03-10T09:45",
  );
  assert.equal(
    edit.dom.get("#edit-admission-1-stroke_type option[selected]").getAttribute("value"),
    "ischaemic",
  );
  const revision = edit.dom.get('input[name="revision"]').getAttribute("value")!;
  const saved = await submit(browser, `${ADMISSIONS}/1`, {
    ...FORM,
    thrombolysis_at: "2025-03-10T10:15",
    revision,
    reason: "Pharmacy record",
  });
  assert.equal(saved.posted, 303);
  assert.equal(saved.location, "/patients/1#admission-1");
  assert.equal(facts(saved.dom, 1)["Door to needle"], "1 h 15 min (over the 60-minute target)");

  // A save from a form drawn before that change: said clearly, nothing lost silently.
  const stale = await submit(browser, `${ADMISSIONS}/1`, { ...FORM, revision });
  assert.equal(stale.status, 409);
  assert.match(stale.dom.text(".alert-error"), /Someone else changed admission 1 while you were/);
  assert.equal(
    stale.dom.get("#edit-admission-1-thrombolysis_at").getAttribute("value"),
    "2025-03-10T10:15",
    "the form now holds the current values",
  );

  // Deleted after a confirmation page, then restored from the patient's deleted admissions.
  const confirm = await open(browser, `${ADMISSIONS}/1/delete`);
  assert.equal(confirm.dom.text("h1"), "Delete admission 1 of patient 1?");
  const deleted = await submit(browser, `${ADMISSIONS}/1/delete`, { reason: "Wrong patient" });
  assert.equal(deleted.posted, 303);
  assert.match(deleted.dom.text("#alerts"), /Admission 1 deleted\./);
  assert.equal(deleted.dom.find("#admission-1"), null);
  assert.match(
    deleted.dom.text(".deleted-admissions summary"),
    /Recently deleted admissions \(1\)/,
  );
  assert.match(deleted.dom.text(".deleted-admissions li"), /Admission 1: Ischaemic stroke/);
  const restored = await submit(browser, `${ADMISSIONS}/1/restore`, {});
  assert.equal(restored.location, "/patients/1#admission-1");
  assert.ok(restored.dom.find("#admission-1"), "the admission is back");
  assert.equal(restored.dom.find(".deleted-admissions"), null);

  page = await open(browser, `/patients/1/history`);
  assert.match(page.html, /Wrong patient/, "the reason is kept in the patient's history");
});

pageTest("htmx adds, edits in place, deletes with Undo, and shows problems at the fields", async (
  { browser },
) => {
  const hx = (target: string) => htmxHeaders(browser, target, PATIENT);

  const refused = await submit(
    browser,
    ADMISSIONS,
    { ...FORM, arrival_at: "" },
    hx("admissions-body"),
  );
  assert.equal(refused.status, 422);
  assert.ok(!isPage(refused.html), "htmx gets the part of the page to swap");
  assert.ok(refused.dom.get("#admissions-body details#add-admission").hasAttribute("open"));
  assert.match(fieldProblem(refused.dom, "add-admission-arrival_at"), /Arrival is required/);
  assert.equal(
    refused.dom.get("#add-admission-imaging_at").getAttribute("value"),
    "2025-03-10T09:20",
  );
  assert.deepEqual(refused.dom.all("[autofocus]").map((e) => e.id), ["add-admission-arrival_at"]);

  const added = await submit(browser, ADMISSIONS, FORM, hx("admissions-body"));
  assert.equal(added.status, 200);
  assert.ok(!isPage(added.html));
  assert.match(added.dom.text("#admissions-status"), /Admission 1 added to patient 1\./);
  assert.equal(added.dom.get("#admissions-status").getAttribute("hx-swap-oob"), "innerHTML");
  assert.equal(timeline(added.dom, 1).length, 5);
  assert.equal(
    added.dom.get("#admission-1 [autofocus]").getAttribute("aria-label"),
    "Edit admission 1",
    "the focus goes to the new admission",
  );
  assert.equal(added.dom.find("#add-admission")?.hasAttribute("open"), false, "a fresh form");

  // Edit in place: the admission becomes its form, Save swaps it back.
  const form = await open(browser, `${ADMISSIONS}/1/edit`, hx("admission-1"));
  assert.ok(!isPage(form.html));
  const edit = form.dom.get("article#admission-1.editing form");
  assert.equal(edit.getAttribute("hx-post"), `${ADMISSIONS}/1`);
  assert.equal(edit.getAttribute("hx-target"), "closest article");
  const revision = form.dom.get('input[name="revision"]').getAttribute("value")!;
  const bad = await submit(
    browser,
    `${ADMISSIONS}/1`,
    { ...FORM, revision, mrs_90d: "4", discharge_destination: "died", mrs_discharge: "6" },
    hx("admission-1"),
  );
  assert.equal(bad.status, 422);
  assert.match(fieldProblem(bad.dom, "edit-admission-1-mrs_90d"), /can only be 6/);
  const saved = await submit(
    browser,
    `${ADMISSIONS}/1`,
    { ...FORM, revision, stroke_type: "TIA", thrombolysis_at: "" },
    hx("admission-1"),
  );
  assert.equal(saved.status, 200);
  assert.equal(saved.dom.text("article#admission-1 h3"), "Admission 1: Transient ischaemic attack");
  assert.match(saved.dom.text("#admissions-status"), /Admission 1 of patient 1 saved\./);
  assert.match(saved.dom.text("#admission-1 .timeline-missing"), /Thrombolysis: not given/);

  // Cancel brings the admission back as it was.
  const cancelled = await open(browser, `${ADMISSIONS}/1`, hx("admission-1"));
  assert.equal(
    cancelled.dom.text("article#admission-1 h3"),
    "Admission 1: Transient ischaemic attack",
  );

  // Delete: the admission leaves, Undo brings it back.
  const res = await browser.request(`${ADMISSIONS}/1`, {
    method: "DELETE",
    headers: hx("admissions-body"),
  });
  assert.equal(res.status, 200);
  const gone = parseDom(await res.text());
  assert.equal(gone.find("#admission-1"), null);
  assert.match(gone.text("#admissions-status"), /Admission 1 deleted\. Undo/);
  const undo = gone.get("#admissions-status form");
  assert.equal(undo.getAttribute("hx-post"), `${ADMISSIONS}/1/restore`);
  assert.equal(gone.get("#admissions-count").getAttribute("autofocus"), "");
  const back = await submit(browser, `${ADMISSIONS}/1/restore`, {}, hx("admissions-body"));
  assert.equal(back.status, 200);
  assert.ok(back.dom.find("#admission-1"));
  assert.match(back.dom.text("#admissions-status"), /Admission 1 of patient 1 restored\./);
});

pageTest(
  "a time on the fall-back night asks which of the two it was; a gap time is refused",
  async (
    { browser, ann },
  ) => {
    const chosen = await submit(browser, "/profile/time-zone", { time_zone: "Europe/London" });
    assert.equal(chosen.posted, 303);
    await open(browser, PATIENT);
    const night = {
      stroke_type: "ischaemic",
      last_known_well_at: "2025-10-26T00:50",
      arrival_at: "2025-10-26T01:30",
      imaging_at: "2025-10-26T02:10",
    };
    const asked = await submit(browser, ADMISSIONS, night);
    assert.equal(asked.status, 422);
    assert.match(
      fieldProblem(asked.dom, "add-admission-arrival_at"),
      /2025-10-26 01:30 happened twice in Europe\/London .* Choose which one: UTC\+01:00 or UTC\+00:00/,
    );
    const choice = asked.dom.get('select[name="arrival_at_offset"]');
    assert.deepEqual(
      [...choice.querySelectorAll("option")].map((o) => [o.getAttribute("value"), textOf(o)]),
      [
        ["", "Choose…"],
        ["+01:00", "The first 01:30 (UTC+01:00, before the clocks went back)"],
        ["+00:00", "The second 01:30 (UTC+00:00, after the clocks went back)"],
      ],
    );
    assert.equal(choice.getAttribute("id"), "add-admission-arrival_at_offset");
    assert.equal(asked.dom.text('label[for="add-admission-arrival_at_offset"]'), "Which 01:30?");
    assert.deepEqual(asked.dom.all("[autofocus]").map((e) => e.id), [
      "add-admission-arrival_at_offset",
    ]);
    assert.equal(asked.dom.find('select[name="imaging_at_offset"]'), null, "only where ambiguous");

    const added = await submit(browser, ADMISSIONS, { ...night, arrival_at_offset: "+00:00" });
    assert.equal(added.posted, 303);
    const [admission] = (await ann.api("GET", "/api/patient_data/1/admissions")).body;
    // The token's user is Ann too: the API writes her zone's offsets.
    assert.equal(admission.arrival_at, "2025-10-26T01:30:00+00:00");
    assert.equal(admission.last_known_well_at, "2025-10-26T00:50:00+01:00");
    assert.deepEqual(timeline(added.dom, 1), [
      "Onset (last known well) 26 Oct 2025, 00:50",
      "Arrival 26 Oct 2025, 01:30 (UTC+00:00) 1 h 40 min after onset",
      "Imaging 02:10 40 min after arrival",
    ]);
    const edit = await open(browser, `${ADMISSIONS}/1/edit`);
    assert.equal(
      edit.dom.get('select[name="arrival_at_offset"] option[selected]').getAttribute("value"),
      "+00:00",
      "an edit keeps which of the two it was",
    );

    const gap = await submit(browser, ADMISSIONS, { ...night, arrival_at: "2025-03-30T01:30" });
    assert.equal(gap.status, 422);
    assert.match(
      fieldProblem(gap.dom, "add-admission-arrival_at"),
      /2025-03-30 01:30 did not happen in Europe\/London: the clocks went forward/,
    );
  },
);

pageTest("times are shown and read in the profile's time zone, else APP_TIMEZONE", async (
  { app, browser, ann },
) => {
  const profile = await open(browser, "/profile");
  const select = profile.dom.get("select#time_zone");
  assert.match(
    textOf(select.querySelector("option[selected]")),
    /^This installation's: Europe\/Berlin/,
  );
  assert.ok(select.querySelector('optgroup[label="America"] option[value="America/New_York"]'));

  const arrival = "2025-01-15T14:00:00Z";
  const res = await ann.api("POST", "/api/patient_data/1/admissions", {
    stroke_type: "haemorrhagic",
    arrival_at: arrival,
  });
  assert.equal(res.status, 201, res.text);
  let page = await open(browser, PATIENT);
  assert.match(page.dom.text("#admissions-count"), /Times are in Europe\/Berlin\./);
  assert.deepEqual(timeline(page.dom, 1), ["Arrival 15 Jan 2025, 15:00"]);

  const refused = await submit(browser, "/profile/time-zone", { time_zone: "Mars/Olympus" });
  assert.equal(refused.status, 422);
  assert.equal(fieldProblem(refused.dom, "time_zone"), "Choose a time zone from the list");

  const chosen = await submit(browser, "/profile/time-zone", { time_zone: "America/New_York" });
  assert.equal(chosen.location, "/profile#time-zone");
  assert.match(chosen.dom.text("#alerts"), /Times are now shown and entered in America\/New_York/);
  assert.equal(
    chosen.dom.get("select#time_zone option[selected]").getAttribute("value"),
    "America/New_York",
  );
  page = await open(browser, PATIENT);
  assert.deepEqual(timeline(page.dom, 1), ["Arrival 15 Jan 2025, 09:00"]);
  assert.match(textOf(page.dom.all("#add-admission fieldset legend")[1]), /America\/New York/);
  const api = await ann.api("GET", "/api/patient_data/1/admissions/1");
  assert.equal(api.body.arrival_at, "2025-01-15T09:00:00-05:00", "the API uses the profile's zone");

  // A form's wall-clock time is read in that zone.
  await submit(browser, ADMISSIONS, { stroke_type: "TIA", arrival_at: "2025-07-01T08:00" });
  const second = await ann.api("GET", "/api/patient_data/1/admissions/2");
  assert.equal(second.body.arrival_at, "2025-07-01T08:00:00-04:00");

  // Back to the installation's.
  await submit(browser, "/profile/time-zone", { time_zone: "" });
  page = await open(browser, PATIENT);
  assert.deepEqual(timeline(page.dom, 1), ["Arrival 15 Jan 2025, 15:00"]);
  assert.ok(app.stores.accounts, "the app is still up");
}, "Europe/Berlin");

pageTest(
  "a viewer sees the admissions without controls and is refused; a non-member gets 404",
  async (
    { app, ann },
  ) => {
    const rid = await teamRegistry(ann);
    const created = await ann.api(
      "POST",
      `/api/patient_data?registry=${rid}`,
      samplePatient({ id: 1 }),
    );
    assert.equal(created.status, 201, created.text);
    const admission = await ann.api("POST", `/api/patient_data/1/admissions?registry=${rid}`, {
      stroke_type: "ischaemic",
      arrival_at: "2025-02-01T10:00:00Z",
    });
    assert.equal(admission.status, 201, admission.text);
    const vic = await newMember(app, "vic@example.org");
    const bob = await newMember(app, "bob@example.org");
    const nia = await newMember(app, "nia@example.org");
    await addMember(ann, rid, vic.user.email, "viewer");
    await addMember(ann, rid, bob.user.email, "editor");
    const inTeam = (path: string) => `${path}${path.includes("?") ? "&" : "?"}registry=${rid}`;

    // The editor's controls all stay in the team registry.
    const editor = await open(bob.browser, inTeam(PATIENT));
    assert.equal(editor.status, 200);
    assert.equal(
      editor.dom.get('#admission-1 a[aria-label="Edit admission 1"]').getAttribute("href"),
      `/patients/1/admissions/1/edit?registry=${rid}`,
    );
    assert.equal(
      editor.dom.get("#add-admission form").getAttribute("hx-post"),
      `/patients/1/admissions?registry=${rid}`,
    );

    const viewer = await open(vic.browser, inTeam(PATIENT));
    assert.equal(viewer.status, 200);
    assert.deepEqual(timeline(viewer.dom, 1), ["Arrival 1 Feb 2025, 10:00"]);
    assert.equal(viewer.dom.find("#add-admission"), null, "no add form");
    assert.equal(viewer.dom.find("#admission-1 .admission-actions a, #admission-1 form"), null);
    for (
      const [path, fields] of [
        [ADMISSIONS, { stroke_type: "TIA", arrival_at: "2025-02-02T10:00" }],
        [`${ADMISSIONS}/1`, { stroke_type: "TIA", arrival_at: "2025-02-02T10:00" }],
        [`${ADMISSIONS}/1/delete`, {}],
        [`${ADMISSIONS}/1/restore`, {}],
      ] as const
    ) {
      const refused = await submit(vic.browser, inTeam(path), fields);
      assert.equal(refused.status, 403, `a viewer's POST ${path}`);
      assert.match(refused.dom.text("main"), /editor/, "the refusal names the role needed");
    }
    assert.equal((await open(vic.browser, inTeam(`${ADMISSIONS}/1/edit`))).status, 403);
    const list = await ann.api("GET", `/api/patient_data/1/admissions?registry=${rid}`);
    assert.equal(list.body.length, 1, "nothing was changed");

    const outsider = await open(nia.browser, inTeam(PATIENT));
    assert.equal(outsider.status, 404);
    const posted = await submit(nia.browser, inTeam(ADMISSIONS), {
      stroke_type: "TIA",
      arrival_at: "2025-02-02T10:00",
    });
    assert.equal(posted.status, 404);
    // In her own registry there is no patient 1.
    assert.equal((await open(nia.browser, `${ADMISSIONS}/1/edit`)).status, 404);
  },
);
