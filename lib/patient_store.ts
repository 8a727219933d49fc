/** The patient store's interface: what the use-cases need, implemented by MongoDB and the embedded store. */
import type { AuditLog } from "./audit.ts";
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

/** A record in "recently deleted": its last fields, and when and by whom it was deleted. */
export interface DeletedRecord extends PatientRecord {
  deleted_at: Date;
  /** Who deleted it (null when unknown). */
  deleted_by: number | null;
}

/** Where a revision is now: a live record's, or a deleted copy's. */
export interface RevisionPlace {
  place: "live" | "deleted";
  record: PatientRecord;
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
  /** The audit log, in the same database. */
  readonly audit: AuditLog;
  /**
   * Stores a new record (under the revision `next` when given); assigns the next free id when
   * none is given. Throws `PatientIdTakenError`.
   */
  create(userId: number, patient: NewPatient, next?: string): Promise<PatientRecord>;
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
  /**
   * Replaces every field but the id; the record gets the revision `next` (a new one when not
   * given). Throws `NotFoundError`, `StaleRevisionError`.
   */
  replace(
    userId: number,
    id: number,
    fields: Omit<PatientFields, "id">,
    revision?: string,
    next?: string,
  ): Promise<PatientRecord>;
  /** Changes some fields, as `replace`. Throws `NotFoundError`, `StaleRevisionError`. */
  patch(
    userId: number,
    id: number,
    changes: PatientChanges,
    revision?: string,
    next?: string,
  ): Promise<PatientRecord>;
  /**
   * Moves the record to "recently deleted" (as the revision `next`), so that every read of the
   * live records leaves it out. The copy is made before the record leaves: it is in one place
   * or both, never in none. Throws `NotFoundError`, `StaleRevisionError`.
   */
  delete(
    userId: number,
    id: number,
    revision?: string,
    options?: { next?: string; by?: number | null },
  ): Promise<void>;
  /** The user's deleted records, most recently deleted first. */
  listDeleted(
    userId: number,
    page: { page: number; perPage: number },
  ): Promise<{ items: DeletedRecord[]; total: number }>;
  /** The most recently deleted copy of this id, or null. */
  getDeleted(userId: number, id: number): Promise<DeletedRecord | null>;
  /**
   * Moves the deleted copy with `revision` back among the live records (as the revision
   * `next`). The live record is written before the copy is removed. Throws `NotFoundError`
   * when there is no such copy, `PatientIdTakenError` when the id is live again.
   */
  restore(userId: number, id: number, revision: string, next?: string): Promise<PatientRecord>;
  /** Removes the deleted copy with this revision for good; false when there was none. */
  purge(userId: number, revision: string): Promise<boolean>;
  /** Deleted copies deleted before `before`, oldest first, with their owners. */
  expiredDeleted(
    before: Date,
    limit: number,
  ): Promise<{ userId: number; record: DeletedRecord }[]>;
  /** The live record or deleted copy that has this revision, or null. */
  findRevision(userId: number, revision: string): Promise<RevisionPlace | null>;
  /** How many live records each user has (users without any are left out). */
  countsByOwner(): Promise<Map<number, number>>;
  /** Removes all of a user's records, deleted ones too (account deletion); returns how many were live. */
  deleteAllOf(userId: number): Promise<number>;
  /** Resolves when the database answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh revision token: random, so an ETag never repeats, even for a re-created id. */
export function newRevision(): string {
  return crypto.randomUUID();
}

/** The part of the store that keeps "recently deleted" (each backend has its own module for it). */
export type DeletedRecordMethods = Pick<
  PatientStore,
  "delete" | "listDeleted" | "getDeleted" | "restore" | "purge" | "expiredDeleted" | "findRevision"
>;

/** No record ever has this revision: a write expecting it fails as stale. */
export const NO_REVISION = "\u0000no-such-revision";
