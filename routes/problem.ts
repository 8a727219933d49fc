/** RFC 9457 problem details: the one shape of every JSON error. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { FieldError } from "../lib/patient_validation.ts";

export interface Problem {
  type?: string;
  title: string;
  status: ContentfulStatusCode;
  detail: string;
  errors?: FieldError[];
  request_id?: string;
}

export function problem(c: Context, body: Problem): Response {
  return c.body(JSON.stringify({ type: "about:blank", ...body }), body.status, {
    "Content-Type": "application/problem+json",
  });
}

/** True for requests that want JSON errors: the API. */
export function wantsProblemJson(c: Context): boolean {
  return c.req.path === "/api" || c.req.path.startsWith("/api/");
}
