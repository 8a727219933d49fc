/** The patient record's fields, their allowed values and labels: the single description of the domain. */

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

/** A patient id written as text (a path or a query), or null when it cannot be one. */
export function parsePatientId(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_PATIENT_ID ? id : null;
}

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

/** Fields with a fixed set of values, and those values. */
export const CATEGORICAL_VALUES = {
  gender: GENDERS,
  hypertension: FLAGS,
  heart_disease: FLAGS,
  ever_married: YES_NO,
  work_type: WORK_TYPES,
  Residence_type: RESIDENCE_TYPES,
  smoking_status: SMOKING_STATUSES,
  stroke: FLAGS,
} as const;

export type CategoricalField = keyof typeof CATEGORICAL_VALUES;
export const CATEGORICAL_FIELDS = Object.keys(CATEGORICAL_VALUES) as CategoricalField[];

/** Fields whose values are numbers (integers or not). */
export const NUMERIC_FIELDS = [
  "id",
  "age",
  "hypertension",
  "heart_disease",
  "avg_glucose_level",
  "bmi",
  "stroke",
] as const satisfies readonly PatientField[];

/** Human labels, as a clinician reads them. */
export const FIELD_LABELS: Record<PatientField, string> = {
  id: "Patient ID",
  gender: "Gender",
  age: "Age",
  hypertension: "Hypertension",
  heart_disease: "Heart disease",
  ever_married: "Ever married",
  work_type: "Work type",
  Residence_type: "Residence type",
  avg_glucose_level: "Average glucose level",
  bmi: "BMI",
  smoking_status: "Smoking status",
  stroke: "Stroke",
};

/** Fields the server keeps and a client may never set. */
export const SERVER_FIELDS = ["user_id", "created_at", "updated_at", "revision", "_id"] as const;

export function isPatientField(name: string): name is PatientField {
  return (PATIENT_FIELDS as readonly string[]).includes(name);
}
