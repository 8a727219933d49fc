/**
 * The codebook: every field's name, label, type, allowed values or range, unit, how a missing
 * value is written and a description — generated from the field-rules table, like the import
 * template and the validator, so that the three always agree — and the FHIR mapping of every field
 * (`fhirMapping`), from the table the FHIR resources are built with.
 */
import type { CodeSystem } from "@medplum/fhirtypes";
import { formatCount } from "./count_format.ts";
import { appCodeSystems, type MappingRow, mappingRows } from "./fhir/codebook.ts";
import { SYSTEM } from "./fhir/codes.ts";
import { csvLine } from "./csv_writer.ts";
import { FIELD_RULES, PATIENT_FIELDS, type PatientField, ruleOf } from "./patient_fields.ts";
import { admissionCodebook } from "./stroke/admission_fields.ts";

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
  return codebookTable(
    ["missing"],
    codebook().map((entry) => ({ ...entry, last: [entry.missing ?? ""] })),
  );
}

/**
 * The admissions' codebook as CSV, as the records' is written; `nullable` says whether a field may
 * be unknown (an empty cell).
 */
export function admissionCodebookCsv(): string {
  return codebookTable(
    ["nullable"],
    admissionCodebook().map((entry) => ({ ...entry, last: [String(entry.nullable)] })),
  );
}

/** A codebook's CSV: the shared columns, then `extra` (each row's `last`), then the description. */
function codebookTable(
  extra: readonly string[],
  entries: readonly (Omit<CodebookEntry, "field" | "type"> & {
    field: string;
    type: string;
    last: string[];
  })[],
): string {
  const columns = ["field", "label", "type", "allowed", "min", "max", "unit", ...extra];
  const rows = entries.map((entry) => [
    entry.field,
    entry.label,
    entry.type,
    entry.allowed?.map((a) => `${a.value}=${a.label}`).join("; ") ?? "",
    entry.min === undefined ? "" : `${entry.min_exclusive ? ">" : ""}${entry.min}`,
    entry.max === undefined ? "" : String(entry.max),
    entry.unit ?? "",
    ...entry.last,
    entry.description,
  ]);
  return [[...columns, "description"], ...rows].map(csvLine).join("");
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

/**
 * The FHIR R4 mapping as the codebook shows it: each field of a record and of an admission, the
 * FHIR element that carries it and its codes (from the one table `lib/fhir/codes.ts`), and the
 * app's own code systems as CodeSystem resources.
 */
export interface FhirMappingBook {
  mapping: MappingRow[];
  code_systems: CodeSystem[];
}

export function fhirMapping(): FhirMappingBook {
  return { mapping: mappingRows(), code_systems: appCodeSystems() };
}

const SYSTEM_NAMES: Readonly<Record<string, string>> = {
  [SYSTEM.loinc]: "LOINC",
  [SYSTEM.snomed]: "SNOMED CT",
  [SYSTEM.icd10]: "ICD-10",
  [SYSTEM.ucum]: "UCUM",
};

/** A code system's short name for the page: LOINC, SNOMED CT, an HL7 system's, or the app's own. */
export function systemName(url: string): string {
  const known = SYSTEM_NAMES[url];
  if (known) return known;
  const own = appCodeSystems().find((system) => system.url === url);
  if (own) return `app: ${own.title}`;
  const hl7 = /^http:\/\/terminology\.hl7\.org\/CodeSystem\/(.+)$/.exec(url);
  return hl7 ? `HL7 ${hl7[1]}` : url;
}
