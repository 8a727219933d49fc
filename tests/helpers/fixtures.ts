/** Test data used across suites: a password, the dataset's first row and a valid sample patient. */
import type { NewPatient, PatientFields } from "../../lib/patient_fields.ts";

/** The password every suite's users have. */
export const PASSWORD = "correct horse battery staple";

/** The dataset's first row. */
export const FIRST_ROW: Readonly<PatientFields> = Object.freeze({
  id: 9046,
  gender: "Male",
  age: 67,
  hypertension: 0,
  heart_disease: 1,
  ever_married: "Yes",
  work_type: "Private",
  Residence_type: "Urban",
  avg_glucose_level: 228.69,
  bmi: 36.6,
  smoking_status: "formerly smoked",
  stroke: 1,
});

/** A complete, valid patient without an id (the dataset's first row), with overrides. */
export function samplePatient(overrides: Record<string, unknown> = {}): NewPatient {
  const { id: _id, ...fields } = FIRST_ROW;
  return { ...fields, ...overrides } as NewPatient;
}
