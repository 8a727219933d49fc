/**
 * Data quality of a user's (filtered) records: unknown values, possible duplicates, values
 * outside the usual range, and values not stored as the field rules say (documents the original
 * app wrote) — found in the database, reported to be checked, never refused.
 */
import { FIELD_LABELS, FIELD_RULES, type PatientField } from "./patient_fields.ts";
import type { PatientFilter } from "./patient_query.ts";
import type { PatientStore, RangeLimit } from "./patient_store.ts";
import type { Stats } from "./patient_stats.ts";
import { irregularValues, type ValueProblem } from "./stored_patient.ts";

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

/** One value not stored as the field rules say, of the record `id` (null: its id is unreadable). */
export interface StoredValueToCheck {
  id: number | null;
  field: PatientField;
  /** As stored; null when the field is missing. */
  value: unknown;
  problem: ValueProblem;
}

/**
 * `{"total","missing":{"bmi","smoking_status"},"possible_duplicates":[[id,...],...]}` plus the
 * values to check and the limits used, and the values not stored as the field rules say.
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
  /**
   * Values written by the original app that are not stored as the field rules say: numbers as
   * text (read as numbers, but seen by the database as text: in no age filter, sorted last),
   * values that cannot be read (shown as stored), missing ones, values out of range. The first
   * change of such a record stores what can be read in its type; the rest waits for a person.
   */
  unreadable: {
    /** Records holding at least one. */
    records: number;
    /** Their values, by record id (of at most {@link MAX_CHECKS} records). */
    values: StoredValueToCheck[];
    /** True when there were more than {@link MAX_CHECKS} records. */
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
  const [counts, possible_duplicates, unusual, irregular] = await Promise.all([
    missingCounts(store, userId, filter, stats),
    store.duplicateGroups(userId, filter),
    store.findAbove(userId, filter, CHECK_LIMITS, MAX_CHECKS + 1),
    store.findIrregular(userId, filter, MAX_CHECKS),
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
    unreadable: {
      records: irregular.total,
      values: irregular.records.flatMap((record) => {
        const values = irregularValues(record);
        const id = values.some((v) => v.field === "id" && v.problem !== "text") ? null : record.id;
        return values.map(({ field, value, problem }) => ({ id, field, value, problem }));
      }),
      truncated: irregular.total > irregular.records.length,
    },
  };
}

/** "Average glucose level above 300 mg/dL": a limit in words. */
export function limitLabel({ field, above }: RangeLimit): string {
  const rule = FIELD_RULES[field];
  return `${FIELD_LABELS[field]} above ${above}${"unit" in rule ? ` ${rule.unit}` : ""}`;
}
