/** The patient store's interface: what the use-cases need, implemented by MongoDB and the embedded store. */
import type { AdmissionStore } from "./admission_store.ts";
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

/**
 * Range counts of one field: below each cut, in the cuts' order, with no value at all, and with
 * a value that cannot be read as a number (documents of the original app; a number it stored as
 * text, `"67"`, is counted as the number).
 */
export interface RangeCounts {
  /** `below[i]`: records whose value is below `cuts[i]` (a null value is below nothing). */
  below: Tally[];
  /** Records whose value is null (unknown). */
  missing: Tally;
  /** Records whose value cannot be read as a number: in no range. */
  unreadable: Tally;
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
  /** The patients' admissions, in the same database (a table or collection of their own). */
  readonly admissions: AdmissionStore;
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
  /**
   * The user's highest id, 0 when none: a record created without an id gets the one after it
   * (the lowest free one once it is the largest). An id stored as text that reads as a number
   * counts as that number; one below 1 or above the largest id counts for nothing.
   */
  highestId(userId: number): Promise<number>;
  /** Every record the filter matches, in the sort's order, read in batches (for exports). */
  stream(userId: number, filter: PatientFilter, sort: PatientSort): AsyncIterable<PatientRecord>;
  /** The ids the filter matches, in ascending order, read in batches. */
  streamIds(userId: number, filter: PatientFilter): AsyncIterable<number>;
  /**
   * Records and strokes per combination of the `by` fields' values, counted in the database. A
   * value stored as text that reads as the field's (`"1"`, `"67"`) counts as that value; one that
   * cannot be read is given as stored (its JSON text when not a string or number).
   */
  countGroups(
    userId: number,
    filter: PatientFilter,
    by: readonly PatientField[],
  ): Promise<GroupCount[]>;
  /**
   * Records and strokes with `field` below each of `cuts`, with no value, and with one that
   * cannot be read, counted in the database (the statistics' bands are differences of these).
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
  /**
   * Records the filter matches holding a value stored otherwise than the field rules allow —
   * documents of the original app: a number as text, a missing field, a value that cannot be
   * read, one out of range. How many there are, and the first `limit` of them by id.
   */
  findIrregular(
    userId: number,
    filter: PatientFilter,
    limit: number,
  ): Promise<{ total: number; records: PatientRecord[] }>;
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
  /**
   * A token that changes whenever the user's live records do, whichever app instance wrote
   * them: summaries are kept under it until it changes. Cheap (one small read).
   */
  dataVersion(userId: number): Promise<string>;
  /** How many live records each user has (users without any are left out). */
  countsByOwner(): Promise<Map<number, number>>;
  /** Removes all of a user's records, deleted ones too (account deletion); returns how many were live. */
  deleteAllOf(userId: number): Promise<number>;
  /** Resolves when the database answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  /**
   * What an operator should know about the server the records live on, for the start-up log
   * (FerretDB v1 is for development and tests only); empty when all is well. Throws
   * `StoreUnavailableError` when the server does not answer.
   */
  serverWarnings(): Promise<string[]>;
  close(): Promise<void>;
}

/** What a member of the store does: see `STORE_MEMBERS`. */
export type MemberKind = "about" | "read" | "write" | "live write";

/**
 * Every member of the store, in the interface's order, and what it does: a "live write" changes
 * live records (a summary of them is out of date after one), a "write" changes only deleted
 * copies; "about" members describe, check or close the store. The compiler holds this list to the
 * interface, so a new member must say what it does: the embedded store clears its cached reads
 * after every write, the MongoDB store bumps the data version after every live write, and
 * `tests/patient_store_writes_test.ts` calls every write and reads through the caches after it.
 */
export const STORE_MEMBERS = {
  description: "about",
  audit: "about",
  admissions: "about",
  create: "live write",
  insertMany: "live write",
  get: "read",
  getMany: "read",
  updateMany: "live write",
  existingIds: "read",
  highestId: "read",
  stream: "read",
  streamIds: "read",
  countGroups: "read",
  countRanges: "read",
  duplicateGroups: "read",
  findAbove: "read",
  findIrregular: "read",
  list: "read",
  count: "read",
  replace: "live write",
  patch: "live write",
  delete: "live write",
  listDeleted: "read",
  getDeleted: "read",
  restore: "live write",
  purge: "write",
  expiredDeleted: "read",
  findRevision: "read",
  dataVersion: "read",
  countsByOwner: "read",
  deleteAllOf: "live write",
  ping: "about",
  serverWarnings: "about",
  close: "about",
} as const satisfies Record<keyof PatientStore, MemberKind>;

type MembersOfKind<K extends MemberKind> = {
  [M in keyof typeof STORE_MEMBERS]: (typeof STORE_MEMBERS)[M] extends K ? M : never;
}[keyof typeof STORE_MEMBERS];

/** The store's methods that change stored records, live or deleted. */
export type StoreWrite = MembersOfKind<"write" | "live write">;
/** The store's methods that change live records. */
export type LiveWrite = MembersOfKind<"live write">;

function membersOfKind<M extends keyof PatientStore>(...kinds: MemberKind[]): readonly M[] {
  return (Object.keys(STORE_MEMBERS) as (keyof PatientStore)[])
    .filter((member) => kinds.includes(STORE_MEMBERS[member])) as M[];
}

/** The store's methods that change stored records, live or deleted, in the interface's order. */
export const STORE_WRITES: readonly StoreWrite[] = membersOfKind("write", "live write");

/** The store's methods that change live records: a summary of them is out of date after one. */
export const LIVE_WRITES: readonly LiveWrite[] = membersOfKind("live write");

/** A fresh revision token: random, so an ETag never repeats, even for a re-created id. */
export function newRevision(): string {
  return crypto.randomUUID();
}

/** The part of the store that keeps "recently deleted" (each backend has its own module for it). */
export type DeletedRecordMethods = Pick<
  PatientStore,
  "delete" | "listDeleted" | "getDeleted" | "restore" | "purge" | "expiredDeleted" | "findRevision"
>;
