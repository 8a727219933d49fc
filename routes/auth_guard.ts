/** Private pages: a logged-out visitor goes to `/login?next=…` and comes back after logging in. */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import type { AppEnv } from "./env.ts";
import { problem, wantsProblemJson } from "./problem.ts";

/** Where a logged-in user starts. */
export const HOME_AFTER_LOGIN = "/patients";

/**
 * `next` when it is a path on this site, else null: `//evil.example`, `https://…`,
 * `/\evil.example` and anything with control characters are refused.
 */
export function safeNext(next: string | undefined | null): string | null {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return null;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next) || next.length > 2000) return null;
  const base = "http://same.invalid";
  const url = new URL(next, base);
  return url.origin === base ? url.pathname + url.search + url.hash : null;
}

/** Answers 401 (API) or sends the browser to the login page, then back to where it was going. */
export function askToLogIn(c: Context<AppEnv>): Response {
  if (wantsProblemJson(c)) {
    c.header("WWW-Authenticate", 'Bearer realm="api"');
    return problem(c, {
      title: "Authentication required",
      status: 401,
      detail: "Send an API token as `Authorization: Bearer <token>`, or log in.",
    });
  }
  const here = c.req.header("HX-Request") === "true"
    ? safeNext(new URL(c.req.header("HX-Current-URL") ?? "/", c.req.url).pathname)
    : safeNext(new URL(c.req.url).pathname + new URL(c.req.url).search);
  const target = `/login?next=${encodeURIComponent(here ?? HOME_AFTER_LOGIN)}`;
  if (c.req.header("HX-Request") === "true") {
    c.header("HX-Redirect", target);
    return c.body(null, 401);
  }
  return c.redirect(target, 303);
}

export const requireUser: MiddlewareHandler<AppEnv> = async function requireUser(c, next) {
  if (!c.get("user")) return askToLogIn(c);
  c.header("Cache-Control", "no-store");
  await next();
};

/** The client's address: the connection's, or the last `X-Forwarded-For` hop behind a trusted proxy. */
export function clientAddress(c: Context<AppEnv>): string {
  if (c.get("deps").config.security.trustProxy) {
    const hops = c.req.header("X-Forwarded-For")?.split(",").map((s) => s.trim()).filter(Boolean);
    const last = hops?.[hops.length - 1];
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // no connection (an in-process request)
  }
}
