/**
 * The `{id}` a path names, read in one place. A segment that cannot be an id names nothing,
 * so it is a 404 like an id nobody has: `/patients/abc` is as absent as `/patients/99999`.
 */
import type { Context } from "hono";
import { AdmissionNotFoundError } from "../lib/admission_errors.ts";
import { MAX_ADMISSION_ID } from "../lib/admission_store.ts";
import { NotFoundError, PatientNotFoundError } from "../lib/errors.ts";
import { parsePatientId } from "../lib/patient_fields.ts";

/** One kind of id: how its text is read, and the 404 for a path that names none. */
export interface IdKind {
  parse(text: string): number | null;
  missing(text: string): Error;
}

/** A whole number from 1, of at most 10 digits; null for anything else. */
function positiveId(text: string): number | null {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : 0;
  return id >= 1 ? id : null;
}

export const PATIENT_ID: IdKind = {
  parse: parsePatientId,
  missing: (text) => new PatientNotFoundError(text),
};

export const USER_ID: IdKind = {
  parse: positiveId,
  missing: (text) => new NotFoundError(`There is no user ${text}.`),
};

export const TOKEN_ID: IdKind = {
  parse: positiveId,
  missing: (text) => new NotFoundError(`You have no API token ${text}.`),
};

/** The path's `{id}` as a `kind` id (a patient's unless told); throws its 404 for anything else. */
export function pathId(c: Context, kind: IdKind = PATIENT_ID): number {
  const text = c.req.param("id") ?? "";
  const id = kind.parse(text);
  if (id === null) throw kind.missing(text);
  return id;
}

/** The path's `{aid}`, an admission of patient `patientId`; one that cannot be one names none (404). */
export function pathAdmissionId(c: Context, patientId: number): number {
  const text = c.req.param("aid") ?? "";
  const id = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(id >= 1 && id <= MAX_ADMISSION_ID)) {
    throw new AdmissionNotFoundError(patientId, text.slice(0, 20));
  }
  return id;
}
