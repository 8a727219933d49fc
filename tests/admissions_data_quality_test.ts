/**
 * The data-quality check of admissions, on every patient backend: `GET /api/patient_data/quality`
 * lists under `admissions` each admission a rule finds (no NIHSS; no 90-day mRS more than 104
 * days after an alive discharge; thrombolysis in a haemorrhage; thrombolysis more than 270
 * minutes after onset) and none of those just inside a rule; the dashboard's data-quality panel
 * links to the same admissions; the list's filters and deletes apply; a rule finding more than
 * the list holds counts them all and lists the first by patient and number; in a team registry
 * every member sees the team's admissions and a non-member gets 404.
 */
import assert from "node:assert/strict";
import { MAX_CHECKS } from "../lib/patient_quality.ts";
import { apiTest, type ApiUser } from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { addMember, teamRegistry } from "./helpers/registries.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const DAY = 86_400_000;
const MIN = 60_000;
const QUALITY = "/api/patient_data/quality";

/**
 * Today (UTC, the test app's zone) as the start of its day in ms, after waiting out the last
 * minute before midnight: the server's day must be the one the admissions were made for.
 */
async function today(): Promise<number> {
  const toMidnight = DAY - (Date.now() % DAY);
  if (toMidnight < 90_000) await new Promise((resolve) => setTimeout(resolve, toMidnight + 1000));
  return Math.floor(Date.now() / DAY) * DAY;
}

/** Which admissions (`patient/number`) each rule lists. */
function listed(admissions: Json): Record<string, string[]> {
  return Object.fromEntries(
    admissions.checks.map((c: Json) => [
      c.key,
      c.admissions.map((a: Json) => `${a.patient_id}/${a.admission_id}`),
    ]),
  );
}

/** Which admissions each rule links to on the dashboard (`patient/number`), and its text. */
function linked(dom: Dom): Record<string, string[]> {
  return Object.fromEntries(
    dom.all("#admission-checks li[data-key]").map((li) => [
      li.getAttribute("data-key")!,
      [...li.querySelectorAll(".check-list a")].map((a) => {
        const match = /\/patients\/(\d+)(?:\?[^#]*)?#admission-(\d+)$/.exec(
          a.getAttribute("href")!,
        );
        assert.ok(match, a.getAttribute("href")!);
        return `${match[1]}/${match[2]}`;
      }),
    ]),
  );
}

async function dashboard(browser: TestBrowser, query = ""): Promise<{ status: number; dom: Dom }> {
  const res = await browser.get(`/dashboard${query}`);
  return { status: res.status, dom: parseDom(await res.text()) };
}

/** Adds an admission to patient `id` (`query`: `?registry=…`); returns its number. */
async function admit(user: ApiUser, id: number, body: Json, query = ""): Promise<number> {
  const res = await user.api("POST", `/api/patient_data/${id}/admissions${query}`, body);
  assert.equal(res.status, 201, res.text);
  return res.body.admission_id;
}

apiTest(
  "the check lists the admissions each rule finds, not those just inside it, in the API and on the page",
  async ({ user, browser }) => {
    const start = await today();
    const iso = (ms: number) => new Date(ms).toISOString();
    /** An ischaemic stroke arriving `days` before today at 08:00, NIHSS 6, not thrombolysed. */
    const arriving = (days: number, fields: Json = {}) =>
      admissionBody({
        last_known_well_at: null,
        arrival_at: iso(start - days * DAY + 8 * 60 * MIN),
        imaging_at: null,
        nihss_arrival: 6,
        thrombolysis_at: null,
        discharge_at: null,
        discharge_destination: null,
        mrs_discharge: null,
        mrs_90d: null,
        ...fields,
      });
    /** Discharged alive at `at` (ms) with no 90-day mRS. */
    const home = (at: number) => ({
      discharge_at: iso(at),
      discharge_destination: "home",
      mrs_discharge: 2,
    });
    const arrivalOf = (days: number) => start - days * DAY + 8 * 60 * MIN;
    const genders = ["Female", "Male", "Female", "Male", "Male"];
    for (const [i, gender] of genders.entries()) {
      const res = await user.api("POST", "/api/patient_data", samplePatient({ id: i + 1, gender }));
      assert.equal(res.status, 201, res.text);
    }
    const followedUp = { ...home(start - 293 * DAY), mrs_90d: 1 };
    // Patient 1 (female): one admission without NIHSS, one with an NIHSS of 0.
    await admit(user, 1, arriving(300, { ...followedUp, nihss_arrival: null }));
    await admit(user, 1, arriving(300, { ...followedUp, nihss_arrival: 0 }));
    // Patient 2: discharged alive 105 days ago (the day's last minute) and 104 days ago (its
    // first instant), neither followed up; died in hospital; discharged with no destination.
    await admit(user, 2, arriving(110, home(start - 104 * DAY - MIN)));
    await admit(user, 2, arriving(110, home(start - 104 * DAY)));
    await admit(
      user,
      2,
      arriving(210, {
        discharge_at: iso(start - 200 * DAY),
        discharge_destination: "died",
        mrs_discharge: 6,
      }),
    );
    await admit(user, 2, arriving(160, { discharge_at: iso(start - 150 * DAY) }));
    // Patient 3: haemorrhagic strokes, one thrombolysed.
    const bleed = (needle: number | null) =>
      arriving(30, {
        stroke_type: "haemorrhagic",
        last_known_well_at: iso(arrivalOf(30) - 60 * MIN),
        thrombolysis_at: needle === null ? null : iso(arrivalOf(30) + needle * MIN),
      });
    await admit(user, 3, bleed(40));
    await admit(user, 3, bleed(null));
    // Patient 4: thrombolysis 271 and 270 minutes after onset, and with the onset unknown.
    const lysed = (onset: number | null, needle: number) =>
      arriving(20, {
        last_known_well_at: onset === null ? null : iso(arrivalOf(20) - onset * MIN),
        thrombolysis_at: iso(arrivalOf(20) + needle * MIN),
      });
    await admit(user, 4, lysed(200, 71));
    await admit(user, 4, lysed(200, 70));
    await admit(user, 4, lysed(null, 300));
    // Patient 5 (male): no NIHSS.
    await admit(user, 5, arriving(5, { nihss_arrival: null }));

    const expected = {
      nihss_missing: ["1/1", "5/1"],
      mrs_90d_missing: ["2/1", "2/4"],
      thrombolysis_haemorrhagic: ["3/1"],
      onset_to_needle_over_4_5h: ["4/1"],
    };
    const res = await user.api("GET", QUALITY);
    assert.equal(res.status, 200, res.text);
    const { admissions } = res.body;
    assert.equal(admissions.total, 12);
    assert.equal(admissions.as_of, new Date(start).toISOString().slice(0, 10));
    assert.equal(admissions.time_zone, "UTC");
    assert.deepEqual(listed(admissions), expected);
    for (const check of admissions.checks) {
      assert.equal(check.count, check.admissions.length, check.key);
      assert.equal(check.truncated, false);
    }

    const b = await browser();
    const page = await dashboard(b);
    assert.equal(page.status, 200);
    assert.deepEqual(linked(page.dom), expected);
    const nihss = page.dom.get('#admission-checks li[data-key="nihss_missing"]');
    assert.match(textOf(nihss), /NIHSS not recorded on arrival: 2/);
    assert.equal(
      nihss.querySelector("a")!.getAttribute("href"),
      "/patients/1#admission-1",
      "a link opens the admission on its patient's page",
    );
    assert.match(page.dom.text("#admission-checks"), /12 admissions of these records/);
    assert.match(page.dom.text("#admission-checks"), /Days are UTC's \(today is \d{4}-\d\d-\d\d\)/);

    // The list's filters: the women's admissions only.
    const women = await user.api("GET", `${QUALITY}?gender=Female`);
    assert.equal(women.body.admissions.total, 4);
    assert.deepEqual(listed(women.body.admissions).nihss_missing, ["1/1"]);
    assert.deepEqual(linked((await dashboard(b, "?gender=Female")).dom).nihss_missing, ["1/1"]);

    // An admission put right, and one deleted, leave the lists at once.
    const fixed = await user.api("PATCH", "/api/patient_data/2/admissions/1", { mrs_90d: 2 });
    assert.equal(fixed.status, 200, fixed.text);
    assert.equal((await user.api("DELETE", "/api/patient_data/4/admissions/1")).status, 204);
    const after = listed((await user.api("GET", QUALITY)).body.admissions);
    assert.deepEqual(after.mrs_90d_missing, ["2/4"]);
    assert.deepEqual(after.onset_to_needle_over_4_5h, []);
    assert.deepEqual(linked((await dashboard(b)).dom), after);
  },
);

apiTest(
  "a rule finding more admissions than the list holds counts them all and lists the first",
  async ({ user, browser }) => {
    for (const id of [1, 2, 3]) {
      const res = await user.api("POST", "/api/patient_data", samplePatient({ id }));
      assert.equal(res.status, 201, res.text);
    }
    // 70 admissions without NIHSS per patient, patient 3's first in the file.
    const rows = [3, 1, 2].flatMap((id) =>
      Array.from({ length: 70 }, (_, i) => {
        const arrival = new Date(Date.UTC(2024, 0, 1) + i * DAY).toISOString();
        return `${id},ischaemic,${arrival},`;
      })
    );
    const csv = `patient_id,stroke_type,arrival_at,nihss_arrival\n${rows.join("\n")}\n`;
    const imported = await user.api("POST", "/api/admissions/import", csv, {
      "Content-Type": "text/csv",
    });
    assert.equal(imported.status, 200, imported.text);
    assert.equal(imported.body.inserted, 210);

    const { admissions } = (await user.api("GET", QUALITY)).body;
    const nihss = admissions.checks.find((c: Json) => c.key === "nihss_missing");
    assert.equal(nihss.count, 210);
    assert.equal(nihss.truncated, true);
    assert.equal(nihss.admissions.length, MAX_CHECKS);
    const first = [1, 2, 3].flatMap((patient_id) =>
      Array.from({ length: 70 }, (_, i) => ({ patient_id, admission_id: i + 1 }))
    ).slice(0, MAX_CHECKS);
    assert.deepEqual(nihss.admissions, first);

    const { dom } = await dashboard(await browser());
    const item = dom.get('#admission-checks li[data-key="nihss_missing"]');
    assert.equal(item.querySelectorAll(".check-list a").length, 20, "the page lists 20");
    assert.match(textOf(item), /NIHSS not recorded on arrival: 210/);
    assert.match(textOf(item), /And 180 more admissions/);
    assert.match(textOf(item), /Only the first 200 are listed/);
  },
);

apiTest(
  "in a team registry every member sees the team's admissions to check, a non-member gets 404",
  async ({ app, user: owner, newUser }) => {
    const [editor, viewer, outsider] = [await newUser(), await newUser(), await newUser()];
    const rid = await teamRegistry(owner);
    await addMember(owner, rid, editor.email, "editor");
    await addMember(owner, rid, viewer.email, "viewer");
    const q = `?registry=${rid}`;
    const created = await owner.api("POST", `/api/patient_data${q}`, samplePatient({ id: 1 }));
    assert.equal(created.status, 201, created.text);
    await admit(owner, 1, admissionBody({ nihss_arrival: null }), q);

    for (
      const [who, person, status] of [
        ["owner", owner, 200],
        ["editor", editor, 200],
        ["viewer", viewer, 200],
        ["outsider", outsider, 404],
      ] as const
    ) {
      const res = await person.api("GET", `${QUALITY}${q}`);
      assert.equal(res.status, status, who);
      if (status === 200) {
        assert.deepEqual(listed(res.body.admissions).nihss_missing, ["1/1"], who);
      }
      const b = await loggedInBrowser(app, { email: person.email, existing: true });
      const page = await dashboard(b, q);
      assert.equal(page.status, status, `the dashboard for the ${who}`);
      if (status === 200) {
        const link = page.dom.get("#admission-checks .check-list a").getAttribute("href");
        assert.equal(link, `/patients/1?registry=${rid}#admission-1`, who);
      }
    }
    // The owner's personal registry has no admissions.
    const personal = await owner.api("GET", QUALITY);
    assert.equal(personal.body.admissions.total, 0);
    assert.ok(personal.body.admissions.checks.every((c: Json) => c.count === 0));
  },
);
