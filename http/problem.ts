/** RFC 9457 problem details: the one shape of every JSON error. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FieldError } from "../lib/errors.ts";

export interface Problem {
  type?: string;
  title: string;
  status: ContentfulStatusCode;
  detail: string;
  errors?: FieldError[];
  /** A registry member's 403: the least role that may do what was asked. */
  required_role?: string;
  request_id?: string;
}

/** Most field errors listed in one answer: a body of 20,000 unknown keys gets a short reply. */
export const MAX_LISTED_ERRORS = 50;

export function problem(c: Context, body: Problem): Response {
  const all = body.errors;
  if (all && all.length > MAX_LISTED_ERRORS) {
    body = {
      ...body,
      detail: `${body.detail} The first ${MAX_LISTED_ERRORS} are listed.`,
      errors: all.slice(0, MAX_LISTED_ERRORS),
    };
  }
  return c.body(JSON.stringify({ type: "about:blank", ...body }), body.status, {
    "Content-Type": "application/problem+json",
  });
}

/** True for requests that want JSON errors: the API. */
export function wantsProblemJson(c: Context): boolean {
  return c.req.path === "/api" || c.req.path.startsWith("/api/");
}
