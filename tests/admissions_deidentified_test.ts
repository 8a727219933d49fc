/**
 * The de-identified admissions export (`GET /api/admissions/export?deidentify=true`), on every
 * patient backend: each row is an admission and its patient as the records' de-identified export
 * writes them (a pseudo id of its own per patient, ages in bands, k and the rows left out in the
 * headers); every time of a patient is moved by the same whole number of weeks, never 0, so that
 * every interval, time of day and weekday equals the identified export's while no date does — a
 * clock change in the user's time zone included; another export draws other pseudo ids and
 * shifts. A viewer may ask for it (not for the plain one), a non-member gets 404, and it is
 * audited as an export.
 */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import { updateUserTimeZone } from "../db/accounts/users.ts";
import { DEIDENTIFIED_ADMISSION_COLUMNS, MAX_SHIFT_WEEKS } from "../lib/admission_export.ts";
import { TIME_FIELDS } from "../lib/stroke/admission_fields.ts";
import { apiTest, type ApiUser, samplePatient } from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { parseDom } from "./helpers/html.ts";
import { addMember, newMember, teamRegistry } from "./helpers/registries.ts";

const EXPORT = "/api/admissions/export";
const PSEUDO_ID = /^[A-Z][A-Z2-7]{11}$/;
const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const WEEK = 7 * DAY;

type Row = Record<string, string>;

/** A CSV export's rows as objects by column name (no cell here holds a comma or a quote). */
function rowsOf(text: string): Row[] {
  const [header, ...lines] = text.trimEnd().split("\r\n");
  const names = header!.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i]!, v])));
}

/** The instant a CSV time names, in ms. */
const at = (text: string) => Date.parse(text);
/** The clock time and the weekday a time was written with (the offset's own day and hour). */
function clockOf(text: string): string {
  const local = new Date(`${text.slice(0, 19)}Z`);
  return `${local.getUTCDay()} ${text.slice(11, 19)} ${text.slice(19)}`;
}

/** The times of one admission, minutes from arrival to every other time known. */
function intervals(row: Row): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of TIME_FIELDS) {
    if (row[field]) out[field] = (at(row[field]!) - at(row.arrival_at!)) / MINUTE;
  }
  return out;
}

/** Patients 1–6 (each its own age band) with 1 to 3 admissions each, told apart by their NIHSS. */
async function registryWithAdmissions(user: ApiUser, query = ""): Promise<number> {
  let nihss = 0;
  for (let id = 1; id <= 6; id++) {
    const patient = samplePatient({ id, age: 20 + 10 * id, gender: id % 2 ? "Male" : "Female" });
    const res = await user.api("POST", `/api/patient_data${query}`, patient);
    assert.equal(res.status, 201, res.text);
    for (let n = 0; n <= id % 3; n++) {
      const arrival = Date.UTC(2025, 0, 3 + 17 * id + 40 * n, 7 + 3 * n, 5 * id);
      const time = (minutes: number) => new Date(arrival + minutes * MINUTE).toISOString();
      const body = admissionBody({
        last_known_well_at: n === 1 ? null : time(-95 - id),
        arrival_at: time(0),
        imaging_at: time(18 + n),
        nihss_arrival: ++nihss,
        thrombolysis_at: n === 2 ? null : time(41 + id),
        discharge_at: time(6 * 1440 + 125 * id),
      });
      const made = await user.api("POST", `/api/patient_data/${id}/admissions${query}`, body);
      assert.equal(made.status, 201, made.text);
    }
  }
  return nihss;
}

apiTest(
  "every interval, time of day and weekday is the identified export's; no date is",
  async ({ user }) => {
    const count = await registryWithAdmissions(user);
    const plain = rowsOf((await user.api("GET", EXPORT)).text);
    const res = await user.api("GET", `${EXPORT}?deidentify=true`);
    assert.equal(res.status, 200, res.text);
    assert.match(
      res.headers.get("Content-Disposition") ?? "",
      /^attachment; filename="admissions-deidentified-\d{4}-\d\d-\d\d\.csv"$/,
    );
    assert.equal(res.headers.get("X-K-Anonymity"), "1");
    assert.equal(res.headers.get("X-Suppressed-Rows"), "0");
    assert.equal(res.text.split("\r\n")[0], DEIDENTIFIED_ADMISSION_COLUMNS.join(","));
    assert.ok(!/(^|,)patient_id(,|$)/.test(res.text.split("\r\n")[0]!));
    const rows = rowsOf(res.text);
    assert.equal(rows.length, count);
    const byNihss = new Map(plain.map((r) => [r.nihss_arrival, r]));
    const shiftOf = new Map<string, number>();
    const pseudoOf = new Map<string, string>();
    for (const row of rows) {
      const real = byNihss.get(row.nihss_arrival)!;
      assert.ok(real, `admission with NIHSS ${row.nihss_arrival} is in both`);
      assert.match(row.pseudo_id!, PSEUDO_ID);
      // Every interval exact; every time moved by the patient's one shift, with its clock kept.
      assert.deepEqual(intervals(row), intervals(real));
      const shift = at(row.arrival_at!) - at(real.arrival_at!);
      for (const field of TIME_FIELDS) {
        assert.equal(row[field] === "", real[field] === "", field);
        if (!row[field]) continue;
        assert.equal(at(row[field]!) - at(real[field]!), shift, field);
        assert.equal(clockOf(row[field]!), clockOf(real[field]!), field);
        assert.notEqual(row[field]!.slice(0, 10), real[field]!.slice(0, 10), field);
      }
      assert.ok(shift !== 0 && shift % WEEK === 0, `a whole number of weeks: ${shift}`);
      assert.ok(Math.abs(shift) <= MAX_SHIFT_WEEKS * WEEK);
      // One patient: one pseudo id and one shift, on all its rows (and nobody else's pseudo id).
      const patient = real.patient_id!;
      assert.equal(shiftOf.get(patient) ?? shift, shift);
      assert.equal(pseudoOf.get(patient) ?? row.pseudo_id, row.pseudo_id);
      shiftOf.set(patient, shift);
      pseudoOf.set(patient, row.pseudo_id!);
      // The patient's fields as the records' de-identified export writes them.
      const age = 20 + 10 * Number(patient);
      assert.equal(row.age, `${age}-${age + 4}`);
      assert.equal(row.gender, Number(patient) % 2 ? "Male" : "Female");
      assert.equal(row.avg_glucose_level, "228.69");
      assert.deepEqual(
        [row.admission_id, row.stroke_type, row.mrs_90d],
        [real.admission_id, real.stroke_type, real.mrs_90d],
      );
    }
    assert.equal(new Set(pseudoOf.values()).size, 6);
    // Another export: other pseudo ids, other shifts.
    const again = rowsOf((await user.api("GET", `${EXPORT}?deidentify=true`)).text);
    const before = new Set(pseudoOf.values());
    assert.ok(again.every((r) => !before.has(r.pseudo_id!)));
    const moved = (list: Row[]) => list.map((r) => `${r.nihss_arrival} ${r.arrival_at}`).sort();
    assert.notDeepEqual(moved(again), moved(rows));
  },
);

apiTest(
  "an interval over a clock change in the user's time zone is exact, its clock times kept",
  async ({ app, user }) => {
    await updateUserTimeZone(app.stores.accounts, user.id, "Europe/London");
    const res = await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
    assert.equal(res.status, 201, res.text);
    // London's spring-forward night: 00:40 GMT to 02:10 BST is 30 minutes; onset the evening
    // before (GMT), discharge a week later (BST).
    const body = admissionBody({
      last_known_well_at: "2025-03-29T23:55:00+00:00",
      arrival_at: "2025-03-30T00:40:00+00:00",
      imaging_at: "2025-03-30T00:58:00+00:00",
      thrombolysis_at: "2025-03-30T02:10:00+01:00",
      discharge_at: "2025-04-06T11:00:00+01:00",
    });
    assert.equal((await user.api("POST", "/api/patient_data/1/admissions", body)).status, 201);
    const [real] = rowsOf((await user.api("GET", EXPORT)).text);
    assert.equal(real!.thrombolysis_at, "2025-03-30T02:10:00+01:00");
    for (let i = 0; i < 3; i++) {
      const [row] = rowsOf((await user.api("GET", `${EXPORT}?deidentify=true`)).text);
      assert.deepEqual(intervals(row!), intervals(real!));
      assert.deepEqual(intervals(row!), {
        last_known_well_at: -45,
        arrival_at: 0,
        imaging_at: 18,
        thrombolysis_at: 30,
        discharge_at: 7 * 1440 + 560,
      });
      for (const field of TIME_FIELDS) {
        if (row![field]) assert.equal(clockOf(row![field]!), clockOf(real![field]!), field);
      }
    }
  },
);

apiTest(
  "k_min leaves out the admissions of patients in small groups, counted in the headers",
  async ({ user }) => {
    await registryWithAdmissions(user);
    // Every patient is alone in its group (each has an age band of its own): all 12 admissions go.
    const res = await user.api("GET", `${EXPORT}?deidentify=true&k_min=2&coarsen=true`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("X-K-Anonymity"), "0");
    assert.equal(res.headers.get("X-Suppressed-Rows"), "12");
    assert.deepEqual(rowsOf(res.text), []);
    const bad = [
      `${EXPORT}?k_min=2`,
      `${EXPORT}?coarsen=true`,
      `${EXPORT}?deidentify=yes`,
      `${EXPORT}?deidentify=true&k_min=0`,
      `${EXPORT}?deidentify=true&format=json`,
      `${EXPORT}?deidentify=true&sort=age`,
    ];
    for (const path of bad) assert.equal((await user.api("GET", path)).status, 400, path);
  },
);

apiTest(
  "a viewer may export de-identified admissions only; a non-member gets 404; each is audited",
  async ({ app, user, patients, browser }) => {
    const rid = await teamRegistry(user);
    const query = `?registry=${rid}`;
    const count = await registryWithAdmissions(user, query);
    const viewer = await newMember(app, "viewer@example.org");
    await addMember(user, rid, viewer.user.email, "viewer");
    const outsider = await newMember(app, "outsider@example.org");

    const refused = await viewer.user.api("GET", `${EXPORT}${query}`);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.required_role, "editor");
    const shared = await viewer.user.api("GET", `${EXPORT}${query}&deidentify=true`);
    assert.equal(shared.status, 200, shared.text);
    assert.equal(rowsOf(shared.text).length, count);
    // Through the browser session too (the page's own link).
    const viaPage = await viewer.session("GET", `${EXPORT}${query}&deidentify=true&coarsen=true`);
    assert.equal(viaPage.status, 200, viaPage.text);
    for (const path of [`${EXPORT}${query}`, `${EXPORT}${query}&deidentify=true`]) {
      assert.equal((await outsider.user.api("GET", path)).status, 404, path);
    }
    // The viewer's own personal registry has none of the team's admissions.
    assert.deepEqual(rowsOf((await viewer.user.api("GET", `${EXPORT}?deidentify=true`)).text), []);

    const { items } = await patients.audit.search({ action: "export" }, { offset: 0, limit: 20 });
    const exports = items.filter((e) => e.user_id === viewer.user.id && e.details?.of);
    assert.equal(exports.length, 3);
    assert.deepEqual(exports.map((e) => e.owner_id < 0), [false, true, true]);
    assert.deepEqual(exports.map((e) => e.details), [
      { format: "csv", of: "admissions", deidentify: true, filter: {} },
      { format: "csv", of: "admissions", deidentify: true, coarsen: true, filter: {} },
      { format: "csv", of: "admissions", deidentify: true, filter: {} },
    ]);
    // The admin's log says what was exported, in words.
    await setAdmin(app.stores.accounts, user.email, true);
    const admin = await browser();
    const log = parseDom(await (await admin.get(`/admin/audit?user_id=${viewer.user.id}`)).text());
    const details = log.all("table.admin-audit tbody tr").map((tr) => tr.textContent ?? "");
    assert.ok(details.some((row) => /CSV of admissions, de-identified/.test(row)), details.join());
  },
);
