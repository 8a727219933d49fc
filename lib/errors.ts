import { formatCount } from "./count_format.ts";
/**
 * Typed errors of the domain and the stores: every backend and use-case throws these (never a
 * driver's own), and the one error handler maps each type to its HTTP status. Messages are the
 * words a user reads.
 */

/** One problem with one field (or query parameter) of the input. */
export interface FieldError {
  field: string;
  message: string;
}

/** A database cannot be reached or did not answer in time; the request should get a 503. */
export class StoreUnavailableError extends Error {
  constructor(readonly store: "users" | "patients" | "audit", options?: ErrorOptions) {
    super(
      store === "users"
        ? "The account database is not reachable right now"
        : store === "audit"
        ? "The audit log cannot be written right now, so nothing was done"
        : "The patient database is not reachable right now",
      options,
    );
    this.name = "StoreUnavailableError";
  }
}

/** Another patient of the same user already has this id. */
export class PatientIdTakenError extends Error {
  constructor(readonly id: number) {
    super(`You already have a patient with ID ${id}`);
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

/** Something asked for does not exist (or belongs to another user, which is the same to the caller). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** No patient with this id among the user's records. */
export class PatientNotFoundError extends NotFoundError {
  constructor(readonly id: number | string) {
    super(`You have no patient with ID ${id}.`);
    this.name = "PatientNotFoundError";
  }
}

/** No deleted copy of this id among the user's recently deleted records. */
export class DeletedPatientNotFoundError extends NotFoundError {
  constructor(readonly id: number | string) {
    super(`Patient ${id} is not among your recently deleted records.`);
    this.name = "DeletedPatientNotFoundError";
  }
}

/** The record changed since the caller read it; nothing was written. */
export class StaleRevisionError extends Error {
  constructor(readonly id: number) {
    super(
      `Patient ${id} has changed since you read it; nothing was written. Read it again and retry.`,
    );
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

/** Input that breaks the rules; nothing was stored. `errors` names each bad field. */
export class InvalidInputError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(
      `${formatCount(errors.length)} field${
        errors.length === 1 ? " has a problem" : "s have problems"
      }; nothing was stored.`,
    );
    this.name = "InvalidInputError";
  }
}

/** A patient record that breaks the field rules. */
export class PatientInvalidError extends InvalidInputError {
  constructor(errors: FieldError[]) {
    super(errors);
    this.name = "PatientInvalidError";
  }
}

/** A list query (filters, sort, page) that cannot be run; `errors` names each bad parameter. */
export class InvalidQueryError extends Error {
  constructor(readonly errors: FieldError[]) {
    super("The query has problems; see `errors`.");
    this.name = "InvalidQueryError";
  }
}

/** Too many attempts: the caller may try again after `waitMs`. */
export class ThrottledError extends Error {
  constructor(readonly waitMs: number, message: string) {
    super(message);
    this.name = "ThrottledError";
  }
}

/** The server is too busy to do this now (e.g. password checks queued too long); retry later. */
export class BusyError extends Error {
  constructor(
    readonly waitMs: number,
    message = "The server is busy checking other passwords. Please try again in a few seconds.",
  ) {
    super(message);
    this.name = "BusyError";
  }
}

/**
 * The user's heavy request (an export, the dashboard…) still runs after `waitMs`: one runs at a
 * time per user, so this one (`asked`) was refused; try again once `running` has finished.
 */
export class UserBusyError extends Error {
  constructor(readonly waitMs: number, readonly running: string, readonly asked: string) {
    super(
      `Your ${running} is still running, and one such task runs at a time for each user so that ` +
        `the app stays fast for everyone. Your ${asked} was not started: try again when the ` +
        `${running} has finished.`,
    );
    this.name = "UserBusyError";
  }
}

/**
 * Another change of the same record was still being saved after the write had waited for it;
 * nothing was written.
 */
export class RecordBusyError extends BusyError {
  constructor(readonly id: number, waitMs: number) {
    super(waitMs);
    this.message =
      `Another change to patient ${id} is still being saved, so nothing was written. Please try again in a moment.`;
    this.name = "RecordBusyError";
  }
}

/** Only administrators may do this. */
export class AdminOnlyError extends Error {
  constructor() {
    super("Only administrators can use this page.");
    this.name = "AdminOnlyError";
  }
}

/** An admin may not lock their own account (they would lock themselves out). */
export class LockSelfError extends Error {
  constructor() {
    super("You cannot lock your own account.");
    this.name = "LockSelfError";
  }
}

/** The roles of a registry's members, from most to fewest rights. */
export type RegistryRole = "owner" | "editor" | "viewer";

/**
 * A member of a registry asked for something their role does not allow (403). `needed` is the
 * least role that may; `role` is theirs now.
 */
export class RegistryForbiddenError extends Error {
  constructor(
    readonly role: RegistryRole,
    readonly needed: RegistryRole,
    readonly what: string,
    readonly registryName: string,
  ) {
    super(
      `Your role in "${registryName}" is ${role}; ${what} needs the ${needed} role${
        needed === "owner" ? "" : " or owner"
      }. Ask an owner of the registry if you need it.`,
    );
    this.name = "RegistryForbiddenError";
  }
}

/** A token made for one registry was used for something outside it (403). */
export class TokenBoundError extends Error {
  constructor(what: string) {
    super(
      `This API token acts in one registry only, so it cannot ${what}. Use a token without a registry, or the browser.`,
    );
    this.name = "TokenBoundError";
  }
}

/** No registry with this id among the caller's (a non-member's answer too). */
export class RegistryNotFoundError extends NotFoundError {
  constructor(readonly registry: string) {
    super(`You have no registry ${JSON.stringify(registry)}.`);
    this.name = "RegistryNotFoundError";
  }
}

/** No member or invitation with this email in the registry. */
export class MemberNotFoundError extends NotFoundError {
  constructor(readonly email: string) {
    super(`The registry has no member or invitation for ${email}.`);
    this.name = "MemberNotFoundError";
  }
}

/** A change of a registry that its present state does not allow (409); nothing was changed. */
export class RegistryConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryConflictError";
  }
}

/** The change would leave the registry without an active owner. */
export class LastOwnerError extends RegistryConflictError {
  constructor(readonly email: string) {
    super(
      `${email} is the last owner of this registry, so they cannot leave or become editor or viewer. Make another member owner first.`,
    );
    this.name = "LastOwnerError";
  }
}

/** The email is a member of the registry already (or invited). */
export class AlreadyMemberError extends RegistryConflictError {
  constructor(readonly email: string) {
    super(
      `${email} is already a member of this registry (or invited). Change their role instead.`,
    );
    this.name = "AlreadyMemberError";
  }
}
