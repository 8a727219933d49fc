/**
 * The draft scope: a random key, kept in an HttpOnly cookie from a user's login in this browser
 * to their logout, under which the pages keep half-typed forms (static/form_keep.js). An idle
 * timeout leaves the cookie, so a draft it interrupted comes back after the next login; a logout
 * removes it, so a draft of a logged-out session is never put back (the next login gets a new
 * scope, and pages drop drafts of any other).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { randomBytes } from "node:crypto";
import type { AppEnv } from "../http/env.ts";
import { isHttps } from "./security_headers.ts";

export const DRAFT_SCOPE_COOKIE = "spm_drafts";

/** `<user id>.<random>` as the cookie holds it, or null. */
function held(c: Context<AppEnv>): { userId: number; scope: string } | null {
  const match = /^(\d{1,10})\.([\w-]{22})$/.exec(getCookie(c, DRAFT_SCOPE_COOKIE) ?? "");
  return match ? { userId: Number(match[1]), scope: match[2]! } : null;
}

/**
 * The scope under which the pages of `userId` keep drafts: the browser's, or a new one when it
 * holds none or another user's (set as the cookie for as long as the browser runs).
 */
export function draftScope(c: Context<AppEnv>, userId: number): string {
  const current = held(c);
  if (current?.userId === userId) return current.scope;
  const scope = randomBytes(16).toString("base64url");
  setCookie(c, DRAFT_SCOPE_COOKIE, `${userId}.${scope}`, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c.req.url, c.req.header("X-Forwarded-Proto")),
  });
  return scope;
}

/** The scope the browser holds, whoever's ("" when none): a logged-out page keeps only its drafts. */
export function heldDraftScope(c: Context<AppEnv>): string {
  return held(c)?.scope ?? "";
}

/** Ends the scope (at logout): no draft kept under it is ever put back. */
export function endDraftScope(c: Context<AppEnv>): void {
  deleteCookie(c, DRAFT_SCOPE_COOKIE, { path: "/" });
}
