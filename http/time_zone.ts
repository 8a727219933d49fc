/**
 * The time zone a request's user reads and enters admissions' times in, and the quality
 * indicators' days and months are counted in. The one place that says so: the zone chosen in
 * the profile, else `APP_TIMEZONE` (also when a stored zone is one this runtime no longer knows).
 */
import type { Context } from "hono";
import { normaliseTimeZone } from "../lib/stroke/time_zone.ts";
import type { AppEnv } from "./env.ts";

export function userTimeZone(c: Context<AppEnv>): string {
  const chosen = c.get("user")?.timeZone;
  return (chosen && normaliseTimeZone(chosen)) || installationTimeZone(c);
}

/** The zone of users who have not chosen one (`APP_TIMEZONE`, default UTC). */
export function installationTimeZone(c: Context<AppEnv>): string {
  return c.get("deps").config.appTimeZone;
}
