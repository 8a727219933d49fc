/** Gives every request an id of the app's own (answered in `X-Request-Id`) and keeps the client's id beside it. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/env.ts";

/** Longest client request id kept for the log. */
const CLIENT_ID_MAX = 200;

/**
 * Sets `requestId` (a fresh UUID: a client's own value is never trusted as the id the log and
 * error pages use) and `clientRequestId` when the client sent `X-Request-Id`.
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return async function requestIds(c, next) {
    const id = crypto.randomUUID();
    c.set("requestId", id);
    const client = c.req.header("X-Request-Id");
    if (client) c.set("clientRequestId", client.slice(0, CLIENT_ID_MAX));
    c.header("X-Request-Id", id);
    await next();
  };
}
