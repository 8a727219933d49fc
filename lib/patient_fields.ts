/**
 * The patient record's fields: one rules table (type, allowed values, range, step, unit, label,
 * column heading, hint, how a missing value is written) from which the field list and its types,
 * validation, form inputs, the table's columns, list filters, the CSV export, the OpenAPI
 * document, the import template and the codebook are all derived. Adding a field: README,
 * "Add a patient field".
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

/** A field with a fixed set of values (text codes or 0/1 flags). */
export interface CategoryRule {
  kind: "category";
  label: string;
  description: string;
  values: readonly (string | number)[];
  /** The patient table's column heading, when shorter than the label. */
  heading?: string;
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
  /** The patient table's column heading, when shorter than the label. */
  heading?: string;
  /** Fewest decimals the patient table shows, so that the column lines up (zeros added). */
  decimals?: number;
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
    heading: "ID",
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
    decimals: 2, // for the fractional ages of infants: whole years stay whole
    hint: "Years; 0.08 is one month",
    rangeNote: " (fractions for infants: 0.08 is one month)",
  },
  hypertension: {
    kind: "category",
    label: "Hypertension",
    heading: "Hyper\u00ADtension", // a soft hyphen: the narrow column may break the word
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
    heading: "Married",
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
    heading: "Residence",
    description: "Whether the patient lives in a rural or an urban area.",
    values: RESIDENCE_TYPES,
  },
  avg_glucose_level: {
    kind: "measure",
    label: "Average glucose level",
    heading: "Glucose",
    description: "Average blood glucose level.",
    integer: false,
    min: 0,
    minExclusive: true,
    max: 1000,
    step: "any",
    unit: "mg/dL",
    decimals: 2,
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
    decimals: 1,
    hint: "Leave empty when unknown",
    rangeNote: ", or empty when unknown",
    missing: "N/A",
  },
  smoking_status: {
    kind: "category",
    label: "Smoking status",
    heading: "Smoking",
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
} as const satisfies Record<string, FieldRule>;

/** The fields in the dataset's column order (the CSV header): the rules table's order. */
export const PATIENT_FIELDS = Object.keys(FIELD_RULES) as readonly PatientField[];

export type PatientField = keyof typeof FIELD_RULES;
export type Flag = (typeof FLAGS)[number];

/** The value a rule allows: one of its codes, or a number (null too when it may be unknown). */
type ValueOf<R> = R extends { readonly kind: "category"; readonly values: readonly (infer V)[] } ? V
  : R extends { readonly missing: string } ? number | null
  : number;

/** One patient as the dataset describes it (its types read from the rules table). */
export type PatientFields = { -readonly [F in PatientField]: ValueOf<(typeof FIELD_RULES)[F]> };

/** What a client sends to create a patient: the id may be left for the app to assign. */
export type NewPatient = Omit<PatientFields, "id"> & { id?: number };

/** The fields that may change after creation (everything but the id). */
export type PatientChanges = Partial<Omit<PatientFields, "id">>;

/** A field of a stored document as it is stored, when that is not as the app writes it. */
export interface StoredValue {
  /** The value as stored; undefined when the field is missing. */
  value: unknown;
  /** Whether it could be read as the field's type (`"67"` can; `"sixty"` cannot). */
  readable: boolean;
}

/**
 * A stored patient: the dataset's fields plus what the server keeps. Documents the original app
 * wrote are read defensively (see `stored_patient.ts`): a field that holds a value the app would
 * not write has its value as read, or null when it cannot be read, and `stored` says what is
 * stored there.
 */
export interface PatientRecord extends PatientFields {
  /** When the record was made; null when unknown (a document of the original app). */
  created_at: Date | null;
  /** When the app last changed it; null when it never has (a document of the original app). */
  updated_at: Date | null;
  /**
   * Opaque token that changes with every write; the API's ETag. For a document the app has never
   * written, derived from its content.
   */
  revision: string;
  /** The fields not stored as the app writes them, absent when there are none. */
  stored?: Partial<Record<PatientField, StoredValue>>;
}

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
