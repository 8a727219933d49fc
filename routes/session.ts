/**
 * What the idle-timeout warning asks: `GET /session` says how long the session has left without
 * extending it, `POST /session/extend` ("Stay logged in") notes a use now. Browser only (JSON for
 * the page's script, not part of the API).
 */
import { type Context, Hono } from "hono";
import type { SessionClock } from "../components/Layout.tsx";
import { SESSION_LEFT_HEADER, sessionTimeLeft } from "../middleware/session.ts";
import type { AppEnv } from "./env.ts";

export const sessionRoutes = new Hono<AppEnv>();

/** The path read without extending the session (the session middleware peeks for it). */
export const SESSION_STATUS_PATH = "/session";

/** The warning comes two minutes before the idle timeout, or halfway through a shorter one. */
export function warnBeforeMs(idleMs: number): number {
  return Math.min(2 * 60_000, idleMs / 2);
}

/** What a page's script needs to warn before the session ends; null when logged out. */
export function sessionClock(c: Context<AppEnv>): SessionClock | null {
  const { sessionIdleMs } = c.get("deps").config.security;
  const left = sessionTimeLeft(c, c.get("deps").config.security);
  const user = c.get("user");
  if (!left || !user) return null;
  return {
    user: String(user.id),
    ends_in_ms: left.endsInMs,
    ends_by: left.endsBy,
    idle_ms: sessionIdleMs,
    warn_before_ms: warnBeforeMs(sessionIdleMs),
  };
}

function status(c: Context<AppEnv>, now = Date.now()) {
  const left = sessionTimeLeft(c, c.get("deps").config.security, now);
  if (!left) return c.json({ logged_in: false });
  c.header(SESSION_LEFT_HEADER, String(left.endsInMs));
  return c.json({ logged_in: true, ends_in_ms: left.endsInMs, ends_by: left.endsBy });
}

sessionRoutes.get(SESSION_STATUS_PATH, (c) => status(c));

sessionRoutes.post("/session/extend", async (c) => {
  const id = c.get("session")?.getCache()._id;
  const now = Date.now();
  if (!c.get("user") || !id || !await c.get("sessionStore").touch(id)) {
    return c.json({ logged_in: false }, 401);
  }
  c.set("sessionTimes", { ...c.get("sessionTimes")!, lastSeenAt: now });
  return status(c, now);
});
