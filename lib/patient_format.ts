/** How patient values read on screen and in forms: numbers as the dataset writes them, labels for codes. */
import { admissionCriteriaInWords } from "./admission_filter.ts";
import type { AdmissionCriteria } from "./patient_query.ts";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  type CategoricalField,
  type CategoryRule,
  FIELD_LABELS,
  FIELD_RULES,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  type PatientRecord,
} from "./patient_fields.ts";

/** The label of one value of a categorical field (its code when it has no words). */
export function valueLabel(field: CategoricalField, value: string | number): string {
  const rule: CategoryRule = FIELD_RULES[field];
  return rule.valueLabels?.[String(value)] ?? String(value);
}

/**
 * What a list filter selects, in words: "gender: Female, age from 40" (empty for none). Reads a
 * filter as stored too (an audit entry's), so any value is shown as text.
 */
export function filterInWords(filter: Readonly<Record<string, unknown>>): string {
  const words: string[] = [];
  if (filter.q !== undefined) words.push(`patient ${filter.q}`);
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (typeof value === "string" || typeof value === "number") {
      words.push(`${FIELD_LABELS[field].toLowerCase()}: ${valueLabel(field, value)}`);
    }
  }
  if (filter.age_min !== undefined) words.push(`age from ${filter.age_min}`);
  if (filter.age_max !== undefined) words.push(`age to ${filter.age_max}`);
  if (typeof filter.admission === "object" && filter.admission !== null) {
    words.push(`with ${admissionCriteriaInWords(filter.admission as AdmissionCriteria)}`);
  }
  return words.join(", ");
}

/**
 * Which fields a list filter used, in words, without their values ("gender, age"): what an admin
 * may read of a user's export.
 */
export function filterFieldsInWords(names: readonly string[]): string {
  const words = names.map((name) =>
    name === "q"
      ? "patient id"
      : name === "age_min" || name === "age_max"
      ? "age"
      : name in FIELD_LABELS
      ? FIELD_LABELS[name as PatientField].toLowerCase()
      : name
  );
  return [...new Set(words)].join(", ");
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

/** A value the original app stored that cannot be read, as text: as stored (JSON if not text). */
function storedText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * How a field of a record reads on screen: as `displayValue` says, or, for a value the original
 * app stored that cannot be read, as stored (`missing` when the field is absent).
 */
export function displayStored(record: PatientRecord, field: PatientField): string {
  const stored = record.stored?.[field];
  if (!stored || stored.readable) return displayValue(field, record[field]);
  return stored.value === undefined || stored.value === null ? "missing" : storedText(stored.value);
}

/**
 * Form text of each field of a record (an unknown BMI is an empty field); a value the original
 * app stored that cannot be read is shown as stored, for the user to correct.
 */
export function formValues(patient: PatientFields | PatientRecord): Record<PatientField, string> {
  const out = {} as Record<PatientField, string>;
  for (const field of PATIENT_FIELDS) {
    const stored = "stored" in patient ? patient.stored?.[field] : undefined;
    const value = patient[field];
    out[field] = stored && !stored.readable
      ? storedText(stored.value ?? undefined)
      : value === null
      ? ""
      : String(value);
  }
  return out;
}
