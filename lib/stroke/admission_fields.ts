/**
 * An acute stroke admission's fields: one rules table (type, allowed values, range, unit, label,
 * description) from which the validator, the forms, the import template, OpenAPI and the
 * codebook are derived, as `patient_fields.ts` does for the dataset's fields.
 */
import type { CategoryRule, MeasureRule } from "../patient_fields.ts";

export const STROKE_TYPES = ["ischaemic", "haemorrhagic", "TIA", "mimic"] as const;
export const DISCHARGE_DESTINATIONS = [
  "home",
  "rehabilitation",
  "care_home",
  "other_hospital",
  "died",
] as const;
/** The modified Rankin Scale's grades, 0 (no symptoms) to 6 (dead). */
export const MRS_GRADES = [0, 1, 2, 3, 4, 5, 6] as const;

export type StrokeType = (typeof STROKE_TYPES)[number];
export type DischargeDestination = (typeof DISCHARGE_DESTINATIONS)[number];
export type MrsGrade = (typeof MRS_GRADES)[number];

/** Every field of an admission in the order the API, the CSV and the codebook list them. */
export const ADMISSION_FIELDS = [
  "admission_id",
  "stroke_type",
  "last_known_well_at",
  "arrival_at",
  "imaging_at",
  "nihss_arrival",
  "thrombolysis_at",
  "thrombectomy_at",
  "discharge_at",
  "discharge_destination",
  "mrs_discharge",
  "mrs_90d",
] as const;

export type AdmissionField = (typeof ADMISSION_FIELDS)[number];
/** The fields a client sends (the app assigns `admission_id`). */
export type AdmissionInputField = Exclude<AdmissionField, "admission_id">;
export const ADMISSION_INPUT_FIELDS = ADMISSION_FIELDS.filter(
  (f): f is AdmissionInputField => f !== "admission_id",
);

/** The date-time fields, in the order of an admission's course. */
export const TIME_FIELDS = [
  "last_known_well_at",
  "arrival_at",
  "imaging_at",
  "thrombolysis_at",
  "thrombectomy_at",
  "discharge_at",
] as const;
export type TimeField = (typeof TIME_FIELDS)[number];

/** An admission as the domain keeps it: every time an instant (UTC), unknown values null. */
export interface AdmissionFields {
  stroke_type: StrokeType;
  last_known_well_at: Date | null;
  arrival_at: Date;
  imaging_at: Date | null;
  nihss_arrival: number | null;
  thrombolysis_at: Date | null;
  thrombectomy_at: Date | null;
  discharge_at: Date | null;
  discharge_destination: DischargeDestination | null;
  mrs_discharge: MrsGrade | null;
  mrs_90d: MrsGrade | null;
}

/** A stored admission: its fields and the number the app gave it (unique per patient). */
export interface Admission extends AdmissionFields {
  admission_id: number;
}

/**
 * An admission (or its fields, `A`) with every date-time as `T` rather than a `Date`, an unknown
 * one still null: as a store, a cursor or the wire may hand it over (epoch milliseconds, ISO 8601
 * text with an offset).
 */
export type AdmissionTimesAs<T, A extends AdmissionFields = Admission> = {
  [K in keyof A]: K extends TimeField ? T | Extract<A[K], null> : A[K];
};

/** A date and time with its offset in JSON, an instant in UTC once read. */
export interface DateTimeRule {
  kind: "datetime";
  label: string;
  description: string;
  /** Shown under the form input. */
  hint?: string;
}

/** Every rule says whether the field may be unknown (null in JSON, an empty CSV cell). */
export type AdmissionRule = (CategoryRule | MeasureRule | DateTimeRule) & {
  nullable: boolean;
};

/** The words for each mRS grade, as the codebook and the Grotta chart's table show them. */
export const MRS_LABELS: Readonly<Record<MrsGrade, string>> = {
  0: "No symptoms",
  1: "No significant disability",
  2: "Slight disability",
  3: "Moderate disability",
  4: "Moderately severe disability",
  5: "Severe disability",
  6: "Dead",
};

const mrsRule = (label: string, description: string): AdmissionRule => ({
  kind: "measure",
  label,
  description,
  integer: true,
  min: 0,
  minExclusive: false,
  max: 6,
  step: "1",
  hint: "0 = no symptoms … 5 = severe disability, 6 = dead",
  missing: "",
  nullable: true,
});

const timeRule = (label: string, description: string, nullable = true): AdmissionRule => ({
  kind: "datetime",
  label,
  description,
  nullable,
});

/** The rules of every field, in {@link ADMISSION_FIELDS} order. */
export const ADMISSION_RULES: Readonly<Record<AdmissionField, AdmissionRule>> = {
  admission_id: {
    kind: "measure",
    label: "Admission ID",
    description: "The admission's number, assigned by the app, unique per patient; never changes.",
    integer: true,
    min: 1,
    minExclusive: false,
    max: 2 ** 31 - 1,
    step: "1",
    nullable: false,
  },
  stroke_type: {
    kind: "category",
    label: "Stroke type",
    description:
      "ischaemic or haemorrhagic stroke, TIA (transient ischaemic attack) or mimic (not a stroke).",
    values: STROKE_TYPES,
    valueLabels: {
      ischaemic: "Ischaemic stroke",
      haemorrhagic: "Haemorrhagic stroke",
      TIA: "Transient ischaemic attack",
      mimic: "Stroke mimic",
    },
    nullable: false,
  },
  last_known_well_at: timeRule(
    "Onset (last known well)",
    "Symptom onset, or when the patient was last seen well; unknown when not known.",
  ),
  arrival_at: timeRule("Arrival", "Arrival at the hospital (the door).", false),
  imaging_at: timeRule("Imaging", "First brain imaging (CT or MR)."),
  nihss_arrival: {
    kind: "measure",
    label: "NIHSS on arrival",
    description: "NIH Stroke Scale score on arrival, 0 (no deficit) to 42.",
    integer: true,
    min: 0,
    minExclusive: false,
    max: 42,
    step: "1",
    unit: "points",
    hint: "0 = no deficit … 42",
    missing: "",
    nullable: true,
  },
  thrombolysis_at: timeRule(
    "Thrombolysis",
    "Start of intravenous thrombolysis (the needle); empty when not given.",
  ),
  thrombectomy_at: timeRule(
    "Thrombectomy",
    "Arterial puncture for thrombectomy; empty when not done.",
  ),
  discharge_at: timeRule("Discharge", "Discharge from the hospital, or death in it."),
  discharge_destination: {
    kind: "category",
    label: "Discharge destination",
    description: "Where the patient went: home, rehabilitation, care_home, other_hospital or died.",
    values: DISCHARGE_DESTINATIONS,
    valueLabels: {
      home: "Home",
      rehabilitation: "Rehabilitation",
      care_home: "Care home",
      other_hospital: "Other hospital",
      died: "Died",
    },
    missing: "",
    nullable: true,
  },
  mrs_discharge: mrsRule(
    "mRS at discharge",
    "Modified Rankin Scale at discharge, 0 (no symptoms) to 6 (dead).",
  ),
  mrs_90d: mrsRule(
    "mRS at 90 days",
    "Modified Rankin Scale 90 days (± 14) after the stroke, 0 (no symptoms) to 6 (dead).",
  ),
};

/** Fields a stored admission carries that a client may never set. */
export const ADMISSION_SERVER_FIELDS = [
  "patient_id",
  "registry_id",
  "user_id",
  "created_at",
  "updated_at",
  "revision",
  "deleted_at",
  "_id",
] as const;

/** Human labels of the fields. */
export const ADMISSION_LABELS = Object.fromEntries(
  ADMISSION_FIELDS.map((f) => [f, ADMISSION_RULES[f].label]),
) as Record<AdmissionField, string>;

export function isAdmissionField(name: string): name is AdmissionField {
  return (ADMISSION_FIELDS as readonly string[]).includes(name);
}

export function isTimeField(name: string): name is TimeField {
  return (TIME_FIELDS as readonly string[]).includes(name);
}

/** One row of the admissions codebook (also the import template's columns). */
export interface AdmissionCodebookEntry {
  field: AdmissionField;
  label: string;
  type: "integer" | "string" | "date-time";
  allowed?: { value: string | number; label: string }[];
  min?: number;
  max?: number;
  unit?: string;
  /** Whether the field may be unknown (an empty CSV cell, null in JSON). */
  nullable: boolean;
  description: string;
}

/** The admissions codebook, in {@link ADMISSION_FIELDS} order. */
export function admissionCodebook(): AdmissionCodebookEntry[] {
  return ADMISSION_FIELDS.map((field) => {
    const rule = ADMISSION_RULES[field];
    const base = {
      field,
      label: rule.label,
      nullable: rule.nullable,
      description: rule.kind === "datetime"
        ? `${rule.description} ISO 8601 with a UTC offset, e.g. 2026-10-25T01:30:00+01:00.`
        : rule.description,
    };
    if (rule.kind === "datetime") return { ...base, type: "date-time" };
    if (rule.kind === "category") {
      const labels: Readonly<Record<string, string>> = rule.valueLabels ?? {};
      return {
        ...base,
        type: "string",
        allowed: rule.values.map((value) => ({
          value,
          label: labels[String(value)] ?? String(value),
        })),
      };
    }
    return {
      ...base,
      type: "integer",
      min: rule.min,
      max: rule.max,
      ...(rule.unit !== undefined ? { unit: rule.unit } : {}),
      ...(field === "mrs_discharge" || field === "mrs_90d"
        ? { allowed: MRS_GRADES.map((g) => ({ value: g, label: MRS_LABELS[g] })) }
        : {}),
    };
  });
}
