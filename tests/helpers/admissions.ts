/**
 * Admissions for the stroke-care suites: a valid admission's fields and JSON body, with
 * overrides; indicators read by key and held to a range.
 */
import assert from "node:assert/strict";
import type { AdmissionFields } from "../../lib/stroke/admission_fields.ts";
import type {
  ProportionIndicator,
  QualityIndicators,
  TimeIndicator,
} from "../../lib/stroke/quality_indicators.ts";

/** An ischaemic stroke thrombolysed 45 minutes after arrival, discharged home a week later. */
export const SAMPLE_ADMISSION: Readonly<AdmissionFields> = Object.freeze({
  stroke_type: "ischaemic",
  last_known_well_at: new Date("2025-03-10T07:30:00Z"),
  arrival_at: new Date("2025-03-10T09:00:00Z"),
  imaging_at: new Date("2025-03-10T09:20:00Z"),
  nihss_arrival: 8,
  thrombolysis_at: new Date("2025-03-10T09:45:00Z"),
  thrombectomy_at: null,
  discharge_at: new Date("2025-03-17T12:00:00Z"),
  discharge_destination: "home",
  mrs_discharge: 2,
  mrs_90d: 1,
});

/** The sample admission's fields with overrides. */
export function sampleAdmission(overrides: Partial<AdmissionFields> = {}): AdmissionFields {
  return { ...SAMPLE_ADMISSION, ...overrides };
}

/** Fields as a JSON body sends them: times as ISO 8601 UTC text. */
export function admissionBody(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(SAMPLE_ADMISSION)) {
    body[field] = value instanceof Date ? value.toISOString() : value;
  }
  return { ...body, ...overrides };
}

/** The instant an API's date-time names (whatever its offset), in ms; null stays null. */
export function instantOf(text: unknown): number | null {
  return text === null ? null : new Date(text as string).getTime();
}

/** Asserts `low` ≤ `value` ≤ `high`, naming `what` when it is not. */
export function assertWithin(value: number, low: number, high: number, what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${value} not in ${low}–${high}`);
}

/**
 * Asserts that each indicator named in `ranges` — a proportion's rate, a time's median — lies in
 * its `[low, high]`.
 */
export function assertIndicatorRanges(
  q: QualityIndicators,
  ranges: Readonly<Record<string, readonly [number, number]>>,
): void {
  for (const [key, [low, high]] of Object.entries(ranges)) {
    const indicator = q.indicators.find((i) => i.key === key);
    assert.ok(indicator, key);
    const value = "rate" in indicator
      ? (indicator as ProportionIndicator).rate
      : (indicator as TimeIndicator).median;
    assert.ok(value !== null, `${key} has a value`);
    assertWithin(value, low, high, `${indicator.label} (${key})`);
  }
}
