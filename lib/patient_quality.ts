/**
 * Data quality of a user's (filtered) records: unknown values, possible duplicates and values
 * outside the usual range — found in the database, reported to be checked, never refused.
 */
import { FIELD_LABELS, FIELD_RULES } from "./patient_fields.ts";
import type { PatientFilter } from "./patient_query.ts";
import type { PatientStore, RangeLimit } from "./patient_store.ts";
import type { Stats } from "./patient_stats.ts";

/** Values that are allowed but unusual enough to be worth a second look. */
export const CHECK_LIMITS: readonly (RangeLimit & { why: string })[] = [
  {
    field: "avg_glucose_level",
    above: 300,
    why: "an average glucose level above 300 mg/dL is rare; check the unit (mmol/L?) or a typo",
  },
  {
    field: "bmi",
    above: 60,
    why: "a BMI above 60 is rare; check height and weight",
  },
];

/** Most values to check listed (the count says when there are more). */
export const MAX_CHECKS = 200;

/** One value to check: which record, which field, the value and the rule it crossed. */
export interface ValueToCheck {
  id: number;
  field: RangeLimit["field"];
  value: number;
  rule: string;
}

/**
 * `{"total","missing":{"bmi","smoking_status"},"possible_duplicates":[[id,...],...]}` plus the
 * values to check and the limits used.
 */
export interface Quality {
  total: number;
  missing: { bmi: number; smoking_status: number };
  possible_duplicates: number[][];
  check: {
    limits: { field: RangeLimit["field"]; above: number; rule: string; why: string }[];
    /** Values above a limit, by record id (at most {@link MAX_CHECKS}). */
    values: ValueToCheck[];
    /** True when there were more than {@link MAX_CHECKS}. */
    truncated: boolean;
  };
}

function ruleText({ field, above }: RangeLimit): string {
  return `${field} > ${above}`;
}

/** Counts of records and unknown values; from the statistics when they are at hand. */
async function missingCounts(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  stats: Stats | undefined,
): Promise<{ total: number; bmi: number; smoking_status: number }> {
  if (stats) {
    return {
      total: stats.total,
      bmi: stats.by.bmi_band.unknown?.total ?? 0,
      smoking_status: stats.by.smoking_status[FIELD_RULES.smoking_status.missing]?.total ?? 0,
    };
  }
  const [smoking, bmi] = await Promise.all([
    store.countGroups(userId, filter, ["smoking_status"]),
    store.countRanges(userId, filter, "bmi", []),
  ]);
  return {
    total: smoking.reduce((sum, g) => sum + g.total, 0),
    bmi: bmi.missing.total,
    smoking_status: smoking.find((g) => g.values[0] === FIELD_RULES.smoking_status.missing)
      ?.total ?? 0,
  };
}

/**
 * The quality report of the records matching `filter`. Pass the same records' statistics to
 * save the queries that count unknown values.
 */
export async function patientQuality(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  stats?: Stats,
): Promise<Quality> {
  const [counts, possible_duplicates, unusual] = await Promise.all([
    missingCounts(store, userId, filter, stats),
    store.duplicateGroups(userId, filter),
    store.findAbove(userId, filter, CHECK_LIMITS, MAX_CHECKS + 1),
  ]);
  const values: ValueToCheck[] = [];
  for (const record of unusual.slice(0, MAX_CHECKS)) {
    for (const limit of CHECK_LIMITS) {
      const value = record[limit.field];
      if (value !== null && value > limit.above) {
        values.push({ id: record.id, field: limit.field, value, rule: ruleText(limit) });
      }
    }
  }
  return {
    total: counts.total,
    missing: { bmi: counts.bmi, smoking_status: counts.smoking_status },
    possible_duplicates,
    check: {
      limits: CHECK_LIMITS.map((limit) => ({
        field: limit.field,
        above: limit.above,
        rule: ruleText(limit),
        why: limit.why,
      })),
      values,
      truncated: unusual.length > MAX_CHECKS,
    },
  };
}

/** "Average glucose level above 300 mg/dL": a limit in words. */
export function limitLabel({ field, above }: RangeLimit): string {
  const rule = FIELD_RULES[field];
  return `${FIELD_LABELS[field]} above ${above}${"unit" in rule ? ` ${rule.unit}` : ""}`;
}
