/**
 * How the FHIR routes answer: `application/fhir+json` bodies, and an OperationOutcome for every
 * error under `/fhir` (the app's one error handler, the login check and the 404 call these).
 */
import type { Context } from "hono";
import type { Resource } from "@medplum/fhirtypes";
import type { FieldError } from "../lib/errors.ts";
import { issueOf, operationOutcome } from "../lib/fhir/outcome.ts";
import type { AppEnv } from "./env.ts";

/** The media type of every FHIR answer. */
export const FHIR_JSON = "application/fhir+json; charset=utf-8";

/** True for requests to the FHIR API, whose errors are OperationOutcomes. */
export function wantsOperationOutcome(c: Context): boolean {
  return c.req.path === "/fhir" || c.req.path.startsWith("/fhir/");
}

/** A FHIR resource as the answer. */
export function fhirJson(c: Context, resource: Resource, status = 200): Response {
  // deno-lint-ignore no-explicit-any
  return c.body(JSON.stringify(resource), status as any, { "Content-Type": FHIR_JSON });
}

/** Most issues listed in one OperationOutcome (each bad parameter is one). */
const MAX_ISSUES = 50;

/**
 * An error as an OperationOutcome: `message` for the reader, one issue per named parameter when
 * there are some, the request id for the log (never a stack trace).
 */
export function outcomeResponse(
  c: Context<AppEnv>,
  status: number,
  message: string,
  extra: { errors?: FieldError[] | undefined; requestId?: string | undefined } = {},
): Response {
  const diagnostics = extra.requestId ? { diagnostics: `Request id ${extra.requestId}` } : {};
  const outcome = operationOutcome(status, message, diagnostics);
  const errors = extra.errors ?? [];
  if (errors.length > 0) {
    const { code, severity } = issueOf(status);
    outcome.issue = errors.slice(0, MAX_ISSUES).map((error) => ({
      severity,
      code,
      details: { text: error.message },
      // A parameter's name, when it reads as a FHIRPath identifier (an unknown one may not).
      ...(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(error.field) ? { expression: [error.field] } : {}),
    }));
  }
  return fhirJson(c, outcome, status);
}
