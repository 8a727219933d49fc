/** A patient as JSON callers see it: the dataset's twelve fields, then `created_at` and `updated_at`. */
import { PATIENT_FIELDS, type PatientFields, type PatientRecord } from "./patient_fields.ts";
import { NO_REVISION } from "./patient_store.ts";

export type PatientJson = PatientFields & { created_at: string; updated_at: string };

export function patientJson(record: PatientRecord): PatientJson {
  const out: Record<string, unknown> = {};
  for (const field of PATIENT_FIELDS) out[field] = record[field];
  out.created_at = record.created_at.toISOString();
  out.updated_at = record.updated_at.toISOString();
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

/**
 * The revisions an `If-Match` header names (RFC 9110: any one of them will do): undefined
 * when it is absent or `*`; a malformed header names none, so the write answers 412.
 */
export function ifMatchRevisions(header: string | undefined): string[] | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const tags = header.split(",").map((tag) => /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(tag)?.[1]);
  return tags.every((tag) => tag !== undefined) ? tags as string[] : [NO_REVISION];
}
