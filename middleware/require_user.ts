/** Private pages: a logged-out visitor goes to `/login?next=…` and comes back after logging in. */
import type { Context, MiddlewareHandler } from "hono";
import { isFragmentRequest } from "../components/htmx.ts";
import { parseUrl, safeNext } from "../lib/safe_url.ts";
import type { AppEnv } from "../http/env.ts";
import { problem, wantsProblemJson } from "../http/problem.ts";
import { outcomeResponse, wantsOperationOutcome } from "../http/fhir_response.ts";

/** Where a logged-in user starts. */
export const HOME_AFTER_LOGIN = "/patients";

/** Answers 401 (API, FHIR) or sends the browser to the login page, then back to where it was going. */
export function askToLogIn(c: Context<AppEnv>): Response {
  if (wantsOperationOutcome(c)) {
    c.header("WWW-Authenticate", 'Bearer realm="fhir"');
    return outcomeResponse(
      c,
      401,
      "Send an API token as `Authorization: Bearer <token>`, or log in.",
    );
  }
  if (wantsProblemJson(c)) {
    c.header("WWW-Authenticate", 'Bearer realm="api"');
    return problem(c, {
      title: "Authentication required",
      status: 401,
      detail: "Send an API token as `Authorization: Bearer <token>`, or log in.",
    });
  }
  const url = new URL(c.req.url);
  // htmx asks for a fragment: come back to the page it was on, not to the fragment's URL.
  const here = isFragmentRequest(c)
    ? safeNext(parseUrl(c.req.header("HX-Current-URL") ?? "", c.req.url)?.pathname ?? url.pathname)
    : safeNext(url.pathname + url.search);
  const target = `/login?next=${encodeURIComponent(here ?? HOME_AFTER_LOGIN)}`;
  if (isFragmentRequest(c)) {
    c.header("HX-Redirect", target);
    return c.body(null, 401);
  }
  return c.redirect(target, 303);
}

/** Lets logged-in users through; everyone else is asked to log in. */
export function requireUser(): MiddlewareHandler<AppEnv> {
  return async function requireUser(c, next) {
    if (!c.get("user")) return askToLogIn(c);
    await next();
  };
}
