/**
 * How the use-cases write the audit log so that an acknowledged change always has its entry,
 * on MongoDB (no transactions) as on the embedded store:
 *
 * 1. the entry is written to the journal as `pending`, naming the revision the record has
 *    (`revision_before`) and the fresh one the change will write (`revision_after`); if that
 *    fails, nothing is done;
 * 2. the change is made, conditional on `revision_before`, writing `revision_after`;
 * 3. the entry is appended to the log as `done` (or `failed` when the store refused the change)
 *    and leaves the journal — and only then is the change reported as made.
 *
 * A crash or an outage between the steps leaves the entry in the journal; `settlePending` later
 * decides it from the revisions, which are random and written by exactly one change each.
 *
 * The journal is also what makes `If-Match` hold under concurrency: it keeps one claim per record
 * and revision (`claimOf`) in a unique index, so of several changes starting from one revision
 * only the first can begin, even on a database that does not apply a conditional update
 * atomically (FerretDB v1). A claim is released when its entry leaves the journal; one left by
 * an instance that died is settled by the next change that meets it, once it is older than
 * {@link CHANGE_LEASE_MS}.
 */
import { type RegistryAccess, type RegistryRight, requireRight } from "./registry_rights.ts";
import {
  admissionOf,
  type AuditAction,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  changedFields,
  ChangeInProgressError,
  newEntryId,
} from "./audit.ts";
import {
  InvalidInputError,
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  StaleRevisionError,
  StoreUnavailableError,
} from "./errors.ts";
import { ImportFileError } from "./patient_import.ts";
import type { PatientStore } from "./patient_store.ts";

/** Who asks: the owner whose records are used, and where the request came from. */
export interface Actor {
  userId: number;
  /**
   * The registry the request acts in, with the user's role there, read for this request; none:
   * the user's personal registry, as its owner (scripts, tests, the user's own records).
   */
  registry?: RegistryAccess;
  /** The client's address. */
  client?: string;
  /** The request id, as the log has it. */
  requestId?: string;
  /** Why the change is made, when the user said. */
  reason?: string;
}

/** The number of the registry `actor` acts in: its records' `user_id` and audit `owner_id`. */
export function scopeOf(actor: Actor): number {
  return actor.registry?.scope ?? actor.userId;
}

/**
 * Throws `RegistryForbiddenError` (403, naming the role needed) unless `actor`'s role in the
 * registry it acts in has `right` (in their personal registry a user may do everything).
 */
export function allow(actor: Actor, right: RegistryRight): void {
  if (actor.registry) requireRight(actor.registry, right);
}

/** A new entry by `actor` about their own records (status `done` until the caller says). */
export function entryBy(
  actor: Actor,
  action: AuditAction,
  patientId: number | null,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  const at = new Date();
  return {
    id: newEntryId(at),
    at,
    owner_id: scopeOf(actor),
    user_id: actor.userId,
    action,
    patient_id: patientId,
    changes: {},
    reason: actor.reason ?? null,
    client: actor.client ?? null,
    request_id: actor.requestId ?? null,
    details: null,
    status: "done",
    revision_before: null,
    revision_after: null,
    ...extra,
  };
}

/** Appends entries; any failure to do so is a 503 and nothing else happens. */
export async function appendEntries(audit: AuditLog, entries: AuditEntry[]): Promise<void> {
  try {
    await audit.append(entries);
  } catch (error) {
    throw new StoreUnavailableError("audit", { cause: error });
  }
}

/** The store said no: the change was not made. */
function refused(error: unknown): boolean {
  return [
    NotFoundError,
    StaleRevisionError,
    PatientIdTakenError,
    NoFreePatientIdError,
    InvalidInputError,
    ImportFileError,
  ].some((type) => error instanceof type);
}

/**
 * Writes the entry to the journal before its change; a 503 when it cannot be. Throws
 * `ChangeInProgressError` when another change of the record from the same revision holds the
 * claim.
 */
export async function beginEntry(audit: AuditLog, entry: AuditEntry): Promise<void> {
  try {
    await audit.begin({ ...entry, status: "pending" });
  } catch (error) {
    if (error instanceof ChangeInProgressError) throw error;
    throw new StoreUnavailableError("audit", { cause: error });
  }
}

/** Moves a journal entry to the log with its outcome; a 503 when it cannot be. */
export async function finishEntry(
  audit: AuditLog,
  entry: AuditEntry,
  outcome: AuditOutcome,
): Promise<void> {
  try {
    await audit.finish({ ...entry, ...outcome });
  } catch (error) {
    throw new StoreUnavailableError("audit", { cause: error });
  }
}

/**
 * Makes one change under a journal entry (see the module's comment). `outcome` adds what the
 * change taught (a new record's id). Throws what the change threw, or a 503 when the entry can
 * be neither written nor finished.
 */
export async function auditedChange<T>(
  audit: AuditLog,
  entry: AuditEntry,
  change: () => Promise<T>,
  outcome: (result: T) => Omit<AuditOutcome, "status"> = () => ({}),
): Promise<T> {
  await beginEntry(audit, entry);
  let result: T;
  try {
    result = await change();
  } catch (error) {
    // Anything else (an outage mid-write) leaves the entry pending: the change may have happened.
    if (refused(error)) await audit.finish({ ...entry, status: "failed" }).catch(() => {});
    throw error;
  }
  await finishEntry(audit, entry, { status: "done", ...outcome(result) });
  return result;
}

/**
 * How long a change may hold its claim before the next change of the record settles it on the
 * spot (its instance is taken to be gone): far longer than any change takes while its database
 * answers (each step gives up after `DB_QUERY_TIMEOUT_MS`, 60 s by default).
 */
export const CHANGE_LEASE_MS = 3 * 60_000;

/** How long a pending entry is left to its request before the housekeeping decides it. */
export const PENDING_GRACE_MS = 15 * 60_000;
/** An import may run for long: its pending entry is called interrupted only after this. */
export const IMPORT_GRACE_MS = 60 * 60_000;

/** What became of the change of a pending entry, from the revisions; null: too early to say. */
export type OutcomeOf = (
  store: PatientStore,
  entry: AuditEntry,
  now: Date,
) => Promise<AuditOutcome | null>;

/** What became of the change of a pending record entry (admissions: `admission_audit.ts`). */
async function outcomeOf(
  store: PatientStore,
  entry: AuditEntry,
  now: Date,
): Promise<AuditOutcome | null> {
  const { audit } = store;
  const owner = entry.owner_id;
  const continued = (revision: string) => audit.continuedFrom(owner, revision, entry.id);
  // An admission's change is decided by its own revisions (lib/admission_audit.ts).
  if (admissionOf(entry) !== undefined) return null;
  if (entry.action === "import") {
    return now.getTime() - entry.at.getTime() > IMPORT_GRACE_MS ? { status: "interrupted" } : null;
  }
  if (entry.action === "purge") {
    // Done when the copy is gone and nothing else (a restore) took it.
    const before = entry.revision_before!;
    const gone = !(await store.findRevision(owner, before)) && !(await continued(before));
    return { status: gone ? "done" : "failed" };
  }
  const after = entry.revision_after;
  if (after === null) return { status: "done" }; // a view or an export: nothing to decide
  const found = await store.findRevision(owner, after);
  if (!found) {
    // Changed again since, by a change that started from what this one wrote.
    const next = await continued(after);
    if (!next) return { status: "failed" };
    return next.patient_id === null ? { status: "done" } : {
      status: "done",
      patient_id: next.patient_id,
    };
  }
  const { record } = found;
  if (entry.action === "delete" && found.place === "deleted" && !(await continued(after))) {
    // Copied but not removed: the record is still live, so the delete did not happen.
    const live = await store.get(owner, record.id);
    if (live && live.created_at?.getTime() === record.created_at?.getTime()) {
      await store.purge(owner, after);
      return { status: "failed" };
    }
  }
  if (entry.action === "restore" && found.place === "live" && entry.revision_before !== null) {
    await store.purge(owner, entry.revision_before); // restored but the copy not yet removed
  }
  return {
    status: "done",
    patient_id: record.id,
    ...(entry.action === "create" ? { changes: changedFields(null, record) } : {}),
  };
}

/**
 * Settles one journal entry: finished with the outcome its revisions tell, or only dropped when
 * the log has it already. True when it was moved to the log; false when it was only dropped or
 * it is too early to tell.
 */
async function settle(
  store: PatientStore,
  entry: AuditEntry,
  now: Date,
  decide: OutcomeOf,
): Promise<boolean> {
  const { audit } = store;
  if (await audit.get(entry.id)) {
    await audit.forget(entry.id);
    return false;
  }
  const outcome = await decide(store, entry, now);
  return outcome !== null && await audit.finish({ ...entry, ...outcome });
}

/**
 * Settles the journal entries left by crashes and outages (those the log has already are only
 * dropped from the journal); returns how many it settled. `decide` and `which` let the
 * admissions settle their own entries with their own revisions.
 */
export async function settlePending(
  store: PatientStore,
  now: Date,
  decide: OutcomeOf = outcomeOf,
  which: (entry: AuditEntry) => boolean = () => true,
): Promise<number> {
  let settled = 0;
  const before = new Date(now.getTime() - PENDING_GRACE_MS);
  for (const entry of await store.audit.pending(before, 500)) {
    if (which(entry) && await settle(store, entry, now, decide)) settled++;
  }
  return settled;
}

/**
 * What a change that met another's claim may do now: `"again"` when that claim is gone, or was
 * older than {@link CHANGE_LEASE_MS} and has been settled here (its owner is taken to be gone);
 * `"wait"` while it is held. Errors reaching the database are a 503. `decide` settles the
 * holder's entry (admissions pass their own).
 */
export async function claimHeld(
  store: PatientStore,
  conflict: ChangeInProgressError,
  now = new Date(),
  decide: OutcomeOf = outcomeOf,
): Promise<"again" | "wait"> {
  const { holder } = conflict;
  if (holder === null) return "again";
  if (now.getTime() - holder.at.getTime() <= CHANGE_LEASE_MS) return "wait";
  try {
    await settle(store, holder, now, decide);
  } catch (error) {
    throw new StoreUnavailableError("audit", { cause: error });
  }
  return "again";
}
