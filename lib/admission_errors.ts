/**
 * The typed errors of admissions. Each extends the record error the one error handler already
 * maps (404, 412, 422), so that admissions answer as records do with no new table row.
 */
import { formatCount } from "./count_format.ts";
import { InvalidInputError, NotFoundError, StaleRevisionError } from "./errors.ts";
import type { FieldError } from "./errors.ts";

/** The patient has no (live) admission with this number. */
export class AdmissionNotFoundError extends NotFoundError {
  constructor(readonly patientId: number, readonly admissionId: number | string) {
    super(`Patient ${patientId} has no admission ${admissionId}.`);
    this.name = "AdmissionNotFoundError";
  }
}

/** The patient has no recently deleted admission with this number. */
export class DeletedAdmissionNotFoundError extends NotFoundError {
  constructor(readonly patientId: number, readonly admissionId: number | string) {
    super(`Admission ${admissionId} of patient ${patientId} is not among its deleted admissions.`);
    this.name = "DeletedAdmissionNotFoundError";
  }
}

/** The admission changed since the caller read it; nothing was written (412 / 409). */
export class AdmissionStaleError extends StaleRevisionError {
  constructor(readonly patientId: number, readonly admissionId: number) {
    super(patientId);
    this.message = `Admission ${admissionId} of patient ${patientId} has changed since you read ` +
      "it; nothing was written. Read it again and retry.";
    this.name = "AdmissionStaleError";
  }
}

/** An admission that breaks the rules; nothing was stored (422, each field named). */
export class AdmissionInvalidError extends InvalidInputError {
  constructor(errors: FieldError[]) {
    super(errors);
    this.name = "AdmissionInvalidError";
  }
}

/** An admission number given (by an import) that the patient already has. */
export class AdmissionIdTakenError extends Error {
  constructor(readonly patientId: number, readonly admissionId: number) {
    super(`Patient ${patientId} already has an admission ${admissionId}`);
    this.name = "AdmissionIdTakenError";
  }
}

/** Why a patient can take no more admissions, in words (the API's message and an import's). */
export function admissionLimitMessage(patientId: number, limit: number): string {
  return `Patient ${patientId} has ${formatCount(limit)} admissions, the most one patient may ` +
    "have (deleted admissions count until they are purged)";
}

/**
 * The patient has the most admissions one may have (`MAX_ADMISSIONS_PER_PATIENT`): a 422 naming
 * `admission_id`, like any other admission that cannot be stored as sent.
 */
export class AdmissionLimitError extends AdmissionInvalidError {
  constructor(readonly patientId: number, readonly limit: number) {
    super([{ field: "admission_id", message: admissionLimitMessage(patientId, limit) }]);
    this.name = "AdmissionLimitError";
  }
}
