/**
 * The patient record's fields: one rules table (type, allowed values, range, step, unit, label,
 * hint, how a missing value is written) from which validation, form inputs, list filters, the
 * OpenAPI document, the import template and the codebook are all derived.
 */

export const GENDERS = ["Male", "Female", "Other"] as const;
export const YES_NO = ["Yes", "No"] as const;
export const WORK_TYPES = [
  "children",
  "Govt_job",
  "Never_worked",
  "Private",
  "Self-employed",
] as const;
export const RESIDENCE_TYPES = ["Rural", "Urban"] as const;
export const SMOKING_STATUSES = [
  "formerly smoked",
  "never smoked",
  "smokes",
  "Unknown",
] as const;
export const FLAGS = [0, 1] as const;

/** Largest patient id (a signed 32-bit integer, as in the original data). */
export const MAX_PATIENT_ID = 2 ** 31 - 1;

/** The twelve fields in the dataset's column order (the CSV header). */
export const PATIENT_FIELDS = [
  "id",
  "gender",
  "age",
  "hypertension",
  "heart_disease",
  "ever_married",
  "work_type",
  "Residence_type",
  "avg_glucose_level",
  "bmi",
  "smoking_status",
  "stroke",
] as const;

export type PatientField = (typeof PATIENT_FIELDS)[number];
export type Flag = (typeof FLAGS)[number];

/** One patient as the dataset describes it. */
export interface PatientFields {
  id: number;
  gender: (typeof GENDERS)[number];
  age: number;
  hypertension: Flag;
  heart_disease: Flag;
  ever_married: (typeof YES_NO)[number];
  work_type: (typeof WORK_TYPES)[number];
  Residence_type: (typeof RESIDENCE_TYPES)[number];
  avg_glucose_level: number;
  bmi: number | null;
  smoking_status: (typeof SMOKING_STATUSES)[number];
  stroke: Flag;
}

/** What a client sends to create a patient: the id may be left for the app to assign. */
export type NewPatient = Omit<PatientFields, "id"> & { id?: number };

/** The fields that may change after creation (everything but the id). */
export type PatientChanges = Partial<Omit<PatientFields, "id">>;

/** A stored patient: the dataset's fields plus what the server keeps. */
export interface PatientRecord extends PatientFields {
  created_at: Date;
  updated_at: Date;
  /** Opaque token that changes with every write; the API's ETag. */
  revision: string;
}

/** A field with a fixed set of values (text codes or 0/1 flags). */
export interface CategoryRule {
  kind: "category";
  label: string;
  description: string;
  values: readonly (string | number)[];
  /** Words for the codes on screen; a value without one shows as it is. */
  valueLabels?: Readonly<Record<string, string>>;
  /** The value that means "not known", when the dataset has one. */
  missing?: string;
}

/** A numeric field with a range. */
export interface MeasureRule {
  kind: "measure";
  label: string;
  description: string;
  integer: boolean;
  min: number;
  /** True: the value must be above `min`; false: at least `min`. */
  minExclusive: boolean;
  max: number;
  /** The HTML input's `step`. */
  step: string;
  unit?: string;
  /** Shown under the form input. */
  hint?: string;
  /** Added to the validation message, after the range. */
  rangeNote?: string;
  /** How an unknown value is written in the CSV (the value is then null); absent: required. */
  missing?: string;
}

export type FieldRule = CategoryRule | MeasureRule;

const NO_YES = { 0: "No", 1: "Yes" } as const;

/** The rules of every field, in the dataset's column order. */
export const FIELD_RULES = {
  id: {
    kind: "measure",
    label: "Patient ID",
    description:
      "The patient's number, unique among your records; assigned (your highest + 1) when left out; never changes.",
    integer: true,
    min: 1,
    minExclusive: false,
    max: MAX_PATIENT_ID,
    step: "1",
  },
  gender: {
    kind: "category",
    label: "Gender",
    description: "The patient's sex as recorded.",
    values: GENDERS,
  },
  age: {
    kind: "measure",
    label: "Age",
    description: "Age in years; fractions for infants (0.08 is one month).",
    integer: false,
    min: 0,
    minExclusive: true,
    max: 120,
    step: "any",
    unit: "years",
    hint: "Years; 0.08 is one month",
    rangeNote: " (fractions for infants: 0.08 is one month)",
  },
  hypertension: {
    kind: "category",
    label: "Hypertension",
    description: "Whether the patient has hypertension: 0 = no, 1 = yes.",
    values: FLAGS,
    valueLabels: NO_YES,
  },
  heart_disease: {
    kind: "category",
    label: "Heart disease",
    description: "Whether the patient has a heart disease: 0 = no, 1 = yes.",
    values: FLAGS,
    valueLabels: NO_YES,
  },
  ever_married: {
    kind: "category",
    label: "Ever married",
    description: "Whether the patient has ever been married.",
    values: YES_NO,
  },
  work_type: {
    kind: "category",
    label: "Work type",
    description: "The patient's kind of work; `children` for children.",
    values: WORK_TYPES,
    valueLabels: {
      children: "Child",
      Govt_job: "Government job",
      Never_worked: "Never worked",
      Private: "Private",
      "Self-employed": "Self-employed",
    },
  },
  Residence_type: {
    kind: "category",
    label: "Residence type",
    description: "Whether the patient lives in a rural or an urban area.",
    values: RESIDENCE_TYPES,
  },
  avg_glucose_level: {
    kind: "measure",
    label: "Average glucose level",
    description: "Average blood glucose level.",
    integer: false,
    min: 0,
    minExclusive: true,
    max: 1000,
    step: "any",
    unit: "mg/dL",
    hint: "mg/dL",
  },
  bmi: {
    kind: "measure",
    label: "BMI",
    description: "Body mass index; unknown is written N/A in the CSV (null in JSON).",
    integer: false,
    min: 5,
    minExclusive: false,
    max: 150,
    step: "any",
    unit: "kg/m²",
    hint: "Leave empty when unknown",
    rangeNote: ", or empty when unknown",
    missing: "N/A",
  },
  smoking_status: {
    kind: "category",
    label: "Smoking status",
    description: "Smoking history; `Unknown` when it was not recorded.",
    values: SMOKING_STATUSES,
    valueLabels: {
      "formerly smoked": "Formerly smoked",
      "never smoked": "Never smoked",
      smokes: "Smokes",
      Unknown: "Unknown",
    },
    missing: "Unknown",
  },
  stroke: {
    kind: "category",
    label: "Stroke",
    description: "Whether the patient had a stroke: 0 = no, 1 = yes.",
    values: FLAGS,
    valueLabels: NO_YES,
  },
} as const satisfies Record<PatientField, FieldRule>;

/** The rule of one field, typed as the general shape. */
export function ruleOf(field: PatientField): FieldRule {
  return FIELD_RULES[field];
}

type CategoryFields = {
  [F in PatientField]: (typeof FIELD_RULES)[F]["kind"] extends "category" ? F : never;
}[PatientField];

export type CategoricalField = CategoryFields;
/** Fields with a fixed set of values, in the dataset's order. */
export const CATEGORICAL_FIELDS = PATIENT_FIELDS.filter((f) =>
  FIELD_RULES[f].kind === "category"
) as CategoricalField[];

/** Each categorical field's values. */
export const CATEGORICAL_VALUES = Object.fromEntries(
  CATEGORICAL_FIELDS.map((f) => [f, FIELD_RULES[f].values]),
) as { [F in CategoricalField]: (typeof FIELD_RULES)[F]["values"] };

/** Fields whose values are numbers (integers or not), including the 0/1 flags. */
export const NUMERIC_FIELDS: readonly PatientField[] = PATIENT_FIELDS.filter((f) => {
  const rule = ruleOf(f);
  return rule.kind === "measure" || typeof rule.values[0] === "number";
});

/** Human labels, as a clinician reads them. */
export const FIELD_LABELS = Object.fromEntries(
  PATIENT_FIELDS.map((f) => [f, FIELD_RULES[f].label]),
) as Record<PatientField, string>;

/** Fields the server keeps and a client may never set. */
export const SERVER_FIELDS = ["user_id", "created_at", "updated_at", "revision", "_id"] as const;

export function isPatientField(name: string): name is PatientField {
  return (PATIENT_FIELDS as readonly string[]).includes(name);
}

/** A patient id written as text (a path or a query), or null when it cannot be one. */
export function parsePatientId(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_PATIENT_ID ? id : null;
}
