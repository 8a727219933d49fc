/** `GET /healthz`: whether each store answers, for load balancers and people alike. */
import { Hono } from "hono";
import type { AppEnv } from "./env.ts";

type State = "ok" | "down";

async function state(ping: () => Promise<void>): Promise<State> {
  try {
    await ping();
    return "ok";
  } catch {
    return "down";
  }
}

export const healthRoutes = new Hono<AppEnv>().get("/healthz", async (c) => {
  const { accounts, patients } = c.get("deps").stores;
  const [users, patientState] = await Promise.all([
    state(() => accounts.ping()),
    state(() => patients.ping()),
  ]);
  const ok = users === "ok" && patientState === "ok";
  return c.json(
    { status: ok ? "ok" : "unavailable", users, patients: patientState },
    ok ? 200 : 503,
  );
});
