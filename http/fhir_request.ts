/**
 * How the FHIR routes read a request: the FHIR base and the request's URL as clients see them
 * (`PUBLIC_URL`'s origin when set), and the query's parameters, read strictly.
 */
import type { Context } from "hono";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { onlyKnown } from "../lib/query_params.ts";
import type { AppEnv } from "./env.ts";

/** The parameters every FHIR request may carry (`registry` is read by `registryScope`). */
const COMMON = ["_format"];
/** What `_format` may say: JSON only (R4's shorthand, or a media type). */
const JSON_FORMATS = new Set(["json", "application/json", "application/fhir+json"]);

/** Where people reach the app: `PUBLIC_URL`, or the request's own origin. */
export function originOf(c: Context<AppEnv>): string {
  return c.get("deps").config.publicUrl ?? new URL(c.req.url).origin;
}

/** The FHIR base, absolute, without a trailing slash. */
export function fhirBase(c: Context<AppEnv>): string {
  return `${originOf(c)}/fhir`;
}

/** The request's URL as a client of this base sees it (`PUBLIC_URL`'s origin when set). */
export function requestUrl(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  return `${originOf(c)}${url.pathname}${url.search}`;
}

/**
 * The query's parameters, refusing unknown and repeated ones and a `_format` other than JSON
 * (400, naming each).
 */
export function fhirParams(
  c: Context<AppEnv>,
  allowed: readonly string[],
  errors: FieldError[] = [],
): URLSearchParams {
  const params = new URL(c.req.url).searchParams;
  onlyKnown(params, [...COMMON, ...allowed], errors);
  const format = params.get("_format");
  if (format !== null && !JSON_FORMATS.has(format.split(";")[0]!.trim().toLowerCase())) {
    errors.push({
      field: "_format",
      message: "_format must be json (application/fhir+json): this server writes JSON only",
    });
  }
  if (errors.length > 0) throw new InvalidQueryError(errors);
  return params;
}
