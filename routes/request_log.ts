/** One log line per request: time, request id, method, path, status and duration. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, Log } from "./env.ts";

export function requestLog(log: Log): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const start = performance.now();
    await next();
    const ms = (performance.now() - start).toFixed(1);
    log(
      `${new Date().toISOString()} ${
        c.get("requestId")
      } ${c.req.method} ${c.req.path} ${c.res.status} ${ms}ms`,
    );
  };
}
