/** What a page's script needs to warn before the session ends (see `routes/session.ts`). */
import type { Context } from "hono";
import type { SessionClock } from "../components/Layout.tsx";
import { sessionTimeLeft } from "../middleware/session.ts";
import type { AppEnv } from "./env.ts";

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
