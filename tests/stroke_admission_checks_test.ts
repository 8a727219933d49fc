/**
 * The admissions' data-quality rules at their edges, on a fixed clock: 104 days after discharge
 * is still inside the 90-day mRS window and 105 is not (calendar days of the user's zone, so the
 * same discharge can be 104 days ago in one zone and 105 in another); an admission that ended in
 * death is never asked for a 90-day mRS; thrombolysis 270 minutes after onset is inside the
 * window and 271 is not; only haemorrhagic strokes are flagged for thrombolysis; the listed
 * admissions are the lowest by patient then number, whatever order they came in.
 */
import assert from "node:assert/strict";
import { AdmissionChecker, type CheckedAdmission } from "../lib/stroke/admission_checks.ts";
import type { AdmissionFields } from "../lib/stroke/admission_fields.ts";
import { sampleAdmission } from "./helpers/admissions.ts";

const MIN = 60_000;

/** An admission of patient `patient_id`, number `admission_id`: the sample's fields, changed. */
function admission(
  patient_id: number,
  admission_id: number,
  fields: Partial<AdmissionFields> = {},
): CheckedAdmission {
  return { patient_id, admission_id, ...sampleAdmission(fields) };
}

/** Which admissions (`patient/number`) each rule found. */
function found(checker: AdmissionChecker): Record<string, string[]> {
  return Object.fromEntries(
    checker.result().checks.map((c) => [
      c.key,
      c.admissions.map((a) => `${a.patient_id}/${a.admission_id}`),
    ]),
  );
}

/** Discharged alive (home) at `at`, no 90-day mRS. */
const alive = (at: string) => ({
  discharge_at: new Date(at),
  discharge_destination: "home" as const,
  mrs_90d: null,
});

Deno.test("the 90-day mRS is missing from the 105th day after discharge, counted in UTC", () => {
  const checker = new AdmissionChecker({ now: new Date("2025-06-01T00:00:30Z"), zone: "UTC" });
  // 2025-06-01 − 104 days = 2025-02-17; − 105 days = 2025-02-16.
  checker.add(admission(1, 1, alive("2025-02-16T23:59:59.999Z"))); // 105 days: found
  checker.add(admission(1, 2, alive("2025-02-17T00:00:00.000Z"))); // 104 days: not yet
  checker.add(admission(2, 1, {
    ...alive("2024-01-10T12:00:00Z"),
    discharge_destination: "died",
    mrs_discharge: 6,
  })); // died in hospital: no 90-day mRS is asked for
  checker.add(admission(3, 1, { ...alive("2024-01-10T12:00:00Z"), mrs_90d: 3 })); // recorded
  checker.add(admission(4, 1, { ...alive("2024-01-10T12:00:00Z"), discharge_at: null })); // when?
  checker.add(admission(5, 1, { ...alive("2024-01-10T12:00:00Z"), discharge_destination: null }));
  const result = checker.result();
  assert.equal(result.as_of, "2025-06-01");
  assert.equal(result.time_zone, "UTC");
  assert.equal(result.total, 6);
  assert.deepEqual(found(checker).mrs_90d_missing, ["1/1", "5/1"]);
  const rule = result.checks.find((c) => c.key === "mrs_90d_missing")!.rule;
  assert.match(rule, /before 2025-02-17 \(more than 104 days before 2025-06-01\)/);
});

Deno.test("the 90-day rule counts the days of the user's zone", () => {
  // 09:00 UTC on 1 June is 23:00 on 1 June at Kiritimati (UTC+14) and 02:00 in Los Angeles.
  const now = new Date("2025-06-01T09:00:00Z");
  // 11:00 UTC on 16 February is 01:00 on 17 February at Kiritimati, 03:00 on 16 February in LA.
  const discharge = admission(1, 1, alive("2025-02-16T11:00:00Z"));
  const kiritimati = new AdmissionChecker({ now, zone: "Pacific/Kiritimati" });
  const losAngeles = new AdmissionChecker({ now, zone: "America/Los_Angeles" });
  kiritimati.add(discharge);
  losAngeles.add(discharge);
  assert.equal(kiritimati.result().as_of, "2025-06-01");
  assert.equal(losAngeles.result().as_of, "2025-06-01");
  assert.deepEqual(found(kiritimati).mrs_90d_missing, [], "104 days at Kiritimati");
  assert.deepEqual(found(losAngeles).mrs_90d_missing, ["1/1"], "105 days in Los Angeles");
});

Deno.test("thrombolysis is flagged more than 270 minutes after onset, and in a haemorrhage", () => {
  const checker = new AdmissionChecker({ now: new Date("2025-06-01T00:00:00Z"), zone: "UTC" });
  const arrival = new Date("2025-03-10T09:00:00Z").getTime();
  const lysed = (onset: number | null, needle: number, type = "ischaemic") => ({
    stroke_type: type as AdmissionFields["stroke_type"],
    last_known_well_at: onset === null ? null : new Date(arrival - onset * MIN),
    thrombolysis_at: new Date(arrival + needle * MIN),
  });
  checker.add(admission(1, 1, lysed(200, 71))); // 271 minutes after onset
  checker.add(admission(1, 2, lysed(200, 70))); // 270: inside the window
  checker.add(admission(1, 3, lysed(200, 70.001))); // a little over 270
  checker.add(admission(1, 4, lysed(null, 400))); // onset unknown: nothing to measure
  checker.add(admission(2, 1, lysed(60, 40, "haemorrhagic")));
  checker.add(admission(2, 2, { stroke_type: "haemorrhagic", thrombolysis_at: null }));
  checker.add(admission(2, 3, lysed(60, 40, "mimic")));
  const result = found(checker);
  assert.deepEqual(result.onset_to_needle_over_4_5h, ["1/1", "1/3"]);
  assert.deepEqual(result.thrombolysis_haemorrhagic, ["2/1"]);
  assert.deepEqual(result.nihss_missing, []);
  assert.deepEqual(result.mrs_90d_missing, []);
});

Deno.test("each rule lists the lowest admissions by patient then number, whatever their order", () => {
  const checker = new AdmissionChecker({
    now: new Date("2025-06-01T00:00:00Z"),
    zone: "UTC",
    limit: 5,
  });
  const all: [number, number][] = [];
  for (let p = 1; p <= 40; p++) for (let a = 1; a <= 25; a++) all.push([p, a]);
  // A fixed shuffle: the store hands admissions over in no particular order.
  let seed = 7;
  for (let i = all.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  for (const [p, a] of all) checker.add(admission(p, a, { nihss_arrival: null }));
  const nihss = checker.result().checks.find((c) => c.key === "nihss_missing")!;
  assert.equal(nihss.count, 1000);
  assert.equal(nihss.truncated, true);
  assert.deepEqual(
    nihss.admissions,
    [1, 2, 3, 4, 5].map((a) => ({ patient_id: 1, admission_id: a })),
  );
  const other = checker.result().checks.find((c) => c.key === "thrombolysis_haemorrhagic")!;
  assert.deepEqual([other.count, other.admissions, other.truncated], [0, [], false]);
});
