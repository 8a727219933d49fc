/**
 * The seeder's admissions: the synthetic admissions (`lib/stroke/synthetic_admissions.ts`) of
 * patients just stored, written with the admission store's bulk insert, each tied to the record
 * it was made for (its `created_at`, read back: see "the patient's life" in
 * `lib/admission_service.ts`). Numbered by the store (one above the patient's highest), so an id
 * that once had admissions never clashes. Like the records, no audit entry per admission.
 */
import { newAdmissionRevision } from "../lib/admission_store.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import type { StrokeType } from "../lib/stroke/admission_fields.ts";
import { syntheticAdmissions, type SyntheticOptions } from "../lib/stroke/synthetic_admissions.ts";

/** Patient records read back at once. */
const READ_BACK = 1000;

/** Admissions written, by stroke type. */
export type SeededAdmissions = Partial<Record<StrokeType, number>>;

/**
 * Writes the synthetic admissions of `patients` (stored just now for `userId`; one no longer
 * there gets none) and adds what was written to `counts`.
 */
export async function seedAdmissions(
  store: PatientStore,
  userId: number,
  patients: readonly PatientFields[],
  options: SyntheticOptions,
  counts: SeededAdmissions,
): Promise<void> {
  const admissions = [...syntheticAdmissions(patients, options)];
  if (admissions.length === 0) return;
  const ids = [...new Set(admissions.map((a) => a.patient_id))];
  const created = new Map<number, Date | null>();
  for (let i = 0; i < ids.length; i += READ_BACK) {
    for (const record of await store.getMany(userId, ids.slice(i, i + READ_BACK))) {
      created.set(record.id, record.created_at);
    }
  }
  const rows = admissions.filter((a) => created.has(a.patient_id)).map((a) => {
    const { admission_id: _number, ...fields } = a.admission;
    return {
      patient_id: a.patient_id,
      patient_created_at: created.get(a.patient_id)!,
      fields,
      revision: newAdmissionRevision(),
    };
  });
  const { stored } = await store.admissions.insertMany(userId, rows);
  for (const admission of stored) {
    counts[admission.stroke_type] = (counts[admission.stroke_type] ?? 0) + 1;
  }
}
