/**
 * CSRF protection for browser requests: Hono's origin check, plus a token bound to the session
 * in every form (`_csrf`) and in htmx and fetch requests (`X-CSRF-Token`). Calls authenticated
 * by a bearer token carry no cookies, so they need neither.
 */
import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { Buffer } from "node:buffer";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AppEnv } from "./env.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const REFUSED =
  "This form has expired or was sent from another site. Reload the page and try again.";

/** The session's CSRF token, made on first use. */
export function csrfToken(c: Context<AppEnv>): string {
  const session = c.get("session");
  let token = session.get("csrf");
  if (typeof token !== "string") {
    token = randomBytes(32).toString("base64url");
    session.set("csrf", token);
  }
  return token;
}

function sameToken(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function sentToken(c: Context): Promise<string> {
  const header = c.req.header("X-CSRF-Token");
  if (header) return header;
  const type = c.req.header("Content-Type") ?? "";
  if (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  ) {
    const body = await c.req.parseBody();
    return typeof body._csrf === "string" ? body._csrf : "";
  }
  return "";
}

/** True when the browser's Origin names the host it sent the request to. */
function sameHost(origin: string, c: Context): boolean {
  try {
    return new URL(origin).host === (c.req.header("Host") ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/** Hono's check, for form and text bodies (which a foreign page can send without preflight). */
const originCheck = csrf({ origin: sameHost });

/** The same rule for every other body (JSON from the browser session): a foreign origin is refused. */
function foreignOrigin(c: Context): boolean {
  const origin = c.req.header("Origin");
  if (origin !== undefined) return !sameHost(origin, c);
  const site = c.req.header("Sec-Fetch-Site");
  return site !== undefined && site !== "same-origin";
}

export const csrfProtection: MiddlewareHandler<AppEnv> = async function csrfProtection(c, next) {
  if (SAFE_METHODS.has(c.req.method) || c.get("authenticatedBy") === "token") return await next();
  if (c.req.path === "/api/tokens" && c.req.method === "POST") return await next(); // no session used
  const session = c.get("session");
  if (!session) return await next();
  try {
    await originCheck(c, () => Promise.resolve());
  } catch {
    throw new HTTPException(403, { message: REFUSED });
  }
  if (foreignOrigin(c)) throw new HTTPException(403, { message: REFUSED });
  const expected = session.get("csrf");
  if (typeof expected !== "string" || !sameToken(expected, await sentToken(c))) {
    throw new HTTPException(403, { message: REFUSED });
  }
  await next();
};
