/**
 * Authentication of `/api/*`: a bearer token, or the browser session (whose unsafe calls then
 * pass the CSRF check). Public API routes are mounted before this middleware.
 */
import type { MiddlewareHandler } from "hono";
import type { User } from "../db/users.ts";
import type { AppEnv } from "../routes/env.ts";
import { askToLogIn } from "./require_user.ts";

export interface ApiAuthOptions {
  /** The owner of a bearer token, or null for an unknown, revoked or locked-out one. */
  userForToken(token: string): Promise<User | null>;
}

/** Reads `Authorization: Bearer`; sets the user, or answers 401 with `WWW-Authenticate: Bearer`. */
export function apiAuth(options: ApiAuthOptions): MiddlewareHandler<AppEnv> {
  return async function apiAuth(c, next) {
    const header = c.req.header("Authorization");
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const user = match ? await options.userForToken(match[1]!) : null;
      if (!user) return askToLogIn(c);
      c.set("user", user);
      c.set("authenticatedBy", "token");
    } else if (c.get("user")) {
      c.set("authenticatedBy", "session");
    } else {
      return askToLogIn(c);
    }
    await next();
  };
}
