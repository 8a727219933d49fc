/**
 * The quality indicators against hand-computed fixtures: medians and R type 7 quartiles, empty
 * denominators, the period's days and months in the user's time zone, and a DST night.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { AdmissionFields } from "../lib/stroke/admission_fields.ts";
import {
  type AdmissionFacts,
  INDICATORS,
  medianOfSorted,
  periodBounds,
  type ProportionIndicator,
  QualityCounter,
  type QualityIndicators,
  qualityIndicators,
  qualityIndicatorsOf,
  quantileType7,
  rateInterval,
  readPeriod,
  type TimeIndicator,
} from "../lib/stroke/quality_indicators.ts";
import { syntheticAdmissions } from "../lib/stroke/synthetic_admissions.ts";
import { admissionWith } from "./helpers/stroke_admissions.ts";

const at = (text: string) => new Date(text);
const plus = (base: string, minutes: number) => new Date(Date.parse(base) + minutes * 60_000);

/**
 * Eight admissions; in Europe/London from 2026-01-01 to 2026-03-31 six count (A5 arrives on
 * 1 April at 00:30 summer time, A7 on 31 December). A6 arrives on the spring-forward night:
 * its needle is 60 real minutes after arrival though the clock moved two hours.
 */
const A1 = "2026-01-10T10:00:00Z";
const A2 = "2026-01-15T22:00:00Z";
const A3 = "2026-02-03T12:00:00Z";
const A4 = "2026-02-28T23:30:00Z";
const A5 = "2026-03-31T23:30:00Z";
const A6 = "2026-03-29T00:30:00Z";
const A7 = "2025-12-31T23:59:00Z";
const A8 = "2026-03-10T09:00:00Z";
const FIXTURE: AdmissionFields[] = [
  admissionWith({
    arrival_at: at(A1),
    last_known_well_at: plus(A1, -90),
    imaging_at: plus(A1, 20),
    thrombolysis_at: plus(A1, 45),
    thrombectomy_at: plus(A1, 90),
    nihss_arrival: 12,
    discharge_at: at("2026-01-20T12:00:00Z"),
    discharge_destination: "home",
    mrs_discharge: 2,
    mrs_90d: 1,
  }),
  admissionWith({
    arrival_at: at(A2),
    imaging_at: plus(A2, 30),
    thrombolysis_at: plus(A2, 70),
    nihss_arrival: 8,
    discharge_at: at("2026-01-18T08:00:00Z"),
    discharge_destination: "died",
    mrs_discharge: 6,
    mrs_90d: 6,
  }),
  admissionWith({
    stroke_type: "haemorrhagic",
    arrival_at: at(A3),
    last_known_well_at: plus(A3, -60),
    imaging_at: plus(A3, 10),
    discharge_at: at("2026-02-20T12:00:00Z"),
    discharge_destination: "care_home",
    mrs_discharge: 4,
  }),
  admissionWith({
    stroke_type: "TIA",
    arrival_at: at(A4),
    last_known_well_at: plus(A4, -120),
    nihss_arrival: 0,
    discharge_at: at("2026-03-01T12:00:00Z"),
    discharge_destination: "home",
    mrs_discharge: 0,
    mrs_90d: 0,
  }),
  admissionWith({ arrival_at: at(A5), imaging_at: plus(A5, 5), thrombolysis_at: plus(A5, 25) }),
  admissionWith({
    arrival_at: at(A6),
    imaging_at: plus(A6, 15),
    thrombolysis_at: at("2026-03-29T01:30:00Z"),
    nihss_arrival: 5,
  }),
  admissionWith({ stroke_type: "mimic", arrival_at: at(A7), nihss_arrival: 1 }),
  admissionWith({
    arrival_at: at(A8),
    imaging_at: plus(A8, 40),
    nihss_arrival: 3,
    discharge_at: at("2026-03-15T12:00:00Z"),
    discharge_destination: "rehabilitation",
    mrs_discharge: 3,
    mrs_90d: 2,
  }),
];

const LONDON_Q1 = { from: "2026-01-01", to: "2026-03-31", zone: "Europe/London" };

function indicator<T extends ProportionIndicator | TimeIndicator>(
  q: QualityIndicators,
  key: string,
): T {
  const found = q.indicators.find((i) => i.key === key);
  assert.ok(found, `no indicator ${key}`);
  return found as T;
}

Deno.test("quantileType7() and medianOfSorted() give R's answers", () => {
  const four = [1, 2, 3, 4];
  assert.equal(quantileType7(four, 0.25), 1.75);
  assert.equal(medianOfSorted(four), 2.5);
  assert.equal(quantileType7(four, 0.75), 3.25);
  // R: quantile(c(3,1,4,1,5,9,2,6)) → 1.75, 3.5, 5.25
  const eight = [1, 1, 2, 3, 4, 5, 6, 9];
  assert.deepEqual(
    [quantileType7(eight, 0.25), medianOfSorted(eight), quantileType7(eight, 0.75)],
    [
      1.75,
      3.5,
      5.25,
    ],
  );
  assert.deepEqual([quantileType7([1, 2, 3, 4, 5], 0.25), quantileType7([1, 2, 3, 4, 5], 0.75)], [
    2,
    4,
  ]);
  assert.deepEqual([quantileType7([7], 0.25), medianOfSorted([7]), quantileType7([7], 0.75)], [
    7,
    7,
    7,
  ]);
  // Ties: R's quantile(c(10,10,10,20)) → 10, 10, 12.5
  assert.deepEqual(
    [
      quantileType7([10, 10, 10, 20], 0.25),
      medianOfSorted([10, 10, 10, 20]),
      quantileType7([10, 10, 10, 20], 0.75),
    ],
    [10, 10, 12.5],
  );
  assert.equal(quantileType7([], 0.25), null);
  assert.equal(medianOfSorted([]), null);
});

Deno.test("quantileType7() agrees with R's definition written out, for any sample", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 60 }),
      fc.constantFrom(0.25, 0.5, 0.75),
      (values, p) => {
        const x = [...values].sort((a, b) => a - b);
        // R, ?quantile, type 7: m = 1 − p; j = ⌊np + m⌋; g = np + m − j; Q = (1 − g) x_j + g x_{j+1}
        const n = x.length;
        const m = 1 - p;
        const j = Math.floor(n * p + m + 1e-9);
        const g = n * p + m - j;
        const xj = x[j - 1]!;
        const next = x[Math.min(j, n - 1)]!;
        const expected = (1 - g) * xj + g * next;
        const actual = quantileType7(x, p)!;
        return Math.abs(actual - expected) < 1e-9;
      },
    ),
  );
});

Deno.test("qualityIndicators() computes all eleven indicators of a hand-checked fixture", () => {
  const q = qualityIndicators(FIXTURE, LONDON_Q1);
  assert.equal(q.from, "2026-01-01");
  assert.equal(q.to, "2026-03-31");
  assert.equal(q.admissions, 6);
  assert.deepEqual(q.indicators.map((i) => i.key), INDICATORS.map((i) => i.key));
  const time = (key: string) => {
    const { n, median, q1, q3 } = indicator<TimeIndicator>(q, key);
    return { n, median, q1, q3 };
  };
  const rate = (key: string) => {
    const { numerator, denominator, rate } = indicator<ProportionIndicator>(q, key);
    return { numerator, denominator, rate };
  };
  assert.deepEqual(time("door_to_imaging"), { n: 5, median: 20, q1: 15, q3: 30 });
  assert.deepEqual(time("door_to_needle"), { n: 3, median: 60, q1: 52.5, q3: 65 });
  assert.deepEqual(rate("door_to_needle_60"), { numerator: 2, denominator: 3, rate: 2 / 3 });
  assert.deepEqual(time("door_to_puncture"), { n: 1, median: 90, q1: 90, q3: 90 });
  assert.deepEqual(time("onset_to_arrival"), { n: 3, median: 90, q1: 75, q3: 105 });
  assert.deepEqual(rate("thrombolysis_rate"), { numerator: 3, denominator: 4, rate: 0.75 });
  assert.deepEqual(rate("thrombectomy_rate"), { numerator: 1, denominator: 4, rate: 0.25 });
  assert.deepEqual(rate("nihss_recorded"), { numerator: 5, denominator: 6, rate: 5 / 6 });
  assert.deepEqual(rate("mrs_90d_recorded"), { numerator: 3, denominator: 4, rate: 0.75 });
  assert.deepEqual(rate("in_hospital_death"), { numerator: 1, denominator: 5, rate: 0.2 });
  assert.deepEqual(rate("mrs_90d_good"), { numerator: 3, denominator: 4, rate: 0.75 });
  assert.deepEqual(q.mrs_90d, {
    all: [1, 1, 1, 0, 0, 0, 1],
    thrombolysed: [0, 1, 0, 0, 0, 0, 1],
    not_thrombolysed: [1, 0, 1, 0, 0, 0, 0],
  });
  assert.deepEqual(
    q.by_month.map(({ month, admissions, door_to_needle_median }) => ({
      month,
      admissions,
      door_to_needle_median,
    })),
    [
      { month: "2026-01", admissions: 2, door_to_needle_median: 57.5 },
      { month: "2026-02", admissions: 2, door_to_needle_median: null },
      { month: "2026-03", admissions: 2, door_to_needle_median: 60 },
    ],
  );
  assert.deepEqual(q.by_month.map((m) => m.door_to_needle_n), [2, 0, 1]);
});

Deno.test("qualityIndicators() reads the period's days in the user's zone", () => {
  const utc = qualityIndicators(FIXTURE, { ...LONDON_Q1, zone: "UTC" });
  assert.equal(utc.admissions, 7, "A5 arrives on 31 March in UTC");
  assert.deepEqual(utc.by_month.map((m) => m.admissions), [2, 2, 3]);
  const newYork = qualityIndicators(FIXTURE, { ...LONDON_Q1, zone: "America/New_York" });
  // A5 is 19:30 on 31 March in New York; A7 is 18:59 on 31 December, before the period.
  assert.equal(newYork.admissions, 7);
  // A4 is 18:30 on 28 February in New York, as in London.
  assert.deepEqual(newYork.by_month.map((m) => m.admissions), [2, 2, 3]);
  const bounds = periodBounds(LONDON_Q1);
  assert.equal(new Date(bounds.start).toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(new Date(bounds.end).toISOString(), "2026-03-31T23:00:00.000Z");
});

Deno.test("qualityIndicators() counts real minutes across the clocks going forward", () => {
  const night = qualityIndicators([FIXTURE[5]!], {
    from: "2026-03-29",
    to: "2026-03-29",
    zone: "Europe/London",
  });
  const dtn = indicator<TimeIndicator>(night, "door_to_needle");
  assert.equal(dtn.median, 60, "00:30 GMT to 02:30 BST is an hour");
  assert.equal(indicator<ProportionIndicator>(night, "door_to_needle_60").numerator, 1);
  // Fall-back night in New York: 01:30 EDT to 01:10 EST is 40 minutes.
  const fallBack = qualityIndicators([
    admissionWith({
      arrival_at: at("2026-11-01T05:30:00Z"),
      thrombolysis_at: at("2026-11-01T06:10:00Z"),
    }),
  ], { from: "2026-11-01", to: "2026-11-01", zone: "America/New_York" });
  assert.equal(indicator<TimeIndicator>(fallBack, "door_to_needle").median, 40);
});

Deno.test("qualityIndicators() gives null rates for empty denominators and null times for none", () => {
  const empty = qualityIndicators([], LONDON_Q1);
  assert.equal(empty.admissions, 0);
  for (const i of empty.indicators) {
    if ("n" in i) assert.deepEqual([i.n, i.median, i.q1, i.q3], [0, null, null, null], i.key);
    else assert.deepEqual([i.numerator, i.denominator, i.rate], [0, 0, null], i.key);
  }
  assert.deepEqual(empty.mrs_90d.all, [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(
    empty.by_month.map((m) => [m.month, m.admissions, m.door_to_needle_median]),
    [["2026-01", 0, null], ["2026-02", 0, null], ["2026-03", 0, null]],
  );
  // Only TIAs: no ischaemic denominator, nobody thrombolysed; admissions still counted.
  const tia = qualityIndicators([FIXTURE[3]!], LONDON_Q1);
  assert.equal(indicator<ProportionIndicator>(tia, "thrombolysis_rate").rate, null);
  assert.equal(indicator<ProportionIndicator>(tia, "door_to_needle_60").rate, null);
  assert.equal(indicator<ProportionIndicator>(tia, "nihss_recorded").rate, 1);
  assert.equal(qualityIndicators([], { from: null, to: null, zone: "UTC" }).by_month.length, 0);
});

Deno.test("qualityIndicators() without a period runs from the first admission's month to the last's", () => {
  const all = qualityIndicators(FIXTURE, { from: null, to: null, zone: "Europe/London" });
  assert.equal(all.from, null);
  assert.equal(all.admissions, 8);
  assert.deepEqual(all.by_month.map((m) => [m.month, m.admissions]), [
    ["2025-12", 1],
    ["2026-01", 2],
    ["2026-02", 2],
    ["2026-03", 2],
    ["2026-04", 1],
  ]);
});

Deno.test("qualityIndicators() gives the same answer for Dates, epoch milliseconds, a stream and a counter", async () => {
  const asMs: AdmissionFacts[] = FIXTURE.map((a) =>
    Object.fromEntries(
      Object.entries(a).map(([k, v]) => [k, v instanceof Date ? v.getTime() : v]),
    ) as unknown as AdmissionFacts
  );
  const expected = qualityIndicators(FIXTURE, LONDON_Q1);
  assert.deepEqual(qualityIndicators(asMs, LONDON_Q1), expected);
  async function* cursor() {
    for (const a of FIXTURE) yield await Promise.resolve(a);
  }
  assert.deepEqual(await qualityIndicatorsOf(cursor(), LONDON_Q1), expected);
  const counter = new QualityCounter(LONDON_Q1);
  for (const a of FIXTURE) counter.add(a);
  assert.deepEqual(counter.result(), expected);
  assert.deepEqual(counter.result(), expected, "asking twice gives the same answer");
});

Deno.test("qualityIndicators() equals an independent computation over many synthetic admissions", () => {
  const patients = Array.from({ length: 3000 }, (_, i) => ({
    id: i + 1,
    age: 45 + (i % 50),
    stroke: (i % 3 === 0 ? 0 : 1) as 0 | 1,
  }));
  const now = new Date("2026-06-30T12:00:00Z");
  const admissions = [...syntheticAdmissions(patients, { seed: 9, now })].map((p) => p.admission);
  const period = { from: "2025-01-01", to: "2026-03-31", zone: "America/New_York" };
  const q = qualityIndicators(admissions, period);

  // The same, written plainly: filter by the local date text, then sort and pick.
  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: period.zone, dateStyle: "short" });
  const localDate = (d: Date) => dayFormat.format(d);
  const inPeriod = admissions.filter((a) => {
    const day = localDate(a.arrival_at);
    return day >= period.from && day <= period.to;
  });
  assert.equal(q.admissions, inPeriod.length);
  const minutes = (from: Date | null, to: Date | null) =>
    from && to ? [(to.getTime() - from.getTime()) / 60_000] : [];
  const r7 = (values: number[], p: number) => {
    if (values.length === 0) return null;
    const x = [...values].sort((a, b) => a - b);
    const h = (x.length - 1) * p;
    return x[Math.floor(h)]! + (h - Math.floor(h)) * (x[Math.ceil(h)]! - x[Math.floor(h)]!);
  };
  const median = (values: number[]) => {
    const x = [...values].sort((a, b) => a - b);
    if (x.length === 0) return null;
    return x.length % 2 ? x[(x.length - 1) / 2]! : (x[x.length / 2 - 1]! + x[x.length / 2]!) / 2;
  };
  const times = {
    door_to_imaging: inPeriod.flatMap((a) => minutes(a.arrival_at, a.imaging_at)),
    door_to_needle: inPeriod.flatMap((a) => minutes(a.arrival_at, a.thrombolysis_at)),
    door_to_puncture: inPeriod.flatMap((a) => minutes(a.arrival_at, a.thrombectomy_at)),
    onset_to_arrival: inPeriod.flatMap((a) => minutes(a.last_known_well_at, a.arrival_at)),
  };
  for (const [key, values] of Object.entries(times)) {
    const t = indicator<TimeIndicator>(q, key);
    assert.deepEqual([t.n, t.median, t.q1, t.q3], [
      values.length,
      median(values),
      r7(values, 0.25),
      r7(values, 0.75),
    ], key);
  }
  const ischaemic = inPeriod.filter((a) => a.stroke_type === "ischaemic");
  const discharged = inPeriod.filter((a) => a.discharge_at || a.discharge_destination);
  const alive = discharged.filter((a) => a.discharge_destination !== "died");
  const withMrs = inPeriod.filter((a) => a.mrs_90d !== null);
  const proportions: Record<string, [number, number]> = {
    door_to_needle_60: [
      times.door_to_needle.filter((m) => m <= 60).length,
      times.door_to_needle.length,
    ],
    thrombolysis_rate: [ischaemic.filter((a) => a.thrombolysis_at).length, ischaemic.length],
    thrombectomy_rate: [ischaemic.filter((a) => a.thrombectomy_at).length, ischaemic.length],
    nihss_recorded: [inPeriod.filter((a) => a.nihss_arrival !== null).length, inPeriod.length],
    mrs_90d_recorded: [alive.filter((a) => a.mrs_90d !== null).length, alive.length],
    in_hospital_death: [
      discharged.filter((a) => a.discharge_destination === "died").length,
      discharged.length,
    ],
    mrs_90d_good: [withMrs.filter((a) => a.mrs_90d! <= 2).length, withMrs.length],
  };
  for (const [key, [numerator, denominator]] of Object.entries(proportions)) {
    const p = indicator<ProportionIndicator>(q, key);
    assert.deepEqual([p.numerator, p.denominator, p.rate], [
      numerator,
      denominator,
      denominator ? numerator / denominator : null,
    ], key);
  }
  const grades = (list: typeof inPeriod) =>
    [0, 1, 2, 3, 4, 5, 6].map((g) => list.filter((a) => a.mrs_90d === g).length);
  assert.deepEqual(q.mrs_90d.all, grades(inPeriod));
  assert.deepEqual(q.mrs_90d.thrombolysed, grades(inPeriod.filter((a) => a.thrombolysis_at)));
  assert.deepEqual(q.mrs_90d.not_thrombolysed, grades(inPeriod.filter((a) => !a.thrombolysis_at)));
  assert.equal(q.by_month.length, 15);
  for (const row of q.by_month) {
    const month = inPeriod.filter((a) => localDate(a.arrival_at).startsWith(row.month));
    assert.equal(row.admissions, month.length, row.month);
    assert.equal(
      row.door_to_needle_median,
      median(month.flatMap((a) => minutes(a.arrival_at, a.thrombolysis_at))),
      row.month,
    );
  }
});

Deno.test("rateInterval() gives a proportion's 95% Wilson interval, none for an empty denominator", () => {
  const ci = rateInterval({ numerator: 2, denominator: 3 })!;
  assert.ok(ci.low < 2 / 3 && ci.high > 2 / 3);
  assert.equal(Number(ci.low.toFixed(4)), 0.2077);
  assert.equal(Number(ci.high.toFixed(4)), 0.9385);
  assert.equal(rateInterval({ numerator: 0, denominator: 0 }), null);
});

Deno.test("readPeriod() reads inclusive dates, open ends, and names each bad parameter", () => {
  assert.deepEqual(readPeriod({ from: "2026-01-01", to: "2026-03-31" }, "Europe/London"), {
    ok: true,
    period: LONDON_Q1,
  });
  assert.deepEqual(readPeriod({ from: "", to: undefined }, "UTC"), {
    ok: true,
    period: { from: null, to: null, zone: "UTC" },
  });
  const bad = readPeriod({ from: "2026-02-30", to: "0001-01-01" }, "UTC");
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.field), ["from", "to"]);
  assert.match(bad.errors[0]!.message, /from must be a date written YYYY-MM-DD/);
  assert.match(bad.errors[1]!.message, /to must be a date from 1900 to 2199/);
  const reversed = readPeriod({ from: "2026-03-01", to: "2026-02-28" }, "UTC");
  assert.deepEqual(!reversed.ok && reversed.errors, [
    { field: "to", message: "to (2026-02-28) must not be before from (2026-03-01)" },
  ]);
  const long = readPeriod({ from: "x".repeat(10_000) }, "UTC");
  assert.ok(!long.ok && long.errors[0]!.message.length < 120, "a long value is not echoed");
});
