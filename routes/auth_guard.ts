/** Private pages: a logged-out visitor goes to `/login?next=…` and comes back after logging in. */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import type { CredentialDeps } from "./credentials.ts";
import type { AppEnv } from "./env.ts";
import { problem, wantsProblemJson } from "./problem.ts";

/** Where a logged-in user starts. */
export const HOME_AFTER_LOGIN = "/patients";

/**
 * `next` when it is a path on this site, else null: `//evil.example`, `https://…`,
 * `/\evil.example`, dot segments that normalise to one of those (`/.//evil.example`,
 * `/%2e//evil.example`) and anything with control characters are refused. What comes back is
 * the normalised path, so that the `Location` sent is the one that was checked.
 */
export function safeNext(next: string | undefined | null): string | null {
  if (!next || !next.startsWith("/") || /^\/[\/\\]/.test(next)) return null;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next) || next.length > 2000) return null;
  const base = "http://same.invalid";
  const url = parseUrl(next, base);
  if (!url || url.origin !== base) return null;
  const path = url.pathname + url.search + url.hash;
  return /^\/[\/\\]/.test(path) ? null : path;
}

/** `text` as a URL (relative to `base`), or null when it is not one: never throws. */
export function parseUrl(text: string, base?: string): URL | null {
  try {
    return new URL(text, base);
  } catch {
    return null;
  }
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
  const url = new URL(c.req.url);
  const here = c.req.header("HX-Request") === "true"
    ? safeNext(parseUrl(c.req.header("HX-Current-URL") ?? "", c.req.url)?.pathname ?? url.pathname)
    : safeNext(url.pathname + url.search);
  const target = `/login?next=${encodeURIComponent(here ?? HOME_AFTER_LOGIN)}`;
  if (c.req.header("HX-Request") === "true") {
    c.header("HX-Redirect", target);
    return c.body(null, 401);
  }
  return c.redirect(target, 303);
}

export const requireUser: MiddlewareHandler<AppEnv> = async function requireUser(c, next) {
  if (!c.get("user")) return askToLogIn(c);
  await next();
};

/** What the credential checks need, from the app's dependencies. */
export function credentialDeps(c: Context<AppEnv>): CredentialDeps {
  const { stores, config } = c.get("deps");
  return { accounts: stores.accounts, security: config.security };
}

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
