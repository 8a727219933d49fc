/** A patient as JSON callers see it: the dataset's twelve fields, then `created_at` and `updated_at`. */
import { PATIENT_FIELDS, type PatientFields, type PatientRecord } from "./patient_fields.ts";

export type PatientJson = PatientFields & { created_at: string; updated_at: string };

export function patientJson(record: PatientRecord): PatientJson {
  const out: Record<string, unknown> = {};
  for (const field of PATIENT_FIELDS) out[field] = record[field];
  out.created_at = record.created_at.toISOString();
  out.updated_at = record.updated_at.toISOString();
  return out as unknown as PatientJson;
}

/** The record's ETag: its revision, quoted. */
export function etagOf(record: PatientRecord): string {
  return `"${record.revision}"`;
}

/**
 * The revision an `If-Match` header names: undefined when absent or `*` (any version will do),
 * and a value no record has when it names several or is malformed (so the write answers 412).
 */
export function revisionFromIfMatch(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(header);
  return match ? match[1] : "\u0000no-such-revision";
}
