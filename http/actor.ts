/** Who is asking, for the patient use-cases: the logged-in user, their address, the request id and a stated reason. */
import type { Context, MiddlewareHandler } from "hono";
import { allow } from "../lib/audit_trail.ts";
import type { Actor } from "../lib/patient_service.ts";
import type { RegistryRight } from "../lib/registry_rights.ts";
import type { AppEnv } from "./env.ts";

/** Longest reason kept (a form field or the `X-Change-Reason` header). */
const MAX_REASON = 500;

/**
 * The actor of a request by a logged-in user, in the registry the request acts in (see
 * `registryScope`); `reason` from a form field, if the route read one.
 */
export function actorOf(c: Context<AppEnv>, reason?: string): Actor {
  const stated = (reason ?? c.req.header("X-Change-Reason") ?? "").trim().slice(0, MAX_REASON);
  const registry = c.get("registry");
  if (!registry) throw new Error(`No registry resolved for ${c.req.method} ${c.req.path}`);
  return {
    userId: c.get("user")!.id,
    registry,
    client: c.get("clientAddress"),
    requestId: c.get("requestId"),
    ...(stated ? { reason: stated } : {}),
  };
}

/**
 * Throws `RegistryForbiddenError` (403, naming the role needed) unless the caller's role in the
 * request's registry has `right`: for a page that offers nothing but a control of that right (an
 * edit form, a delete confirmation, the import), before anything is read or kept.
 */
export function need(c: Context<AppEnv>, right: RegistryRight): void {
  allow(actorOf(c), right);
}

/**
 * Middleware refusing (403, naming the role needed) a request whose role in its registry lacks
 * `right`, before anything is read: a viewer may not import, not even check a file.
 */
export function needing(right: RegistryRight): MiddlewareHandler<AppEnv> {
  return async function needsRight(c, next) {
    need(c, right);
    await next();
  };
}
