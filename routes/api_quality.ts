/**
 * `GET /api/quality_indicators`: the stroke unit's quality indicators over the caller's
 * admissions arriving in a period (`from`, `to`: inclusive dates in the user's time zone) of the
 * patients the list's filters match. `for_sharing=true` shows counts 1–4 as `<5` and leaves out
 * what is built on them; `format=csv` is always in that form. Heavy work, like the statistics.
 * A Hono sub-app, mounted at that path.
 */
import { Hono } from "hono";
import type { AdmissionService } from "../lib/admission_service.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { readPeriod } from "../lib/stroke/quality_period.ts";
import { forSharing, qualityIndicatorsCsv } from "../lib/stroke/small_numbers.ts";
import { actorOf } from "../http/actor.ts";
import { insightFilter } from "../lib/insight_query.ts";
import type { AppEnv } from "../http/env.ts";
import { userTimeZone } from "../http/time_zone.ts";

/** The request's own parameters, besides the list's filters. */
const OPTIONS = ["from", "to", "for_sharing", "format"] as const;

/** The quality indicators' API over `service`, to mount at `/api/quality_indicators`. */
export function qualityApi(service: AdmissionService): Hono<AppEnv> {
  const api = new Hono<AppEnv>();

  api.get("/", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const filter = insightFilter(params, { options: OPTIONS });
    const errors: FieldError[] = [];
    const read = readPeriod({ from: params.get("from"), to: params.get("to") }, userTimeZone(c));
    if (!read.ok) errors.push(...read.errors);
    const sharing = params.get("for_sharing") ?? "false";
    if (sharing !== "true" && sharing !== "false") {
      errors.push({ field: "for_sharing", message: "for_sharing must be true or false" });
    }
    const format = params.get("format") ?? "json";
    if (format !== "json" && format !== "csv") {
      errors.push({ field: "format", message: "format must be json or csv" });
    }
    if (errors.length > 0 || !read.ok) throw new InvalidQueryError(errors);
    const indicators = await service.qualityIndicators(actorOf(c), read.period, filter);
    if (format === "csv") {
      const { from, to } = read.period;
      const name = `quality-indicators-${from ?? "start"}-to-${to ?? "end"}.csv`;
      c.header("Content-Disposition", `attachment; filename="${name}"`);
      return c.body(qualityIndicatorsCsv(indicators), 200, {
        "Content-Type": "text/csv; charset=utf-8",
      });
    }
    return c.json(sharing === "true" ? forSharing(indicators) : indicators);
  });

  return api;
}
