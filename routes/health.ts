/** `GET /healthz`: whether each store answers, for load balancers and people alike. */
import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { UNAVAILABLE_RETRY_AFTER_S } from "../http/errors.tsx";

type State = "ok" | "down";

/**
 * "ok" when `ping` succeeds within `deadlineMs`; "down" when it fails or is still waiting (a
 * server that hangs is as down as one that is gone, and the check must answer promptly).
 */
async function state(ping: () => Promise<void>, deadlineMs: number): Promise<State> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<State>((resolve) => {
    timer = setTimeout(() => resolve("down"), deadlineMs);
  });
  const answer = ping().then((): State => "ok", (): State => "down");
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const { stores, config } = c.get("deps");
  const deadline = config.databaseTimeouts.unavailableMs;
  const [users, patients] = await Promise.all([
    state(() => stores.accounts.ping(), deadline),
    state(() => stores.patients.ping(), deadline),
  ]);
  const ok = users === "ok" && patients === "ok";
  if (!ok) c.header("Retry-After", String(UNAVAILABLE_RETRY_AFTER_S));
  return c.json({ status: ok ? "ok" : "unavailable", users, patients }, ok ? 200 : 503);
});
