/** The patient store's interface: what the use-cases need, implemented by MongoDB and the embedded store. */
import type {
  NewPatient,
  PatientChanges,
  PatientField,
  PatientFields,
  PatientRecord,
} from "./patient_fields.ts";
import type { PatientFilter, PatientListQuery, PatientSort } from "./patient_query.ts";

export interface PatientPage {
  items: PatientRecord[];
  total: number;
}

export interface InsertManyResult {
  inserted: number;
  /** Ids that were already taken (the rows were not stored). */
  duplicateIds: number[];
}

/** How many records share one combination of values of some fields, and how many had a stroke. */
export interface GroupCount {
  /** The values, in the order of the fields asked for. */
  values: (string | number | null)[];
  total: number;
  stroke: number;
}

/** A numeric field that statistics count in ranges. */
export type MeasuredField = "age" | "avg_glucose_level" | "bmi";

/** Records and strokes among some records (a band, a level, everything). */
export interface Tally {
  total: number;
  stroke: number;
}

/** Range counts of one field: below each cut, in the cuts' order, and with no value at all. */
export interface RangeCounts {
  /** `below[i]`: records whose value is below `cuts[i]` (a null value is below nothing). */
  below: Tally[];
  /** Records whose value is null (unknown). */
  missing: Tally;
}

/** A value outside the usual range: the field is above `above` (checked, never refused). */
export interface RangeLimit {
  field: MeasuredField;
  above: number;
}

/**
 * Every operation takes the owner's `userId` and sees only that user's records.
 * Writes may name the `revision` the caller last saw; when the record has changed since,
 * they throw `StaleRevisionError` and write nothing.
 */
export interface PatientStore {
  /** Where the records live, for the start-up line (never a password). */
  readonly description: string;
  /** Stores a new record; assigns the next free id when none is given. Throws `PatientIdTakenError`. */
  create(userId: number, patient: NewPatient): Promise<PatientRecord>;
  /** Stores many complete records, skipping those whose id is taken. */
  insertMany(userId: number, patients: PatientFields[]): Promise<InsertManyResult>;
  get(userId: number, id: number): Promise<PatientRecord | null>;
  /** The user's records with these ids, in any order; ids without a record are left out. */
  getMany(userId: number, ids: readonly number[]): Promise<PatientRecord[]>;
  /**
   * Replaces every field but the id of existing records whose fields differ from these (a bulk
   * import's updates); records already equal are left as they are. Returns how many changed.
   */
  updateMany(userId: number, patients: readonly PatientFields[]): Promise<number>;
  /** Which of these ids the user has. */
  existingIds(userId: number, ids: readonly number[]): Promise<Set<number>>;
  /** Every record the filter matches, in the sort's order, read in batches (for exports). */
  stream(userId: number, filter: PatientFilter, sort: PatientSort): AsyncIterable<PatientRecord>;
  /** The ids the filter matches, in ascending order, read in batches. */
  streamIds(userId: number, filter: PatientFilter): AsyncIterable<number>;
  /** Records and strokes per combination of the `by` fields' values, counted in the database. */
  countGroups(
    userId: number,
    filter: PatientFilter,
    by: readonly PatientField[],
  ): Promise<GroupCount[]>;
  /**
   * Records and strokes with `field` below each of `cuts`, and with no value, counted in the
   * database (the statistics' bands are differences of these).
   */
  countRanges(
    userId: number,
    filter: PatientFilter,
    field: MeasuredField,
    cuts: readonly number[],
  ): Promise<RangeCounts>;
  /**
   * Groups of at least two records whose fields other than `id` are all equal (possible
   * duplicates), found in the database: each group's ids ascending, groups by their first id.
   */
  duplicateGroups(userId: number, filter: PatientFilter): Promise<number[][]>;
  /** Up to `limit` records, by id, with a value above one of the limits (null is above nothing). */
  findAbove(
    userId: number,
    filter: PatientFilter,
    limits: readonly RangeLimit[],
    limit: number,
  ): Promise<PatientRecord[]>;
  list(userId: number, query: PatientListQuery): Promise<PatientPage>;
  count(userId: number, filter?: PatientFilter): Promise<number>;
  /** Replaces every field but the id. Throws `NotFoundError`, `StaleRevisionError`. */
  replace(
    userId: number,
    id: number,
    fields: Omit<PatientFields, "id">,
    revision?: string,
  ): Promise<PatientRecord>;
  /** Changes some fields. Throws `NotFoundError`, `StaleRevisionError`. */
  patch(
    userId: number,
    id: number,
    changes: PatientChanges,
    revision?: string,
  ): Promise<PatientRecord>;
  /** Throws `NotFoundError`, `StaleRevisionError`. */
  delete(userId: number, id: number, revision?: string): Promise<void>;
  /** Removes all of a user's records (account deletion); returns how many. */
  deleteAllOf(userId: number): Promise<number>;
  /** Resolves when the database answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** No record ever has this revision: a write expecting it fails as stale. */
export const NO_REVISION = "\u0000no-such-revision";
