/**
 * The codebook: every field's name, label, type, allowed values or range, unit, how a missing
 * value is written and a description — generated from the field-rules table, like the import
 * template and the validator, so that the three always agree.
 */
import { formatCount } from "./count_format.ts";
import { csvLine } from "./csv_rows.ts";
import { FIELD_RULES, PATIENT_FIELDS, type PatientField, ruleOf } from "./patient_fields.ts";

export interface CodebookEntry {
  field: PatientField;
  label: string;
  type: "integer" | "number" | "string";
  /** The codes a categorical field takes, with their meaning. */
  allowed?: { value: string | number; label: string }[];
  min?: number;
  /** True when the value must be above `min` rather than at least `min`. */
  min_exclusive?: boolean;
  max?: number;
  unit?: string;
  /** How an unknown value is written in the CSV. */
  missing?: string;
  description: string;
}

/** The codebook, in the dataset's column order. */
export function codebook(): CodebookEntry[] {
  return PATIENT_FIELDS.map((field) => {
    const rule = ruleOf(field);
    const base = { field, label: rule.label, description: rule.description };
    if (rule.kind === "category") {
      const labels: Readonly<Record<string, string>> = rule.valueLabels ?? {};
      return {
        ...base,
        type: typeof rule.values[0] === "number" ? "integer" : "string",
        allowed: rule.values.map((value) => ({
          value,
          label: labels[String(value)] ?? String(value),
        })),
        ...(rule.missing !== undefined ? { missing: rule.missing } : {}),
      };
    }
    return {
      ...base,
      type: rule.integer ? "integer" : "number",
      min: rule.min,
      ...(rule.minExclusive ? { min_exclusive: true } : {}),
      max: rule.max,
      ...(rule.unit !== undefined ? { unit: rule.unit } : {}),
      ...(rule.missing !== undefined ? { missing: rule.missing } : {}),
    };
  });
}

/** The codebook as CSV: one row per field; allowed values as `code=label` separated by `; `. */
export function codebookCsv(): string {
  const columns = [
    "field",
    "label",
    "type",
    "allowed",
    "min",
    "max",
    "unit",
    "missing",
    "description",
  ];
  const rows = codebook().map((entry) => [
    entry.field,
    entry.label,
    entry.type,
    entry.allowed?.map((a) => `${a.value}=${a.label}`).join("; ") ?? "",
    entry.min === undefined ? "" : `${entry.min_exclusive ? ">" : ""}${entry.min}`,
    entry.max === undefined ? "" : String(entry.max),
    entry.unit ?? "",
    entry.missing ?? "",
    entry.description,
  ]);
  return [columns, ...rows].map(csvLine).join("");
}

/** The import template: the header row in the dataset's order. */
export function importTemplate(): string {
  return csvLine(PATIENT_FIELDS);
}

/** The range of a measure in words ("above 0, at most 120 years"), for the codebook page. */
export function rangeInWords(field: PatientField): string {
  const rule = FIELD_RULES[field];
  if (rule.kind !== "measure") return "";
  const unit = "unit" in rule ? ` ${rule.unit}` : "";
  return `${rule.minExclusive ? "above" : "from"} ${rule.min} ${
    rule.minExclusive ? "and at most" : "to"
  } ${formatCount(rule.max)}${unit}`;
}
