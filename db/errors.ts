/** Typed store errors: every backend throws these, so routes never see a driver's own errors. */

/** A database cannot be reached or did not answer in time; the request should get a 503. */
export class StoreUnavailableError extends Error {
  constructor(readonly store: "users" | "patients", options?: ErrorOptions) {
    super(
      store === "users"
        ? "The account database is not reachable right now"
        : "The patient database is not reachable right now",
      options,
    );
    this.name = "StoreUnavailableError";
  }
}

/** Another patient of the same user already has this id. */
export class PatientIdTakenError extends Error {
  constructor(readonly id: number) {
    super(`Patient ID ${id} is already taken`);
    this.name = "PatientIdTakenError";
  }
}

/** Every patient id from 1 to 2^31 − 1 is in use by this user, so none can be assigned. */
export class NoFreePatientIdError extends Error {
  constructor() {
    super("Every patient ID is in use, so none can be assigned");
    this.name = "NoFreePatientIdError";
  }
}

/** The record does not exist (or belongs to another user, which is the same to the caller). */
export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} was not found`);
    this.name = "NotFoundError";
  }
}

/** The record changed since the caller read it; nothing was written. */
export class StaleRevisionError extends Error {
  constructor(readonly id: number) {
    super(`Patient ${id} was changed by someone else in the meantime`);
    this.name = "StaleRevisionError";
  }
}

/** An account with this email already exists. */
export class EmailTakenError extends Error {
  constructor() {
    super("An account with this email already exists");
    this.name = "EmailTakenError";
  }
}
