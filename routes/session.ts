/**
 * What the idle-timeout warning asks: `GET /session` says how long the session has left without
 * extending it, `POST /session/extend` ("Stay logged in") notes a use now. Browser only (JSON for
 * the page's script, not part of the API).
 */
import { type Context, Hono } from "hono";
import { SESSION_LEFT_HEADER, sessionTimeLeft } from "../middleware/session.ts";
import type { AppEnv } from "../http/env.ts";

export const sessionRoutes = new Hono<AppEnv>();

function status(c: Context<AppEnv>, now = Date.now()) {
  const left = sessionTimeLeft(c, c.get("deps").config.security, now);
  if (!left) return c.json({ logged_in: false });
  c.header(SESSION_LEFT_HEADER, String(left.endsInMs));
  return c.json({ logged_in: true, ends_in_ms: left.endsInMs, ends_by: left.endsBy });
}

sessionRoutes.get("/", (c) => status(c));

sessionRoutes.post("/extend", async (c) => {
  const id = c.get("session")?.getCache()._id;
  const now = Date.now();
  if (!c.get("user") || !id || !await c.get("sessionStore").touch(id)) {
    return c.json({ logged_in: false }, 401);
  }
  c.set("sessionTimes", { ...c.get("sessionTimes")!, lastSeenAt: now });
  return status(c, now);
});
