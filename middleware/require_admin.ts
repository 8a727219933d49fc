/** Admin pages and endpoints: a logged-out visitor is asked to log in, anyone but an admin gets 403. */
import type { MiddlewareHandler } from "hono";
import { AdminOnlyError } from "../lib/errors.ts";
import type { AppEnv } from "../http/env.ts";
import { askToLogIn } from "./require_user.ts";

export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    const user = c.get("user");
    if (!user) return askToLogIn(c);
    if (!user.admin) throw new AdminOnlyError();
    await next();
  };
}
