/**
 * How the use-cases write the audit log so that an acknowledged change always has its entry,
 * on MongoDB (no transactions) as on the embedded store:
 *
 * 1. the entry is appended as `pending`, naming the revision the record has (`revision_before`)
 *    and the fresh one the change will write (`revision_after`); if that fails, nothing is done;
 * 2. the change is made, conditional on `revision_before`, writing `revision_after`;
 * 3. the entry is settled `done` (or `failed` when the store refused the change) — and only then
 *    is the change reported as made.
 *
 * A crash or an outage between the steps leaves a pending entry; `settlePending` later decides
 * it from the revisions, which are random and written by exactly one change each.
 */
import {
  type AuditAction,
  type AuditEntry,
  type AuditLog,
  type AuditOutcome,
  changedFields,
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
  /** The client's address. */
  client?: string;
  /** The request id, as the log has it. */
  requestId?: string;
  /** Why the change is made, when the user said. */
  reason?: string;
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
    owner_id: actor.userId,
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
 * Makes one change under a pending entry (see the module's comment). `outcome` adds what the
 * change taught (a new record's id). Throws what the change threw, or a 503 when the entry can
 * be neither written nor settled.
 */
export async function auditedChange<T>(
  audit: AuditLog,
  entry: AuditEntry,
  change: () => Promise<T>,
  outcome: (result: T) => Omit<AuditOutcome, "status"> = () => ({}),
): Promise<T> {
  await appendEntries(audit, [{ ...entry, status: "pending" }]);
  let result: T;
  try {
    result = await change();
  } catch (error) {
    // Anything else (an outage mid-write) leaves the entry pending: the change may have happened.
    if (refused(error)) await audit.settle(entry.id, { status: "failed" }).catch(() => {});
    throw error;
  }
  try {
    await audit.settle(entry.id, { status: "done", ...outcome(result) });
  } catch (error) {
    throw new StoreUnavailableError("audit", { cause: error });
  }
  return result;
}

/** How long a pending entry is left to its request before the housekeeping decides it. */
export const PENDING_GRACE_MS = 2 * 60_000;
/** An import may run for long: its pending entry is called interrupted only after this. */
export const IMPORT_GRACE_MS = 60 * 60_000;

/** What became of the change of a pending entry, from the revisions; null: too early to say. */
async function outcomeOf(
  store: PatientStore,
  entry: AuditEntry,
  now: Date,
): Promise<AuditOutcome | null> {
  const { audit } = store;
  const owner = entry.owner_id;
  const continued = (revision: string) => audit.continuedFrom(owner, revision, entry.id);
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
    if (live && live.created_at.getTime() === record.created_at.getTime()) {
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

/** Settles the pending entries left by crashes and outages; returns how many it settled. */
export async function settlePending(store: PatientStore, now: Date): Promise<number> {
  let settled = 0;
  const before = new Date(now.getTime() - PENDING_GRACE_MS);
  for (const entry of await store.audit.pending(before, 500)) {
    const outcome = await outcomeOf(store, entry, now);
    if (outcome && await store.audit.settle(entry.id, outcome)) settled++;
  }
  return settled;
}
