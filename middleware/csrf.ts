/**
 * CSRF protection for browser requests: Hono's origin check, plus a token in every form
 * (`_csrf`) and in htmx and fetch requests (`X-CSRF-Token`). Logged in, the token is bound to
 * the session; logged out (the login and register forms) it is a signed double-submit cookie,
 * so that an anonymous visit stores no session. Calls authenticated by a bearer token carry no
 * cookies, so they need neither.
 *
 * A page never shows the token itself (BREACH: a secret repeated in compressed answers can be
 * guessed from their sizes): each response carries it masked, XORed with fresh random bytes and
 * sent as `base64url(mask ‖ masked)`, so no two responses share the string. What comes back is
 * unmasked, then compared in constant time; a bare token is not accepted.
 */
import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { Buffer } from "node:buffer";
import { getCookie, setCookie } from "hono/cookie";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isHttps } from "./security_headers.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form_body.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const REFUSED =
  "This form has expired or was sent from another site. Reload the page and try again.";

/** The cookie holding a logged-out visitor's token: `<random>.<HMAC of it>`. */
export const ANONYMOUS_CSRF_COOKIE = "spm_csrf";

function signingKey(c: Context<AppEnv>): string {
  const key = c.get("csrfSigningKey");
  if (key === undefined) throw new Error("csrfProtection() must run before csrfToken()");
  return key;
}

function sign(c: Context<AppEnv>, nonce: string): string {
  return createHmac("sha256", signingKey(c)).update(nonce).digest("base64url");
}

/** The visitor's signed token from its cookie, or undefined when absent or not ours. */
function anonymousCookieToken(c: Context<AppEnv>): string | undefined {
  const value = getCookie(c, ANONYMOUS_CSRF_COOKIE);
  const [nonce, signature, extra] = value?.split(".") ?? [];
  if (!nonce || !signature || extra !== undefined) return undefined;
  return sameToken(sign(c, nonce), signature) ? value : undefined;
}

/** A logged-out visitor's token: the one of its cookie, or a new one set as the cookie. */
function anonymousToken(c: Context<AppEnv>): string {
  let token = c.get("anonymousCsrf") ?? anonymousCookieToken(c);
  if (token === undefined) {
    const nonce = randomBytes(24).toString("base64url");
    token = `${nonce}.${sign(c, nonce)}`;
    setCookie(c, ANONYMOUS_CSRF_COOKIE, token, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c.req.url, c.req.header("X-Forwarded-Proto")),
    });
  }
  c.set("anonymousCsrf", token);
  return token;
}

/** The secret behind this request's forms: the session's when logged in, else the cookie's. */
function secretToken(c: Context<AppEnv>): string {
  if (!c.get("user")) return anonymousToken(c);
  const session = c.get("session");
  let token = session.get("csrf");
  if (typeof token !== "string") {
    token = randomBytes(32).toString("base64url");
    session.set("csrf", token);
  }
  return token;
}

/** `secret` masked with fresh random bytes: `base64url(mask ‖ (secret XOR mask))`. */
export function maskToken(secret: string): string {
  const bytes = Buffer.from(secret);
  const mask = randomBytes(bytes.length);
  const masked = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) masked[i] = bytes[i]! ^ mask[i]!;
  return Buffer.concat([mask, masked]).toString("base64url");
}

/** The secret inside a masked token, or null when `given` is not one. */
export function unmaskToken(given: string): Buffer | null {
  if (!/^[\w-]+$/.test(given)) return null;
  const both = Buffer.from(given, "base64url");
  if (both.length === 0 || both.length % 2 !== 0) return null;
  const half = both.length / 2;
  const secret = Buffer.alloc(half);
  for (let i = 0; i < half; i++) secret[i] = both[i]! ^ both[half + i]!;
  return secret;
}

/** This response's masked token, per context: every form and header of one page agree. */
const masked = new WeakMap<Context, { secret: string; token: string }>();

/**
 * The token for this page's forms and htmx requests: the session's (logged in) or the visitor's
 * cookie's, masked afresh for each response.
 */
export function csrfToken(c: Context<AppEnv>): string {
  const secret = secretToken(c);
  const known = masked.get(c);
  if (known?.secret === secret) return known.token;
  const token = maskToken(secret);
  masked.set(c, { secret, token });
  return token;
}

function sameToken(expected: string, given: string): boolean {
  return sameBytes(Buffer.from(expected), Buffer.from(given));
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `given` (as a page sent it: masked) carries the secret `expected`. */
function carries(expected: string, given: string): boolean {
  const secret = unmaskToken(given);
  return secret !== null && sameBytes(Buffer.from(expected), secret);
}

async function sentToken(c: Context): Promise<string> {
  const header = c.req.header("X-CSRF-Token");
  if (header) return header;
  const type = c.req.header("Content-Type") ?? "";
  if (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  ) {
    const body = await readForm(c);
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

export interface CsrfOptions {
  /** Signs the logged-out visitors' tokens (derived from the session secret). */
  secret: string;
  /** `METHOD /path` pairs that need no token (a form posted by another system on purpose). */
  exempt?: readonly string[];
}

/** Checks every unsafe browser request: same origin, and the token of its session or cookie. */
export function csrfProtection(options: CsrfOptions): MiddlewareHandler<AppEnv> {
  const key = `spm-csrf:${options.secret}`;
  const exempt = new Set(options.exempt ?? []);
  return async function csrfProtection(c, next) {
    c.set("csrfSigningKey", key);
    if (SAFE_METHODS.has(c.req.method) || c.get("authenticatedBy") === "token") return await next();
    if (exempt.has(`${c.req.method} ${c.req.path}`)) return await next();
    const session = c.get("session");
    if (!session) return await next();
    try {
      await originCheck(c, () => Promise.resolve());
    } catch {
      throw new HTTPException(403, { message: REFUSED });
    }
    if (foreignOrigin(c)) throw new HTTPException(403, { message: REFUSED });
    const expected = c.get("user") ? session.get("csrf") : anonymousCookieToken(c);
    if (typeof expected !== "string" || !carries(expected, await sentToken(c))) {
      throw new HTTPException(403, { message: REFUSED });
    }
    await next();
  };
}
