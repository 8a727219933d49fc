/** Authentication of `/api/*`: a bearer token, or the browser session (whose unsafe calls pass the CSRF check). */
import type { MiddlewareHandler } from "hono";
import { userForToken } from "../db/api_tokens.ts";
import { askToLogIn } from "./auth_guard.ts";
import type { AppEnv } from "./env.ts";

/** Paths under /api that need no credentials. */
const PUBLIC = new Set(["POST /api/tokens", "GET /api/openapi.json"]);

/** Reads `Authorization: Bearer`; sets the user, or answers 401 with `WWW-Authenticate: Bearer`. */
export const apiAuth: MiddlewareHandler<AppEnv> = async function apiAuth(c, next) {
  if (PUBLIC.has(`${c.req.method} ${c.req.path}`)) return await next();
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = match ? await userForToken(c.get("deps").stores.accounts, match[1]!) : null;
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
