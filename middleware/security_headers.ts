/**
 * Security headers on every response: a CSP that allows only the app's own files, HSTS behind
 * HTTPS, and `Cache-Control: no-store` unless the route chose its own caching (pages carry
 * patient data and form tokens; static files and the OpenAPI document set theirs).
 */
import type { Context, MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: "same-origin",
  xFrameOptions: "DENY",
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
});

/** True when the browser talks HTTPS to us, directly or through a TLS-terminating proxy. */
export function isHttps(url: string, forwardedProto: string | undefined): boolean {
  return url.startsWith("https:") || forwardedProto?.split(",")[0]?.trim() === "https";
}

export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await headers(c, next);
    if (isHttps(c.req.url, c.req.header("X-Forwarded-Proto"))) {
      setAnswerHeader(c, "Strict-Transport-Security", "max-age=63072000; includeSubDomains");
    }
    if (!c.res.headers.has("Cache-Control")) setAnswerHeader(c, "Cache-Control", "no-store");
  };
}

/**
 * Sets a header of the answer already made. On the answer's own headers: `c.header` would copy
 * the whole answer first (Hono makes a new Response for each header set after the handler),
 * which costs more than the header; only an answer whose headers cannot change is copied.
 */
function setAnswerHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}
