/** Indicators for sharing: counts 1–4 shown as "<5", the rates and medians built on them left out. */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { AdmissionFields } from "../lib/stroke/admission_fields.ts";
import { qualityIndicators, type QualityPeriod } from "../lib/stroke/quality_indicators.ts";
import {
  forSharing,
  INDICATOR_CSV_COLUMNS,
  qualityIndicatorsCsv,
  shareCount,
  type SharedProportion,
  type SharedTime,
} from "../lib/stroke/small_numbers.ts";
import { admissionWith } from "./helpers/stroke_admissions.ts";

const PERIOD: QualityPeriod = { from: "2026-01-01", to: "2026-12-31", zone: "UTC" };

/** `count` ischaemic admissions in March; the first `lysed` thrombolysed 40 + i minutes after arrival. */
function admissions(count: number, lysed: number): AdmissionFields[] {
  return Array.from({ length: count }, (_, i) => {
    const arrival = Date.parse("2026-03-01T10:00:00Z") + i * 86_400_000 / 2;
    return admissionWith({
      arrival_at: new Date(arrival),
      imaging_at: new Date(arrival + 20 * 60_000),
      nihss_arrival: i % 2 === 0 ? 4 : null,
      thrombolysis_at: i < lysed ? new Date(arrival + (40 + i) * 60_000) : null,
      discharge_at: new Date(arrival + 5 * 86_400_000),
      discharge_destination: "home",
      mrs_discharge: 1,
      mrs_90d: i < 7 ? 1 : null,
    });
  });
}

const row = (rows: Record<string, string>[], key: string) => rows.find((r) => r.key === key)!;

Deno.test("shareCount() shows 1 to 4 as <5, and 0 and 5 as they are", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 120].map(shareCount), [
    0,
    "<5",
    "<5",
    "<5",
    "<5",
    5,
    6,
    120,
  ]);
});

Deno.test("forSharing() hides small counts and leaves out the rates and medians built on them", () => {
  const q = qualityIndicators(admissions(12, 3), PERIOD);
  const shared = forSharing(q);
  assert.equal(shared.admissions, 12);
  const get = (key: string) => shared.indicators.find((i) => i.key === key)!;
  const proportion = (key: string) => get(key) as SharedProportion;
  const time = (key: string) => get(key) as SharedTime;
  // 3 thrombolysed: the count, its times and the rates over it or of it are not shared.
  assert.deepEqual(get("door_to_needle"), {
    key: "door_to_needle",
    label: "Door to needle (minutes)",
    n: "<5",
    median: null,
    q1: null,
    q3: null,
  });
  assert.deepEqual(
    [
      proportion("door_to_needle_60").numerator,
      proportion("door_to_needle_60").denominator,
      proportion("door_to_needle_60").rate,
    ],
    ["<5", "<5", null],
  );
  const lysis = proportion("thrombolysis_rate");
  assert.deepEqual([lysis.numerator, lysis.denominator, lysis.rate], ["<5", 12, null]);
  // Big enough counts are kept with their rates; a zero is no one and is shown.
  const imaging = time("door_to_imaging");
  assert.deepEqual([imaging.n, imaging.median], [12, 20]);
  const nihss = proportion("nihss_recorded");
  assert.deepEqual([nihss.numerator, nihss.denominator, nihss.rate], [6, 12, 0.5]);
  const death = proportion("in_hospital_death");
  assert.deepEqual([death.numerator, death.denominator, death.rate], [0, 12, 0]);
  const recorded = proportion("mrs_90d_recorded");
  assert.deepEqual([recorded.numerator, recorded.rate], [7, 7 / 12]);
  assert.deepEqual(shared.mrs_90d.all, [0, 7, 0, 0, 0, 0, 0]);
  assert.deepEqual(shared.mrs_90d.thrombolysed, [0, "<5", 0, 0, 0, 0, 0]);
  assert.deepEqual(shared.mrs_90d.not_thrombolysed, [0, "<5", 0, 0, 0, 0, 0]);
  const march = shared.by_month.find((m) => m.month === "2026-03")!;
  assert.deepEqual(march, {
    month: "2026-03",
    admissions: 12,
    door_to_needle_median: null,
    door_to_needle_n: "<5",
  });
  assert.deepEqual(shared.by_month.find((m) => m.month === "2026-01"), {
    month: "2026-01",
    admissions: 0,
    door_to_needle_median: null,
    door_to_needle_n: 0,
  });
});

Deno.test("forSharing() keeps everything when no count is between 1 and 4", () => {
  const q = qualityIndicators(admissions(20, 6), PERIOD);
  const shared = forSharing(q);
  assert.deepEqual(shared.indicators, q.indicators.map((i) => ({ ...i })));
  assert.equal(shared.by_month.find((m) => m.month === "2026-03")!.door_to_needle_median, 42.5);
});

Deno.test("qualityIndicatorsCsv() is always the for-sharing form, one row per indicator", () => {
  const csv = qualityIndicatorsCsv(qualityIndicators(admissions(12, 3), PERIOD));
  assert.ok(csv.endsWith("\r\n"));
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(rows[0]!), [...INDICATOR_CSV_COLUMNS]);
  assert.deepEqual(rows.map((r) => r.key), [
    "admissions",
    "door_to_imaging",
    "door_to_needle",
    "door_to_needle_60",
    "door_to_puncture",
    "onset_to_arrival",
    "thrombolysis_rate",
    "thrombectomy_rate",
    "nihss_recorded",
    "mrs_90d_recorded",
    "in_hospital_death",
    "mrs_90d_good",
  ]);
  assert.equal(row(rows, "admissions").n, "12");
  const dtn = row(rows, "door_to_needle");
  assert.deepEqual([dtn.n, dtn.median, dtn.q1, dtn.q3], ["<5", "", "", ""]);
  const lysis = row(rows, "thrombolysis_rate");
  assert.deepEqual(
    [lysis.numerator, lysis.denominator, lysis.rate, lysis.rate_low_95, lysis.rate_high_95],
    ["<5", "12", "", "", ""],
  );
  const nihss = row(rows, "nihss_recorded");
  assert.deepEqual([nihss.numerator, nihss.denominator, nihss.rate], ["6", "12", "0.5"]);
  assert.equal(nihss.rate_low_95, "0.2538");
  assert.equal(nihss.rate_high_95, "0.7462");
  const recorded = row(rows, "mrs_90d_recorded");
  assert.equal(recorded.rate, "0.5833", "rates to four decimals");
  const imaging = row(rows, "door_to_imaging");
  assert.deepEqual([imaging.n, imaging.median, imaging.q1, imaging.q3], ["12", "20", "20", "20"]);
  const puncture = row(rows, "door_to_puncture");
  assert.deepEqual([puncture.n, puncture.median], ["0", ""]);
});
