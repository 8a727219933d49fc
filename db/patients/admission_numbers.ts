/**
 * What both admission stores share: the number a new admission gets — one above the patient's
 * highest (deleted admissions count, so that a number is never given twice while it can be
 * restored) — the retry when another create took it first, and the bound on how many admissions
 * one patient may have (`MAX_ADMISSIONS_PER_PATIENT`, deleted ones included until purged).
 *
 * The bound is read, then written: two creates for the same patient racing on two app instances
 * (or on MongoDB, where nothing makes the read and the insert one step) can each see room for one
 * more, so a patient can end a few admissions over it, never more than the creates that raced.
 */
import { AdmissionIdTakenError, AdmissionLimitError } from "../../lib/admission_errors.ts";
import {
  MAX_ADMISSION_ID,
  MAX_ADMISSIONS_PER_PATIENT,
  type NewAdmission,
} from "../../lib/admission_store.ts";

/** How often a create takes the next number again after a concurrent create took it. */
const ATTEMPTS = 100;

/**
 * The number after the highest of `taken` (a patient's numbers), or the lowest free one when the
 * highest is the largest there can be.
 */
export function nextAdmissionId(taken: readonly number[]): number {
  let max = 0;
  for (const id of taken) if (id > max) max = id;
  if (max < MAX_ADMISSION_ID) return max + 1;
  const sorted = [...taken].sort((a, b) => a - b);
  let expected = 1;
  for (const id of sorted) {
    if (id > expected) return expected;
    expected = id + 1;
  }
  return expected; // a patient cannot have 2^31 - 1 admissions
}

/** Whether a patient holding these numbers may have one admission more. */
export function hasRoom(taken: readonly number[]): boolean {
  return taken.length < MAX_ADMISSIONS_PER_PATIENT;
}

/**
 * Inserts under the given number, or under the next free one, taking the next again when a
 * concurrent create took it (the unique index said so through `isDuplicate`). Throws
 * `AdmissionIdTakenError` when a given number is taken, `AdmissionLimitError` when the patient
 * has no room for another admission.
 */
export async function insertNumbered<T>(
  admission: NewAdmission,
  taken: () => Promise<number[]>,
  insert: (id: number) => Promise<T>,
  isDuplicate: (error: unknown) => boolean,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const numbers = await taken();
    if (!hasRoom(numbers)) {
      throw new AdmissionLimitError(admission.patient_id, MAX_ADMISSIONS_PER_PATIENT);
    }
    const id = admission.admission_id ?? nextAdmissionId(numbers);
    try {
      return await insert(id);
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      if (admission.admission_id !== undefined || attempt >= ATTEMPTS) {
        throw new AdmissionIdTakenError(admission.patient_id, id);
      }
    }
  }
}

/** The open ends of a period as numbers a range query can take (ms since the epoch). */
export const EARLIEST_MS = -8.64e15;
export const LATEST_MS = 8.64e15;
