/**
 * What both admission stores share of their conditional writes: what a change, a delete and a
 * restore set (each at a revision, on an admission in the state it needs), and, when such a write
 * matched nothing, whether the admission is missing or was changed meanwhile. Each store makes
 * the write itself (an `UPDATE … RETURNING`, a `findOneAndUpdate`) and says how it keeps a value.
 */
import { AdmissionNotFoundError, AdmissionStaleError } from "../../lib/admission_errors.ts";
import type { AdmissionStore, StoredAdmission } from "../../lib/admission_store.ts";
import type { AdmissionFields } from "../../lib/stroke/admission_fields.ts";

/**
 * Sets `set` on the admission at `revision` that is live (`live`) or deleted; the admission as it
 * is then, or the error `missOrStale` throws.
 */
export type ConditionalWrite = (
  scope: number,
  patientId: number,
  admissionId: number,
  revision: string,
  live: boolean,
  set: Record<string, unknown>,
) => Promise<StoredAdmission>;

/** How a store keeps values: the time now, and a field's value. */
export interface StoredValues {
  now(): unknown;
  field(field: keyof AdmissionFields, value: unknown): unknown;
}

/**
 * After a write matched nothing: `found` is the admission as stored now (or nothing). One in the
 * state the write needed was changed since `revision` (stale); otherwise it is not there.
 */
export function missOrStale(
  found: { deleted_at: unknown } | null | undefined,
  patientId: number,
  admissionId: number,
  live: boolean,
): never {
  if (found && (found.deleted_at === null) === live) {
    throw new AdmissionStaleError(patientId, admissionId);
  }
  throw new AdmissionNotFoundError(patientId, admissionId);
}

/** The store's `update`, `delete` and `restore`, each one conditional write. */
export function admissionWrites(
  write: ConditionalWrite,
  values: StoredValues,
): Pick<AdmissionStore, "update" | "delete" | "restore"> {
  return {
    update(scope, patientId, admissionId, changes, revision, next) {
      const set: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(changes) as [keyof AdmissionFields, unknown][]) {
        set[field] = values.field(field, value);
      }
      return write(scope, patientId, admissionId, revision, true, {
        ...set,
        updated_at: values.now(),
        revision: next,
      });
    },

    async delete(scope, patientId, admissionId, revision, { next, by }) {
      await write(scope, patientId, admissionId, revision, true, {
        deleted_at: values.now(),
        deleted_by: by,
        revision: next,
      });
    },

    restore(scope, patientId, admissionId, revision, next) {
      return write(scope, patientId, admissionId, revision, false, {
        deleted_at: null,
        deleted_by: null,
        updated_at: values.now(),
        revision: next,
      });
    },
  };
}
