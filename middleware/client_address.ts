/** The client's address, read once per request: the connection's, or the last proxy hop's behind a trusted proxy. */
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import type { AppEnv } from "../http/env.ts";

export interface ClientAddressOptions {
  /** Take the address from the last `X-Forwarded-For` entry (set by our reverse proxy). */
  trustProxy: boolean;
}

/** Sets `clientAddress` ("unknown" for an in-process request with no connection). */
export function clientAddress(options: ClientAddressOptions): MiddlewareHandler<AppEnv> {
  return async function clientAddress(c, next) {
    let address: string | undefined;
    if (options.trustProxy) {
      const hops = c.req.header("X-Forwarded-For")?.split(",").map((s) => s.trim())
        .filter(Boolean);
      address = hops?.[hops.length - 1];
    }
    if (address === undefined) {
      try {
        address = getConnInfo(c).remote.address;
      } catch {
        // No connection: a request made in process (tests, app.request()).
      }
    }
    c.set("clientAddress", address ?? "unknown");
    await next();
  };
}
