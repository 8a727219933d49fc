/**
 * Validation of patient input, shared by the browser forms, the JSON API and the CSV import.
 * Every bad field is reported at once, with a message a clinician understands.
 */
import { z } from "zod";
import {
  FIELD_LABELS,
  GENDERS,
  isPatientField,
  MAX_PATIENT_ID,
  NUMERIC_FIELDS,
  PATIENT_FIELDS,
  type PatientChanges,
  type PatientField,
  type PatientFields,
  RESIDENCE_TYPES,
  SERVER_FIELDS,
  SMOKING_STATUSES,
  WORK_TYPES,
  YES_NO,
} from "./patient_fields.ts";

/** One problem with one field of the input. */
export interface FieldError {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** A zod error map: "X is required" when the field is missing, else the field's own message. */
function says(label: string, message: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `${label} is required` : message;
}

function oneOf(label: string, values: readonly (string | number)[]): string {
  const shown = values.map((v) => typeof v === "string" ? `"${v}"` : String(v));
  const last = shown.pop();
  return `${label} must be ${shown.length ? `${shown.join(", ")} or ${last}` : last}`;
}

function flag(label: string) {
  const message = `${label} must be 0 (no) or 1 (yes)`;
  return z.literal([0, 1], { error: says(label, message) }).meta({
    type: "integer",
    description: `${label}: 0 = no, 1 = yes`,
  });
}

function choice<T extends readonly [string, ...string[]]>(label: string, values: T) {
  return z.enum(values, { error: says(label, oneOf(label, values)) });
}

function measure(label: string, min: number, max: number, minExclusive: boolean, unit = "") {
  const range = `${minExclusive ? "above" : "at least"} ${min} and at most ${max}${unit}`;
  const message = `${label} must be a number ${range}`;
  const base = z.number({ error: says(label, message) });
  return (minExclusive ? base.gt(min, { error: message }) : base.gte(min, { error: message }))
    .lte(max, { error: message });
}

const idMessage = `Patient ID must be a whole number from 1 to ${MAX_PATIENT_ID}`;

/** The schema of each field; also the source of the OpenAPI document. */
export const fieldSchemas = {
  id: z.number({ error: says("Patient ID", idMessage) }).int({ error: idMessage }).gte(1, {
    error: idMessage,
  })
    .lte(MAX_PATIENT_ID, { error: idMessage }),
  gender: choice(FIELD_LABELS.gender, GENDERS),
  age: measure(
    "Age",
    0,
    120,
    true,
    " years (fractions for infants: 0.08 is one month)",
  ),
  hypertension: flag(FIELD_LABELS.hypertension),
  heart_disease: flag(FIELD_LABELS.heart_disease),
  ever_married: choice(FIELD_LABELS.ever_married, YES_NO),
  work_type: choice(FIELD_LABELS.work_type, WORK_TYPES),
  Residence_type: choice(FIELD_LABELS.Residence_type, RESIDENCE_TYPES),
  avg_glucose_level: measure("Average glucose level", 0, 1000, true, " mg/dL"),
  bmi: measure("BMI", 5, 150, false, ", or empty when unknown").nullable(),
  smoking_status: choice(FIELD_LABELS.smoking_status, SMOKING_STATUSES),
  stroke: flag(FIELD_LABELS.stroke),
} satisfies Record<PatientField, z.ZodType>;

const { id: idSchema, ...changeableSchemas } = fieldSchemas;

/** A full record; the id is optional (the app assigns one). */
export const newPatientSchema = z.strictObject({ ...changeableSchemas, id: idSchema.optional() });
/** Some fields of a record. */
export const patientChangesSchema = z.strictObject(changeableSchemas).partial();

export type ValidationMode = "create" | "replace" | "patch";

/** Checks keys before the schema runs: server-kept fields, operators and unknown names. */
function keyErrors(input: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(input)) {
    if (isPatientField(key)) continue;
    if ((SERVER_FIELDS as readonly string[]).includes(key)) {
      errors.push({ field: key, message: `${key} is kept by the server and cannot be set` });
    } else if (key.includes("$") || key.includes(".")) {
      errors.push({ field: key, message: 'Field names may not contain "$" or "."' });
    } else {
      errors.push({ field: key, message: `Unknown field "${key}"` });
    }
  }
  return errors;
}

function fieldOrder(field: string): number {
  const i = (PATIENT_FIELDS as readonly string[]).indexOf(field);
  return i === -1 ? PATIENT_FIELDS.length : i;
}

function schemaErrors(issues: z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
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
 * With `currentId`, an `id` in the input must equal it: a record's id never changes.
 */
export function validatePatient(
  input: unknown,
  mode: "create" | "replace",
  currentId?: number,
): Validated<PatientFields | (Omit<PatientFields, "id"> & { id?: number })>;
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
  const errors = keyErrors(body);
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
  const schema = mode === "patch" ? patientChangesSchema : newPatientSchema.omit({ id: true });
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

/**
 * Turns text (an HTML form or a CSV row) into typed input for {@link validatePatient}.
 * Numbers are parsed strictly; text that is not a number is kept as text so that the
 * validator reports it. An empty id is left out (the app assigns one); an empty or `N/A`
 * BMI is unknown (null). Other empty fields are left out, so they are reported as missing.
 */
export function parsePatientText(
  record: Record<string, string | undefined>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (raw === undefined) continue;
    const text = raw.trim();
    if (key === "bmi" && (text === "" || text.toUpperCase() === "N/A")) {
      out.bmi = null;
    } else if (text === "") {
      continue;
    } else if ((NUMERIC_FIELDS as readonly string[]).includes(key)) {
      out[key] = NUMBER_TEXT.test(text) ? Number(text) : text;
    } else {
      out[key] = text;
    }
  }
  return out;
}
