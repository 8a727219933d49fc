/**
 * The admission store's interface: a patient's acute stroke admissions, kept in the patient
 * database beside the records (a table or collection of their own, so that the original
 * documents' seed fields are never touched). Implemented by the embedded store
 * (`db/patients/sqlite/admissions.ts`) and MongoDB (`db/patients/mongo/admissions.ts`).
 *
 * Every operation takes the `scope` whose records are used: the number a patient document's
 * `user_id` holds (for a personal registry, the owner's user id).
 *
 * A deleted admission stays where it is, marked deleted (`deleted_at`), so that its number is
 * never given to another admission while it can be restored; it is purged after the retention
 * period. Whether an admission is shown at all depends on its patient too: see
 * `lib/admission_service.ts` ("the patient's life").
 */
import {
  type Admission,
  ADMISSION_RULES,
  type AdmissionFields,
} from "./stroke/admission_fields.ts";

/** The largest admission number (as the rules table says). */
export const MAX_ADMISSION_ID = (ADMISSION_RULES.admission_id as { max: number }).max;

/**
 * The most admissions one patient may have stored, deleted ones included until they are purged:
 * far beyond any real patient's (a stroke unit sees a patient a handful of times in a life), so
 * that only a runaway script or file meets it (see docs/decisions.md).
 */
export const MAX_ADMISSIONS_PER_PATIENT = 1000;

/** An admission as stored: its fields, whose it is, and what the server keeps. */
export interface StoredAdmission extends Admission {
  patient_id: number;
  /**
   * The patient record's `created_at` when the admission was made (null for a document of the
   * original app, which has none): a patient deleted and then re-created under the same id is
   * another patient, whose record has another creation time, and does not inherit these.
   */
  patient_created_at: Date | null;
  /** Random per write: the ETag. */
  revision: string;
  created_at: Date;
  updated_at: Date;
  /** When it was deleted ("recently deleted"), or null while it is live. */
  deleted_at: Date | null;
  /** Who deleted it (null when live or unknown). */
  deleted_by: number | null;
}

/** What a new admission is made of. */
export interface NewAdmission {
  patient_id: number;
  patient_created_at: Date | null;
  fields: AdmissionFields;
  /** The number to give it (an import of an export); the next free one when left out. */
  admission_id?: number;
}

/** Where a revision is now: a live admission's, or a deleted one's. */
export interface AdmissionRevisionPlace {
  place: "live" | "deleted";
  admission: StoredAdmission;
}

/** The admissions of many patients written in one call (an import's batch). */
export interface InsertedAdmissions {
  /** Stored, in the order given. */
  stored: StoredAdmission[];
  /** Indexes (into the rows given) of those whose admission id was taken: nothing stored. */
  taken: number[];
  /**
   * Indexes of those whose patient has `MAX_ADMISSIONS_PER_PATIENT` admissions already (counting
   * the rows stored before them): nothing stored.
   */
  full: number[];
}

/**
 * The store of admissions. Writes name the revision they start from and the one they write
 * (`next`); a write whose admission is no longer at `revision` throws `AdmissionStaleError`
 * and writes nothing, one whose admission is gone (or not in the state the write needs)
 * `AdmissionNotFoundError`. On a server that does not apply a conditional update atomically
 * (FerretDB v1) the condition alone does not make `If-Match` hold: the use-cases claim the
 * revision in the audit journal first (see `lib/audit_trail.ts`).
 */
export interface AdmissionStore {
  /** A patient's live admissions (or deleted ones), by arrival then number. */
  list(
    scope: number,
    patientId: number,
    state?: "live" | "deleted",
  ): Promise<StoredAdmission[]>;
  /**
   * How many admissions (live and deleted) each of these patients has stored; a patient with none
   * is left out.
   */
  countOf(scope: number, patientIds: readonly number[]): Promise<Map<number, number>>;
  /** One admission, live or deleted (`deleted_at` says which), or null. */
  get(scope: number, patientId: number, admissionId: number): Promise<StoredAdmission | null>;
  /**
   * Stores a new admission under the revision `next`, numbered one above the patient's highest
   * (deleted ones count) or as `admission_id` says. Two creates at once both succeed with
   * different numbers (the unique index refuses the second, which takes the next). Throws
   * `AdmissionIdTakenError` when a given number is taken, `AdmissionLimitError` when the patient
   * has `MAX_ADMISSIONS_PER_PATIENT` admissions already.
   */
  create(scope: number, admission: NewAdmission, next: string): Promise<StoredAdmission>;
  /**
   * Stores many new admissions (each with its `revision`), numbered as `create` does, in as few
   * calls as the database allows; rows whose given number is taken, or whose patient has no room
   * left, are reported, not stored.
   */
  insertMany(
    scope: number,
    admissions: readonly (NewAdmission & { revision: string })[],
  ): Promise<InsertedAdmissions>;
  /** Writes `changes` into a live admission at `revision`. */
  update(
    scope: number,
    patientId: number,
    admissionId: number,
    changes: Partial<AdmissionFields>,
    revision: string,
    next: string,
  ): Promise<StoredAdmission>;
  /** Marks a live admission at `revision` deleted, by `by`. */
  delete(
    scope: number,
    patientId: number,
    admissionId: number,
    revision: string,
    options: { next: string; by: number | null },
  ): Promise<void>;
  /** Makes a deleted admission at `revision` live again. */
  restore(
    scope: number,
    patientId: number,
    admissionId: number,
    revision: string,
    next: string,
  ): Promise<StoredAdmission>;
  /** Removes the deleted admission with this revision for good; false when there was none. */
  purge(scope: number, revision: string): Promise<boolean>;
  /** Admissions deleted before `before`, oldest first, with their scopes. */
  expiredDeleted(
    before: Date,
    limit: number,
  ): Promise<{ scope: number; admission: StoredAdmission }[]>;
  /** The admission that has this revision, live or deleted, or null. */
  findRevision(scope: number, revision: string): Promise<AdmissionRevisionPlace | null>;
  /**
   * The live admissions arriving from `from` (inclusive) to `to` (exclusive), null meaning
   * open, in no particular order, read in batches (the quality indicators' one pass).
   */
  iterate(scope: number, from: Date | null, to: Date | null): AsyncIterable<StoredAdmission>;
  /** Every live admission of the scope, by patient then number, read in batches (exports). */
  exportAll(scope: number): AsyncIterable<StoredAdmission>;
  /** Removes every admission of the scope (account deletion); returns how many there were. */
  deleteAllOf(scope: number): Promise<number>;
}

/** A fresh revision: random, so an ETag never repeats. */
export function newAdmissionRevision(): string {
  return crypto.randomUUID();
}
