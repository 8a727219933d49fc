/** What both patient stores share: the row a new record gets, free-id assignment and field filtering. */
import { NoFreePatientIdError, PatientIdTakenError } from "../../lib/errors.ts";
import {
  CATEGORICAL_FIELDS,
  type CategoricalField,
  MAX_PATIENT_ID,
  type NewPatient,
  PATIENT_FIELDS,
  type PatientChanges,
  type PatientField,
  type PatientFields,
} from "../../lib/patient_fields.ts";
import type { PatientFilter } from "../../lib/patient_query.ts";
import {
  type GroupCount,
  type MeasuredField,
  newRevision,
  type RangeCounts,
} from "../../lib/patient_store.ts";
import { groupValue, readStoredValue } from "../../lib/stored_patient.ts";

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
 * none; when a concurrent writer takes that id first, takes the next one again, telling `nextId`
 * the id it found taken. `insert` throws and `isDuplicate` recognises the store's "duplicate
 * key" error.
 */
export async function insertWithFreeId<T>(
  patient: NewPatient,
  nextId: (taken?: number) => Promise<number>,
  insert: (id: number) => Promise<T>,
  isDuplicate: (error: unknown) => boolean,
): Promise<T> {
  let taken: number | undefined;
  for (let attempt = 1;; attempt++) {
    const id = patient.id ?? await nextId(taken);
    try {
      return await insert(id);
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      if (patient.id !== undefined || attempt >= ID_ATTEMPTS) throw new PatientIdTakenError(id);
      taken = id;
    }
  }
}

/**
 * The highest of stored ids as a new id counts it: a whole number from 0 (for none) to the
 * largest id. A stored id below 1 takes no id a new record could get, and a fraction (7.5) only
 * the whole ids below it.
 */
export function highestOf(ids: Iterable<unknown>): number {
  let highest = 0;
  for (const id of ids) {
    if (typeof id === "number" && id >= 1 && id <= MAX_PATIENT_ID) {
      highest = Math.max(highest, Math.floor(id));
    }
  }
  return highest;
}

/**
 * The id for a new record: one above the user's highest (`highest`, from `highestOf`), or, when
 * that would pass the largest id, the lowest free one among `ascendingIds()` (every stored id
 * that reads as a number, in ascending order; read only in that rare case). Ids below 1,
 * fractions and values that are not numbers take no id.
 * Throws `NoFreePatientIdError` when every id is taken.
 */
export async function freeIdAfter(
  highest: number,
  ascendingIds: () => AsyncIterable<number>,
): Promise<number> {
  if (highest < MAX_PATIENT_ID) return highest + 1;
  let expected = 1;
  for await (const id of ascendingIds()) {
    if (!(id >= expected)) continue;
    if (id > expected) return expected;
    expected++;
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

/** Group counts whose values were read as `groupValue` reads them, folded where they now agree. */
export function foldGroups(
  groups: readonly GroupCount[],
  by: readonly PatientField[],
): GroupCount[] {
  const folded = new Map<string, GroupCount>();
  for (const group of groups) {
    const values = group.values.map((value, i) => groupValue(by[i]!, value));
    const key = JSON.stringify(values);
    const into = folded.get(key) ?? { values, total: 0, stroke: 0 };
    into.total += group.total;
    into.stroke += group.stroke;
    folded.set(key, into);
  }
  return [...folded.values()];
}

/**
 * Range counts made in the database over the values stored as numbers (or null), completed with
 * the values stored otherwise (`others`, read here: documents of the original app): a number as
 * text is counted as the number, `"N/A"` as unknown, anything else as unreadable.
 */
export function withOtherValues(
  counts: Omit<RangeCounts, "unreadable">,
  field: MeasuredField,
  cuts: readonly number[],
  others: Iterable<{ value: unknown; stroke: unknown }>,
): RangeCounts {
  const out: RangeCounts = { ...counts, unreadable: { total: 0, stroke: 0 } };
  for (const { value, stroke } of others) {
    const read = readStoredValue(field, value);
    const hit = readStoredValue("stroke", stroke) === 1 ? 1 : 0;
    const tallies = read === null
      ? [out.missing]
      : typeof read === "number"
      ? cuts.flatMap((cut, i) => (read < cut ? [out.below[i]!] : []))
      : [out.unreadable];
    for (const tally of tallies) {
      tally.total++;
      tally.stroke += hit;
    }
  }
  return out;
}
