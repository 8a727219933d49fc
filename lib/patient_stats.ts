/**
 * Statistics of a user's (filtered) records: records and strokes for every value of every
 * categorical field and for the age, glucose and BMI bands, counted in the database.
 */
import { CATEGORICAL_FIELDS, CATEGORICAL_VALUES, type CategoricalField } from "./patient_fields.ts";
import type { PatientFilter } from "./patient_query.ts";
import type {
  GroupCount,
  MeasuredField,
  PatientStore,
  RangeCounts,
  Tally,
} from "./patient_store.ts";

/** A banded numeric field: bands run from one cut up to, not including, the next. */
export interface BandRule {
  field: MeasuredField;
  /** Lower bounds of every band but the first, ascending. */
  cuts: readonly number[];
  /** One label per band (cuts + 1). */
  labels: readonly string[];
  /** The band of a record without a value, when the field may be unknown. */
  unknown?: string;
  /**
   * How the database counts it: `values` — records per distinct value, added into bands here
   * (for fields with few distinct values: ages in years, BMIs to one decimal); `ranges` — a
   * range count per cut (for fields whose values are nearly all distinct, like glucose levels).
   */
  counted: "values" | "ranges";
}

/** The SPEC's three bands. */
export const BANDS = {
  age_band: {
    field: "age",
    cuts: [18, 40, 60, 80],
    labels: ["0-17", "18-39", "40-59", "60-79", "80+"],
    counted: "values",
  },
  glucose_band: {
    field: "avg_glucose_level",
    cuts: [100, 126],
    labels: ["<100", "100-125", ">=126"],
    counted: "ranges",
  },
  bmi_band: {
    field: "bmi",
    cuts: [18.5, 25, 30],
    labels: ["<18.5", "18.5-24.9", "25-29.9", ">=30"],
    unknown: "unknown",
    counted: "values",
  },
} as const satisfies Record<string, BandRule>;

export type BandName = keyof typeof BANDS;
export const BAND_NAMES = Object.keys(BANDS) as BandName[];

/** What the statistics are broken down by: every categorical field, then the bands. */
export type StatsField = CategoricalField | BandName;
export const STATS_FIELDS: readonly StatsField[] = [...CATEGORICAL_FIELDS, ...BAND_NAMES];

/** `{"total","stroke","by":{FIELD:{VALUE:{"total","stroke"}}}}`, every value present (0 if none). */
export interface Stats extends Tally {
  by: Record<StatsField, Record<string, Tally>>;
}

/** Fields of two or three values, counted together in one group query (48 combinations). */
const FEW_VALUED: readonly CategoricalField[] = [
  "gender",
  "hypertension",
  "heart_disease",
  "ever_married",
  "Residence_type",
];

/**
 * The categorical fields counted together in one group query each (few combinations each): the
 * outcome is counted in every group, and every other categorical field is in one set, so that a
 * field added to the rules table is counted (in the second set, unless placed in the first).
 */
const FIELD_SETS: readonly (readonly CategoricalField[])[] = [
  FEW_VALUED,
  CATEGORICAL_FIELDS.filter((f) => f !== "stroke" && !FEW_VALUED.includes(f)),
];

/** Every value of a field (or band), in the codebook's order, with nothing counted yet. */
export function emptyBreakdown(field: StatsField): Record<string, Tally> {
  const values: readonly (string | number)[] = field in BANDS
    ? [...BANDS[field as BandName].labels, ...unknownOf(BANDS[field as BandName])]
    : CATEGORICAL_VALUES[field as CategoricalField];
  return Object.fromEntries(values.map((value) => [String(value), { total: 0, stroke: 0 }]));
}

function unknownOf(rule: BandRule): string[] {
  return rule.unknown === undefined ? [] : [rule.unknown];
}

/**
 * Band counts from cumulative range counts: band i = below cut i − below cut i−1. A value that
 * cannot be read as a number is in no band.
 */
function bandsFromRanges(rule: BandRule, ranges: RangeCounts, all: Tally): Record<string, Tally> {
  const { below, missing, unreadable } = ranges;
  const known = {
    total: all.total - missing.total - unreadable.total,
    stroke: all.stroke - missing.stroke - unreadable.stroke,
  };
  const bounds = [{ total: 0, stroke: 0 }, ...below, known];
  const out: Record<string, Tally> = {};
  rule.labels.forEach((label, i) => {
    out[label] = {
      total: bounds[i + 1]!.total - bounds[i]!.total,
      stroke: bounds[i + 1]!.stroke - bounds[i]!.stroke,
    };
  });
  if (rule.unknown !== undefined) out[rule.unknown] = { ...missing };
  return out;
}

/**
 * Band counts from counts per distinct value. A value that cannot be read as a number (the
 * original app's) is in no band; null is in the unknown band of a field that has one.
 */
function bandsFromValues(name: BandName, groups: readonly GroupCount[]): Record<string, Tally> {
  const out = emptyBreakdown(name);
  for (const { values: [value], total, stroke } of groups) {
    if (value !== null && typeof value !== "number") continue;
    const tally = out[bandOf(name, value ?? null)];
    if (!tally) continue;
    tally.total += total;
    tally.stroke += stroke;
  }
  return out;
}

/**
 * Adds each group's counts to the values of its fields. A value that is none of the field's (one
 * the original app stored that cannot be read) is counted under no value: the data-quality check
 * lists it.
 */
function addGroups(
  by: Stats["by"],
  fields: readonly CategoricalField[],
  groups: readonly GroupCount[],
): void {
  for (const { values, total, stroke } of groups) {
    fields.forEach((field, i) => {
      const tally = by[field][String(values[i])];
      if (!tally) return;
      tally.total += total;
      tally.stroke += stroke;
    });
  }
}

/**
 * The statistics of the records matching `filter`: group queries for the categorical fields
 * and the bands counted by value, range counts for the others, all sent at once (on MongoDB six
 * queries, each a `$match` and a `$group`).
 */
export async function patientStats(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
): Promise<Stats> {
  const bandCounts = (name: BandName) => {
    const rule: BandRule = BANDS[name];
    return rule.counted === "values"
      ? store.countGroups(userId, filter, [rule.field])
      : store.countRanges(userId, filter, rule.field, rule.cuts);
  };
  const [groups, bands] = await Promise.all([
    Promise.all(FIELD_SETS.map((fields) => store.countGroups(userId, filter, fields))),
    Promise.all(BAND_NAMES.map(bandCounts)),
  ]);
  const by = Object.fromEntries(STATS_FIELDS.map((f) => [f, emptyBreakdown(f)])) as Stats["by"];
  const all: Tally = { total: 0, stroke: 0 };
  for (const group of groups[0]!) {
    all.total += group.total;
    all.stroke += group.stroke;
  }
  by.stroke["0"] = { total: all.total - all.stroke, stroke: 0 };
  by.stroke["1"] = { total: all.stroke, stroke: all.stroke };
  FIELD_SETS.forEach((fields, i) => addGroups(by, fields, groups[i]!));
  BAND_NAMES.forEach((name, i) => {
    const counts = bands[i]!;
    by[name] = Array.isArray(counts)
      ? bandsFromValues(name, counts)
      : bandsFromRanges(BANDS[name], counts, all);
  });
  return { ...all, by };
}

/** The band label of a value (`unknown` for a null BMI). */
export function bandOf(name: BandName, value: number | null): string {
  const rule: BandRule = BANDS[name];
  if (value === null) return rule.unknown ?? "unknown";
  const index = rule.cuts.findIndex((cut) => value < cut);
  return rule.labels[index === -1 ? rule.cuts.length : index]!;
}
