/**
 * OperationOutcome, the body of every FHIR error: the HTTP status picks the issue's code and
 * severity (FHIR's "HTTP status codes" mapping), the message says in words what went wrong.
 */
import type { OperationOutcome, OperationOutcomeIssue } from "@medplum/fhirtypes";

/** The statuses the FHIR routes answer with an OperationOutcome. */
export const OUTCOME_STATUSES = [
  400,
  401,
  403,
  404,
  405,
  406,
  409,
  410,
  412,
  413,
  415,
  422,
  429,
  500,
  503,
] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

type IssueCode = OperationOutcomeIssue["code"];
type Severity = OperationOutcomeIssue["severity"];

/** Each status's issue: what kind of problem, and whether anything could be done at all. */
export const ISSUE_OF_STATUS: Readonly<
  Record<OutcomeStatus, { code: IssueCode; severity: Severity }>
> = {
  400: { code: "invalid", severity: "error" },
  401: { code: "login", severity: "error" },
  403: { code: "forbidden", severity: "error" },
  404: { code: "not-found", severity: "error" },
  405: { code: "not-supported", severity: "error" },
  406: { code: "not-supported", severity: "error" },
  409: { code: "conflict", severity: "error" },
  410: { code: "deleted", severity: "error" },
  412: { code: "conflict", severity: "error" },
  413: { code: "too-costly", severity: "error" },
  415: { code: "not-supported", severity: "error" },
  422: { code: "processing", severity: "error" },
  429: { code: "throttled", severity: "error" },
  500: { code: "exception", severity: "fatal" },
  503: { code: "transient", severity: "fatal" },
};

export interface OutcomeDetails {
  /** FHIRPath expressions of what the problem is about (`Patient.id`, a parameter name). */
  expression?: string[];
  /** For the server's log: a request id, never a stack trace or a query. */
  diagnostics?: string;
}

/** The OperationOutcome of an error answered with `status`; `message` is for the user to read. */
export function operationOutcome(
  status: number,
  message: string,
  details: OutcomeDetails = {},
): OperationOutcome {
  const { code, severity } = issueOf(status);
  return {
    resourceType: "OperationOutcome",
    issue: [{
      severity,
      code,
      details: { text: message },
      ...(details.diagnostics !== undefined ? { diagnostics: details.diagnostics } : {}),
      ...(details.expression?.length ? { expression: details.expression } : {}),
    }],
  };
}

/** The issue of any error status: the table's, or by its class (4xx invalid, 5xx exception). */
export function issueOf(status: number): { code: IssueCode; severity: Severity } {
  return ISSUE_OF_STATUS[status as OutcomeStatus] ??
    (status >= 500
      ? { code: "exception", severity: "fatal" }
      : { code: "processing", severity: "error" });
}

/** An OperationOutcome that reports success in words (a cancelled export's answer). */
export function informationOutcome(message: string): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: [{ severity: "information", code: "informational", details: { text: message } }],
  };
}
