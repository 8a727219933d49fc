/** Who is asking, for the patient use-cases: the logged-in user, their address, the request id and a stated reason. */
import type { Context } from "hono";
import type { Actor } from "../lib/patient_service.ts";
import type { AppEnv } from "./env.ts";

/** Longest reason kept (a form field or the `X-Change-Reason` header). */
const MAX_REASON = 500;

/** The actor of a request by a logged-in user; `reason` from a form field, if the route read one. */
export function actorOf(c: Context<AppEnv>, reason?: string): Actor {
  const stated = (reason ?? c.req.header("X-Change-Reason") ?? "").trim().slice(0, MAX_REASON);
  return {
    userId: c.get("user")!.id,
    client: c.get("clientAddress"),
    requestId: c.get("requestId"),
    ...(stated ? { reason: stated } : {}),
  };
}
