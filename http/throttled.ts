/** An attempt refused while throttled: `Retry-After`, and how long to wait in words. */
import type { Context } from "hono";
import { tooManyAttempts } from "../lib/accounts/credentials.ts";

/** Sets `Retry-After` (the caller sets the status); returns the message for the form. */
export function throttled(c: Context, ms: number): string {
  c.header("Retry-After", String(Math.ceil(ms / 1000)));
  return tooManyAttempts(ms);
}
