/**
 * Notes each request as interactive while it is being answered, so that heavy work (exports,
 * summaries, imports) gives way to it between slices (see `breathe` in lib/work_pace.ts); a
 * request that takes a heavy-work slot stops counting.
 */
import type { MiddlewareHandler } from "hono";
import { interactiveRequests } from "../lib/work_pace.ts";
import type { AppEnv } from "../http/env.ts";

export function interactiveFirst(): MiddlewareHandler<AppEnv> {
  return async function interactiveFirst(c, next) {
    const id = c.get("requestId");
    interactiveRequests.begin(id);
    try {
      await next();
    } finally {
      interactiveRequests.end(id);
    }
  };
}
