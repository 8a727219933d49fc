/**
 * The patient database's housekeeping: deleted records older than the retention period are
 * purged (each with its audit entry), and audit entries left pending by a crash are settled.
 * The clock is a parameter, so that tests can run it "31 days later".
 */
import { ChangeInProgressError } from "./audit.ts";
import { auditedChange, entryBy, settlePending } from "./audit_trail.ts";
import { DeletedPatientNotFoundError } from "./errors.ts";
import type { PatientStore } from "./patient_store.ts";

/** Deleted records purged per round. */
const BATCH = 100;

/**
 * Purges the deleted records deleted before `now - retentionMs`; returns how many. Each purge
 * is audited as done by the app itself (`user_id` null).
 */
export async function purgeExpired(
  store: PatientStore,
  now: Date,
  retentionMs: number,
): Promise<number> {
  const before = new Date(now.getTime() - retentionMs);
  let purged = 0;
  for (;;) {
    const batch = await store.expiredDeleted(before, BATCH);
    let busy = 0;
    for (const { userId, record } of batch) {
      // Done by the app itself: no user.
      const entry = entryBy({ userId }, "purge", record.id, {
        user_id: null,
        reason: `Deleted more than ${Math.round(retentionMs / 86_400_000)} days ago`,
        details: { deleted_at: record.deleted_at.toISOString() },
        revision_before: record.revision,
      });
      try {
        await auditedChange(store.audit, entry, async () => {
          if (!(await store.purge(userId, record.revision))) {
            throw new DeletedPatientNotFoundError(record.id); // restored meanwhile
          }
        });
        purged++;
      } catch (error) {
        // Restored meanwhile, or being restored now (left for the next round).
        if (error instanceof ChangeInProgressError) busy++;
        else if (!(error instanceof DeletedPatientNotFoundError)) throw error;
      }
    }
    if (batch.length < BATCH || busy === batch.length) return purged;
  }
}

/** One round of the patient database's housekeeping. */
export async function keepRecords(
  store: PatientStore,
  now: Date,
  retentionMs: number,
): Promise<{ purged: number; settled: number }> {
  const settled = await settlePending(store, now);
  return { purged: await purgeExpired(store, now, retentionMs), settled };
}
