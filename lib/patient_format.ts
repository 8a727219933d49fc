/** How patient values read on screen and in forms: numbers as the dataset writes them, labels for codes. */
import {
  CATEGORICAL_VALUES,
  type CategoricalField,
  type CategoryRule,
  FIELD_RULES,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
} from "./patient_fields.ts";

/** The label of one value of a categorical field (its code when it has no words). */
export function valueLabel(field: CategoricalField, value: string | number): string {
  const rule: CategoryRule = FIELD_RULES[field];
  return rule.valueLabels?.[String(value)] ?? String(value);
}

/** The options of a categorical field: its values with their labels. */
export function options(field: CategoricalField): { value: string; label: string }[] {
  return (CATEGORICAL_VALUES[field] as readonly (string | number)[]).map((value) => ({
    value: String(value),
    label: valueLabel(field, value),
  }));
}

/**
 * A number as the dataset writes it: `67`, `0.08`, `228.69` (JavaScript's shortest form
 * round-trips exactly, and never pads with zeros).
 */
export function formatNumber(value: number): string {
  return String(value);
}

/** A field's value for the table: `N/A` for an unknown BMI, labels for codes. */
export function displayValue(field: PatientField, value: PatientFields[PatientField]): string {
  if (value === null) return "N/A";
  if (field in CATEGORICAL_VALUES) return valueLabel(field as CategoricalField, value);
  return typeof value === "number" ? formatNumber(value) : String(value);
}

/** Form text of each field of a record (an unknown BMI is an empty field). */
export function formValues(patient: PatientFields): Record<PatientField, string> {
  const out = {} as Record<PatientField, string>;
  for (const field of PATIENT_FIELDS) {
    const value = patient[field];
    out[field] = value === null ? "" : String(value);
  }
  return out;
}
