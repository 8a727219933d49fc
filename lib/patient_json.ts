/** A patient as JSON callers see it: the dataset's twelve fields, then `created_at` and `updated_at`. */
import { PATIENT_FIELDS, type PatientFields, type PatientRecord } from "./patient_fields.ts";
import { shownValue } from "./stored_patient.ts";

/**
 * The record as JSON. A value the original app stored that cannot be read as its field is
 * shown as stored (null when the field is missing); times unknown are null.
 */
export type PatientJson = PatientFields & { created_at: string | null; updated_at: string | null };

export function patientJson(record: PatientRecord): PatientJson {
  const out: Record<string, unknown> = {};
  for (const field of PATIENT_FIELDS) out[field] = shownValue(record, field) ?? null;
  out.created_at = record.created_at?.toISOString() ?? null;
  out.updated_at = record.updated_at?.toISOString() ?? null;
  return out as unknown as PatientJson;
}

/** Records are not changed once read (a change is a new record): their JSON text is kept. */
const texts = new WeakMap<PatientRecord, string>();

/** `JSON.stringify(patientJson(record))`, made once per record object. */
export function patientJsonText(record: PatientRecord): string {
  let text = texts.get(record);
  if (text === undefined) texts.set(record, text = JSON.stringify(patientJson(record)));
  return text;
}

/** The record's ETag: its revision, quoted. */
export function etagOf(record: PatientRecord): string {
  return `"${record.revision}"`;
}
