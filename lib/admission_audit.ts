/**
 * Admissions under the audit log, the same way as records (`audit_trail.ts`): each change is
 * begun in the journal naming the revision it starts from and the one it writes, made, then
 * finished — and the journal's unique claim on (patient, revision) makes `If-Match` hold even on
 * FerretDB v1, whose conditional updates are not atomic. An entry names its admission in
 * `details.admission_id` (`admissionOf`), its patient in `patient_id`, so a patient's history
 * shows its admissions' changes field by field.
 *
 * Entries left pending by a crash are decided here from the admissions' revisions (the records'
 * housekeeping leaves them alone), and deleted admissions are purged after the retention period.
 */
import {
  admissionOf,
  type AuditChanges,
  type AuditEntry,
  type AuditOutcome,
  ChangeInProgressError,
} from "./audit.ts";
import {
  auditedChange,
  claimHeld,
  entryBy,
  IMPORT_GRACE_MS,
  settlePending,
} from "./audit_trail.ts";
import { DeletedAdmissionNotFoundError } from "./admission_errors.ts";
import type { AdmissionStore, StoredAdmission } from "./admission_store.ts";
import type { PatientStore } from "./patient_store.ts";
import { ADMISSION_INPUT_FIELDS, type AdmissionFields } from "./stroke/admission_fields.ts";

/** A value as an audit entry keeps it: a time as ISO 8601 UTC text. */
function kept(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value as string | number;
}

/**
 * Each admission field whose value differs, `[before, after]`, in the fields' order; every field
 * `after` holds when `before` is null (a create).
 */
export function admissionChanges(
  before: Partial<AdmissionFields> | null,
  after: Partial<AdmissionFields>,
): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of ADMISSION_INPUT_FIELDS) {
    if (!(field in after)) continue;
    const old = before ? kept(before[field]) : null;
    const now = kept(after[field]);
    if (before === null || old !== now) changes[field] = [old, now];
  }
  return changes;
}

/** The fields of a stored admission (for `admissionChanges`). */
export function fieldsOf(admission: StoredAdmission): AdmissionFields {
  return Object.fromEntries(
    ADMISSION_INPUT_FIELDS.map((field) => [field, admission[field]]),
  ) as unknown as AdmissionFields;
}

/** Whether an entry is about an admission (see `admissionOf`). */
export const isAdmissionEntry = (entry: AuditEntry): boolean => admissionOf(entry) !== undefined;

/** What became of the change of a pending admission entry, from the revisions. */
async function outcomeOf(
  store: PatientStore,
  entry: AuditEntry,
  now: Date,
): Promise<AuditOutcome | null> {
  const { audit, admissions } = store;
  const scope = entry.owner_id;
  const continued = (revision: string) => audit.continuedFrom(scope, revision, entry.id);
  if (entry.action === "import") {
    return now.getTime() - entry.at.getTime() > IMPORT_GRACE_MS ? { status: "interrupted" } : null;
  }
  if (entry.action === "purge") {
    const before = entry.revision_before!;
    const gone = !(await admissions.findRevision(scope, before)) && !(await continued(before));
    return { status: gone ? "done" : "failed" };
  }
  const after = entry.revision_after;
  if (after === null) return { status: "done" };
  const found = await admissions.findRevision(scope, after);
  if (!found) return { status: (await continued(after)) ? "done" : "failed" };
  const { admission } = found;
  return {
    status: "done",
    details: { ...entry.details, admission_id: admission.admission_id },
    ...(entry.action === "create" ? { changes: admissionChanges(null, fieldsOf(admission)) } : {}),
  };
}

/** Settles the admission entries left pending by crashes and outages; returns how many. */
export function settlePendingAdmissions(store: PatientStore, now: Date): Promise<number> {
  return settlePending(store, now, outcomeOf, isAdmissionEntry);
}

/**
 * What a change that met another's claim may do (see `claimHeld` in `audit_trail.ts`):
 * `"again"` when the claim is gone or was older than `CHANGE_LEASE_MS` and has been settled
 * here, `"wait"` while it is held.
 */
export function admissionClaimHeld(
  store: PatientStore,
  conflict: ChangeInProgressError,
  now = new Date(),
): Promise<"again" | "wait"> {
  return claimHeld(store, conflict, now, outcomeOf);
}

/** Deleted admissions purged per round. */
const BATCH = 100;

/**
 * Purges the admissions deleted before `now - retentionMs`, each with its audit entry (by the
 * app itself); returns how many.
 */
export async function purgeExpiredAdmissions(
  store: PatientStore,
  now: Date,
  retentionMs: number,
): Promise<number> {
  const admissions: AdmissionStore = store.admissions;
  const before = new Date(now.getTime() - retentionMs);
  let purged = 0;
  for (;;) {
    const batch = await admissions.expiredDeleted(before, BATCH);
    let busy = 0;
    for (const { scope, admission } of batch) {
      const entry = entryBy({ userId: scope }, "purge", admission.patient_id, {
        user_id: null,
        reason: `Deleted more than ${Math.round(retentionMs / 86_400_000)} days ago`,
        details: {
          admission_id: admission.admission_id,
          deleted_at: admission.deleted_at!.toISOString(),
        },
        revision_before: admission.revision,
      });
      try {
        await auditedChange(store.audit, entry, async () => {
          if (!(await admissions.purge(scope, admission.revision))) {
            // Restored meanwhile.
            throw new DeletedAdmissionNotFoundError(admission.patient_id, admission.admission_id);
          }
        });
        purged++;
      } catch (error) {
        // Restored meanwhile, or being restored now (left for the next round).
        if (error instanceof ChangeInProgressError) busy++;
        else if (!(error instanceof DeletedAdmissionNotFoundError)) throw error;
      }
    }
    if (batch.length < BATCH || busy === batch.length) return purged;
  }
}

/** One round of the admissions' housekeeping: pending entries settled, old deletes purged. */
export async function keepAdmissions(
  store: PatientStore,
  now: Date,
  retentionMs: number,
): Promise<{ purged: number; settled: number }> {
  const settled = await settlePendingAdmissions(store, now);
  return { purged: await purgeExpiredAdmissions(store, now, retentionMs), settled };
}
