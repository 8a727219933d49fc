/**
 * Every route that reads or writes records acts in one registry: the `registry={rid}` of the
 * request (a registry-bound API token's own without one; the user's personal registry
 * otherwise), with the caller's role there read from the database for this very request — so a
 * member removed or demoted a moment ago is refused at once, from every session, token and app
 * instance. A registry the caller is not a member of is a 404. Mounted after authentication.
 */
import type { MiddlewareHandler } from "hono";
import { currentRegistry } from "../http/current_registry.ts";
import type { AppEnv } from "../http/env.ts";

export function registryScope(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("user")) c.set("registry", await currentRegistry(c));
    await next();
  };
}
