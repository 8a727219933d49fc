/**
 * The one error handler: one table maps each typed error to its status, and the answer is a
 * full page, an htmx fragment, problem+json (the API) or an OperationOutcome (FHIR), by request
 * type. `Retry-After` is set here.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isFragmentRequest } from "../components/htmx.ts";
import { ErrorMessage, ErrorPage } from "../components/ErrorPage.tsx";
import { here } from "../components/registry_url.ts";
import {
  AdminOnlyError,
  BusyError,
  EmailTakenError,
  type FieldError,
  InvalidInputError,
  InvalidQueryError,
  LockSelfError,
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  RegistryConflictError,
  RegistryForbiddenError,
  StaleRevisionError,
  StoreUnavailableError,
  ThrottledError,
  TokenBoundError,
  UserBusyError,
} from "../lib/errors.ts";
import { CsvTooLargeError } from "../lib/csv_rows.ts";
import { ImportFileError } from "../lib/patient_import.ts";
import { RiskModelError } from "../lib/risk_model.ts";
import type { AppEnv, Log } from "./env.ts";
import { problem, wantsProblemJson } from "./problem.ts";
import { outcomeResponse, wantsOperationOutcome } from "./fhir_response.ts";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Please log in",
  403: "Not allowed",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  412: "Changed in the meantime",
  413: "Too large",
  415: "Unsupported content type",
  422: "Invalid input",
  429: "Too many attempts",
  500: "Something went wrong",
  503: "Temporarily unavailable",
};

// deno-lint-ignore no-explicit-any
type ErrorType = abstract new (...args: any[]) => Error;

/**
 * Each error type's status: `[type, status, status for a browser page]`. A stale write is a
 * precondition failure for an API caller (412, `If-Match`) and a conflict for a form (409).
 */
const STATUS_TABLE: [ErrorType, ContentfulStatusCode, ContentfulStatusCode?][] = [
  [InvalidQueryError, 400],
  [ImportFileError, 400],
  [AdminOnlyError, 403],
  [RegistryForbiddenError, 403],
  [TokenBoundError, 403],
  [NotFoundError, 404],
  [PatientIdTakenError, 409],
  [LockSelfError, 409],
  [NoFreePatientIdError, 409],
  [EmailTakenError, 409],
  [RegistryConflictError, 409],
  [StaleRevisionError, 412, 409],
  [CsvTooLargeError, 413],
  [InvalidInputError, 422],
  [RiskModelError, 422],
  [ThrottledError, 429],
  [UserBusyError, 429],
  [StoreUnavailableError, 503],
  [BusyError, 503],
];

/** The status of an error: from the table, an `HTTPException`'s own, or 500. */
export function toErrorStatus(error: unknown, api: boolean): ContentfulStatusCode {
  if (error instanceof HTTPException) return error.status as ContentfulStatusCode;
  const row = STATUS_TABLE.find(([type]) => error instanceof type);
  if (!row) return 500;
  return api ? row[1] : row[2] ?? row[1];
}

/** The fields an error names, for problem+json's `errors`. */
function fieldErrors(error: unknown): FieldError[] | undefined {
  if (error instanceof InvalidInputError || error instanceof InvalidQueryError) {
    return error.errors;
  }
  if (error instanceof PatientIdTakenError || error instanceof NoFreePatientIdError) {
    return [{ field: "id", message: error.message }];
  }
  return undefined;
}

/** `Retry-After` of a 503 (seconds): the app notices a database's return within this. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/** Seconds to wait before retrying, for `Retry-After`. */
function retryAfter(error: unknown): number | undefined {
  if (error instanceof ThrottledError) return Math.max(1, Math.ceil(error.waitMs / 1000));
  if (error instanceof StoreUnavailableError) return UNAVAILABLE_RETRY_AFTER_S;
  if (error instanceof BusyError || error instanceof UserBusyError) {
    return Math.max(1, Math.ceil(error.waitMs / 1000));
  }
  return undefined;
}

function respond(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  detail: string,
  extra: {
    requestId?: string | undefined;
    errors?: FieldError[] | undefined;
    title?: string | undefined;
    requiredRole?: string | undefined;
  } = {},
): Response | Promise<Response> {
  const title = extra.title ?? TITLES[status] ?? "Error";
  const { requestId, errors, requiredRole } = extra;
  if (wantsOperationOutcome(c)) return outcomeResponse(c, status, detail, { errors, requestId });
  if (wantsProblemJson(c)) {
    return problem(c, {
      title,
      status,
      detail,
      ...(errors ? { errors } : {}),
      ...(requiredRole ? { required_role: requiredRole } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    });
  }
  c.status(status);
  // A patient that is not there, or a control the role may not use: the list (of the registry
  // the request is in) is the place to go on from.
  const next = status === 404 && c.req.path.startsWith("/patients/")
    ? { href: here("/patients"), label: "Go to your patients" }
    : requiredRole && c.get("registry")
    ? { href: here("/patients"), label: "Go to the patients" }
    : undefined;
  const info = { status, title, detail, requestId, next };
  if (isFragmentRequest(c)) {
    c.header("Vary", "HX-Request");
    return c.html(<ErrorMessage {...info} />);
  }
  return c.render(<ErrorPage {...info} />, { title });
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, 404, "There is nothing at this address. Check the link, or start from the home page.");

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** Renders typed errors; logs faults with the request id that the error page shows. */
export function errorHandler(log: Log): ErrorHandler<AppEnv> {
  return (error, c) => {
    const requestId = c.get("requestId");
    if (error instanceof HTTPException && error.res) return error.res;
    const status = toErrorStatus(error, wantsProblemJson(c) || wantsOperationOutcome(c));
    const wait = retryAfter(error);
    if (wait !== undefined) c.header("Retry-After", String(wait));
    if (error instanceof StoreUnavailableError) {
      log(
        `${new Date().toISOString()} ${requestId} ${error.store} store unavailable: ${
          describe(error.cause)
        }`,
      );
      return respond(
        c,
        status,
        `${error.message}. Please try again in a moment; the rest of the app keeps working.`,
        { requestId },
      );
    }
    if (status === 500) {
      log(`${new Date().toISOString()} ${requestId} error: ${describe(error)}`);
      return respond(
        c,
        500,
        "The server could not complete this request. The error has been logged.",
        { requestId },
      );
    }
    const detail = (error as Error).message || TITLES[status] || "Error";
    return respond(c, status, detail, {
      errors: fieldErrors(error),
      title: error instanceof UserBusyError ? "Still working on your last request" : undefined,
      requiredRole: error instanceof RegistryForbiddenError ? error.needed : undefined,
    });
  };
}
