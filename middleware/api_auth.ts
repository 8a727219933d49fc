/**
 * Authentication of `/api/*`: a bearer token, or the browser session (whose unsafe calls then
 * pass the CSRF check). The public API routes (`PUBLIC_ROUTES` in `routes/app.tsx`) skip it.
 */
import type { MiddlewareHandler } from "hono";
import type { TokenHolder } from "../db/accounts/api_tokens.ts";
import type { AppEnv } from "../http/env.ts";
import { askToLogIn } from "./require_user.ts";

export interface ApiAuthOptions {
  /**
   * The owner of a bearer token and the registry it is bound to, or null for an unknown,
   * revoked or locked-out one.
   */
  tokenHolder(token: string): Promise<TokenHolder | null>;
}

/**
 * Reads `Authorization: Bearer`; sets the user (and a bound token's registry), or answers 401
 * with `WWW-Authenticate: Bearer`.
 */
export function apiAuth(options: ApiAuthOptions): MiddlewareHandler<AppEnv> {
  return async function apiAuth(c, next) {
    const header = c.req.header("Authorization");
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const holder = match ? await options.tokenHolder(match[1]!) : null;
      if (!holder) return askToLogIn(c);
      c.set("user", holder.user);
      c.set("authenticatedBy", "token");
      c.set("tokenRegistryScope", holder.registryScope);
    } else if (c.get("user")) {
      c.set("authenticatedBy", "session");
    } else {
      return askToLogIn(c);
    }
    await next();
  };
}
