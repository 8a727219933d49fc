/**
 * Validation of patient input, shared by the browser forms, the JSON API and the CSV import.
 * Every bad field is reported at once, with a message a clinician understands.
 */
import { z } from "zod";
import type { FieldError } from "./errors.ts";
import { excerpt } from "./excerpt.ts";
import {
  type CategoryRule,
  FIELD_RULES,
  isPatientField,
  type MeasureRule,
  type NewPatient,
  NUMERIC_FIELDS,
  PATIENT_FIELDS,
  type PatientChanges,
  type PatientField,
  type PatientFields,
  ruleOf,
  SERVER_FIELDS,
} from "./patient_fields.ts";

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * A zod error map: "X is required" when the field is missing (or null, with `nullIsMissing`: a
 * field that may be unknown takes null before the map is asked), else the field's own message.
 */
export function says(label: string, message: string, { nullIsMissing = false } = {}) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined || (nullIsMissing && issue.input === null)
      ? `${label} is required`
      : message;
}

/** "X must be "a", "b" or "c"". */
export function oneOf(label: string, values: readonly (string | number)[]): string {
  const shown = values.map((v) => typeof v === "string" ? `"${v}"` : String(v));
  const last = shown.pop();
  return `${label} must be ${shown.length ? `${shown.join(", ")} or ${last}` : last}`;
}

/** The message for a value outside a measure's range (also the form's and the codebook's words). */
export function rangeMessage(rule: MeasureRule): string {
  if (rule.integer) return `${rule.label} must be a whole number from ${rule.min} to ${rule.max}`;
  const low = `${rule.minExclusive ? "above" : "at least"} ${rule.min}`;
  const unit = rule.unit ? ` ${rule.unit}` : "";
  return `${rule.label} must be a number ${low} and at most ${rule.max}${unit}${
    rule.rangeNote ?? ""
  }`;
}

function categorySchema(rule: CategoryRule): z.ZodType {
  const message = oneOf(rule.label, rule.values);
  if (typeof rule.values[0] === "number") {
    return z.literal(rule.values as readonly number[], { error: says(rule.label, message) })
      .meta({ type: "integer", description: rule.description });
  }
  const values = rule.values as readonly [string, ...string[]];
  return z.enum(values, { error: says(rule.label, message) }).meta({
    description: rule.description,
  });
}

function measureSchema(rule: MeasureRule): z.ZodType {
  const message = rangeMessage(rule);
  let schema = z.number({ error: says(rule.label, message) });
  if (rule.integer) schema = schema.int({ error: message });
  schema = rule.minExclusive
    ? schema.gt(rule.min, { error: message })
    : schema.gte(rule.min, { error: message });
  schema = schema.lte(rule.max, { error: message });
  const description = rule.unit ? `${rule.description} Unit: ${rule.unit}.` : rule.description;
  return (rule.missing === undefined ? schema : schema.nullable()).meta({ description });
}

/** The schema of each field, built from the rules table; also the source of the OpenAPI document. */
export const fieldSchemas = Object.fromEntries(
  PATIENT_FIELDS.map((field) => {
    const rule = ruleOf(field);
    return [field, rule.kind === "category" ? categorySchema(rule) : measureSchema(rule)];
  }),
) as Record<PatientField, z.ZodType>;

const { id: idSchema, ...changeableSchemas } = fieldSchemas;
const idMessage = rangeMessage(FIELD_RULES.id);

/** A full record; the id is optional (the app assigns one). */
export const newPatientSchema = z.strictObject({ ...changeableSchemas, id: idSchema.optional() });
/** Some fields of a record. */
export const patientChangesSchema = z.strictObject(changeableSchemas).partial();
const replacementSchema = z.strictObject(changeableSchemas);

export type ValidationMode = "create" | "replace" | "patch";

/**
 * Checks keys before the schema runs: a key that is not a field (`isField`) is one the server
 * keeps (`serverFields`), an operator, or an unknown name.
 */
export function keyErrors(
  input: Record<string, unknown>,
  isField: (key: string) => boolean,
  serverFields: readonly string[],
): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(input)) {
    if (isField(key)) continue;
    if (serverFields.includes(key)) {
      errors.push({ field: key, message: `${key} is kept by the server and cannot be set` });
    } else if (key.includes("$") || key.includes(".")) {
      errors.push({ field: excerpt(key), message: 'Field names may not contain "$" or "."' });
    } else {
      errors.push({ field: excerpt(key), message: `Unknown field "${excerpt(key)}"` });
    }
  }
  return errors;
}

function fieldOrder(field: string): number {
  const i = (PATIENT_FIELDS as readonly string[]).indexOf(field);
  return i === -1 ? PATIENT_FIELDS.length : i;
}

/**
 * The schema's issues as field errors, added to `errors`: the first of each field, none for a
 * field `errors` already names, and none for unknown keys (reported by {@link keyErrors}).
 */
export function schemaErrors(
  issues: z.core.$ZodIssue[],
  errors: FieldError[] = [],
): FieldError[] {
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue; // reported by keyErrors
    const field = String(issue.path[0] ?? "");
    if (!errors.some((e) => e.field === field)) errors.push({ field, message: issue.message });
  }
  return errors;
}

/**
 * Validates typed input (a JSON body, or form/CSV text after {@link parsePatientText}).
 * `create` and `replace` need every field but the id; `patch` takes any non-empty subset.
 * With `currentId`, an `id` in the input must equal it: a record's id never changes; the value
 * keeps an id that was given (`create`, `replace`), and `patch` returns changeable fields only.
 */
export function validatePatient(
  input: unknown,
  mode: "create",
  currentId?: number,
): Validated<NewPatient>;
export function validatePatient(
  input: unknown,
  mode: "replace",
  currentId?: number,
): Validated<Omit<PatientFields, "id"> & { id?: number }>;
export function validatePatient(
  input: unknown,
  mode: "patch",
  currentId?: number,
): Validated<PatientChanges>;
export function validatePatient(
  input: unknown,
  mode: ValidationMode,
  currentId?: number,
): Validated<unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: "", message: "Send the patient as a JSON object" }] };
  }
  const body = input as Record<string, unknown>;
  const errors = keyErrors(body, isPatientField, SERVER_FIELDS);
  const { id, ...rest } = body;
  const known = Object.fromEntries(
    Object.entries(rest).filter(([k, v]) => isPatientField(k) && v !== undefined),
  );
  if (id !== undefined) {
    const parsedId = idSchema.safeParse(id);
    if (!parsedId.success) errors.push({ field: "id", message: idMessage });
    else if (currentId !== undefined && parsedId.data !== currentId) {
      errors.push({ field: "id", message: `Patient ID cannot be changed (it is ${currentId})` });
    }
  }
  const schema = mode === "patch" ? patientChangesSchema : replacementSchema;
  const result = schema.safeParse(known);
  if (!result.success) errors.push(...schemaErrors(result.error.issues));
  if (mode === "patch" && errors.length === 0 && Object.keys(known).length === 0) {
    errors.push({ field: "", message: "Send at least one field to change" });
  }
  if (errors.length > 0) {
    errors.sort((a, b) => fieldOrder(a.field) - fieldOrder(b.field));
    return { ok: false, errors };
  }
  const value = { ...(result.data as object) } as Record<string, unknown>;
  if (id !== undefined && mode !== "patch") value.id = id;
  return { ok: true, value };
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A cell's text as a number when it is one, parsed strictly; else the text (the validator names it). */
export function numberOrText(text: string): number | string {
  return NUMBER_TEXT.test(text) ? Number(text) : text;
}

/**
 * Text input (an HTML form or a CSV row) read cell by cell: `read` gets each given cell trimmed
 * and answers its typed value, or undefined to leave the cell out.
 */
export function parseTextCells(
  record: Record<string, string | undefined>,
  read: (key: string, text: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (raw === undefined) continue;
    const value = read(key, raw.trim());
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Turns text (an HTML form or a CSV row) into typed input for {@link validatePatient}.
 * Numbers are parsed strictly; text that is not a number is kept as text so that the
 * validator reports it. An empty id is left out (the app assigns one); an empty or `N/A`
 * BMI is unknown (null). Other empty fields are left out, so they are reported as missing.
 */
export function parsePatientText(
  record: Record<string, string | undefined>,
): Record<string, unknown> {
  return parseTextCells(record, (key, text) => {
    if (key === "bmi" && (text === "" || text.toUpperCase() === "N/A")) return null;
    if (text === "") return undefined;
    return (NUMERIC_FIELDS as readonly string[]).includes(key) ? numberOrText(text) : text;
  });
}
