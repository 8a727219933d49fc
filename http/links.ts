/** Absolute links to the app for emails: `PUBLIC_URL`, or the request's own address once `ALLOWED_HOSTS` has checked it. */
import type { Context } from "hono";
import { isHttps } from "../middleware/security_headers.ts";
import type { AppEnv } from "./env.ts";

/**
 * The origin links in emails start with, or null when the app cannot know one it trusts: without
 * `PUBLIC_URL` and `ALLOWED_HOSTS`, the `Host` of a request is whatever its sender wrote, and a
 * reset link built from it could lead the account's owner, token and all, to someone else's site.
 */
export function linkOrigin(c: Context<AppEnv>): string | null {
  const { publicUrl, security } = c.get("deps").config;
  if (publicUrl !== null) return publicUrl;
  if (security.allowedHosts === null) return null;
  // The allowed-hosts middleware has refused any other host before this runs.
  const host = (c.req.header("Host") ?? new URL(c.req.url).host).trim().toLowerCase();
  return `${isHttps(c.req.url, c.req.header("X-Forwarded-Proto")) ? "https" : "http"}://${host}`;
}

/** An absolute link to `path` (which starts with `/`), or null (see {@link linkOrigin}). */
export function appLink(c: Context<AppEnv>, path: string): string | null {
  const origin = linkOrigin(c);
  return origin === null ? null : `${origin}${path}`;
}
