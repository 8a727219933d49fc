/** Refuses requests for a `Host` the app does not serve (`ALLOWED_HOSTS`), against host-header attacks. */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";

export interface AllowedHostsOptions {
  /** Lower-case host names, each with or without `:port`; null lets every host through. */
  hosts: string[] | null;
  /** Paths answered for any host (the health check, which load balancers call by address). */
  anyHostPaths?: string[];
}

export function allowedHosts(options: AllowedHostsOptions): MiddlewareHandler {
  const hosts = options.hosts === null ? null : new Set(options.hosts);
  const open = new Set(options.anyHostPaths ?? []);
  return async function allowedHosts(c, next) {
    if (hosts === null || open.has(c.req.path)) return await next();
    const host = (c.req.header("Host") ?? new URL(c.req.url).host).trim().toLowerCase();
    if (!hosts.has(host) && !hosts.has(host.replace(/:\d+$/, ""))) {
      throw new HTTPException(400, {
        message: "This site is not served at this address. Check the link you followed.",
      });
    }
    await next();
  };
}
