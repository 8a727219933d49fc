/** One log line per request (time, request id, method, path, status, duration), and log lines that cannot be forged. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv, Log } from "../http/env.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with every control character written as an escape, so that it stays on one line. */
export function escapeControl(text: string): string {
  return text.replace(
    CONTROL,
    (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A log that writes every line escaped: nothing a client sends can start a line of its own. */
export function safeLog(log: Log): Log {
  return (line) => log(escapeControl(line));
}

/** Paths that carry a secret (a password-reset link's token): the log keeps only their start. */
const SECRET_PATH = /^(\/reset-password\/)(?!done$)[^/]+/;

/** The path as the log writes it: a secret in it is left out. */
export function loggedPath(path: string): string {
  return path.replace(SECRET_PATH, "$1…");
}

/** Logs each request once it is answered; `log` should be a {@link safeLog}. */
export function requestLog(log: Log): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const start = performance.now();
    await next();
    const ms = (performance.now() - start).toFixed(1);
    const client = c.get("clientRequestId");
    log(
      `${new Date().toISOString()} ${c.get("requestId")} ${c.req.method} ${
        loggedPath(c.req.path)
      } ${c.res.status} ${ms}ms${
        client === undefined ? "" : ` client_request_id=${encodeURIComponent(client)}`
      }`,
    );
  };
}
