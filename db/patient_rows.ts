/** What both patient stores share: the row a new record gets, free-id assignment and field filtering. */
import { NoFreePatientIdError, PatientIdTakenError } from "../lib/errors.ts";
import {
  CATEGORICAL_FIELDS,
  type CategoricalField,
  MAX_PATIENT_ID,
  type NewPatient,
  PATIENT_FIELDS,
  type PatientChanges,
  type PatientFields,
} from "../lib/patient_fields.ts";
import type { PatientFilter } from "../lib/patient_query.ts";
import { newRevision } from "../lib/patient_store.ts";

/** The categorical filters that are set, in field order. */
export function categoricalFilters(filter: PatientFilter): [CategoricalField, string | number][] {
  const out: [CategoricalField, string | number][] = [];
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) out.push([field, value]);
  }
  return out;
}

/**
 * The fields of the index that counts over several conditions read alone (no record): the
 * filterable ones, stroke first (the outcome is the most common narrowing).
 */
export const FILTER_INDEX_FIELDS = [
  "stroke",
  ...CATEGORICAL_FIELDS.filter((f) => f !== "stroke"),
  "age",
] as const;

/**
 * How often `create()` takes the next free id again when a concurrent writer took it first
 * (each round at least one of the racing writers succeeds).
 */
export const ID_ATTEMPTS = 100;

/**
 * What both stores write for a new record: the dataset's fields plus the server-kept ones, under
 * the revision `revision` (a new one when not given).
 */
export function newRow<Time>(
  userId: number,
  patient: NewPatient,
  id: number,
  now: Time,
  revision = newRevision(),
) {
  return {
    ...(changeableFields(patient) as Omit<PatientFields, "id">),
    id,
    user_id: userId,
    created_at: now,
    updated_at: now,
    revision,
  };
}

/**
 * Inserts a new record under its own id, or under the next free one (`nextId`) when it has
 * none; when a concurrent writer takes that id first, takes the next one again.
 * `insert` throws and `isDuplicate` recognises the store's "duplicate key" error.
 */
export async function insertWithFreeId<T>(
  patient: NewPatient,
  nextId: () => Promise<number>,
  insert: (id: number) => Promise<T>,
  isDuplicate: (error: unknown) => boolean,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const id = patient.id ?? await nextId();
    try {
      return await insert(id);
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      if (patient.id !== undefined || attempt >= ID_ATTEMPTS) throw new PatientIdTakenError(id);
    }
  }
}

/**
 * The id for a new record: one above the user's highest (`max`, 0 when none), or, when that
 * would pass the largest id, the lowest gap in `ascendingIds()` (read only in that rare case).
 * Throws `NoFreePatientIdError` when every id is taken.
 */
export async function freeIdAfter(
  max: number,
  ascendingIds: () => AsyncIterable<number>,
): Promise<number> {
  if (max < MAX_PATIENT_ID) return max + 1;
  let expected = 1;
  for await (const id of ascendingIds()) {
    if (id > expected) return expected;
    expected = id + 1;
  }
  if (expected <= MAX_PATIENT_ID) return expected;
  throw new NoFreePatientIdError();
}

export { newRevision };

/** Only the dataset's fields, without the id: what a write may change, whatever the caller passed. */
export function changeableFields(changes: PatientChanges): PatientChanges {
  const out: Record<string, unknown> = {};
  for (const field of PATIENT_FIELDS) {
    if (field !== "id" && field in changes) out[field] = changes[field];
  }
  return out as PatientChanges;
}
