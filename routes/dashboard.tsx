/** `/dashboard`: statistics beside the published dataset, data quality and risk factors of the filtered records, and the stroke-care indicators of a period. */
import { Hono } from "hono";
import { DashboardPage } from "../components/DashboardPage.tsx";
import { StrokeCareSection } from "../components/stroke/StrokeCareSection.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import { insightFilter } from "../lib/insight_query.ts";
import { DEFAULT_LIST_QUERY } from "../lib/patient_query.ts";
import { readPeriod } from "../lib/stroke/quality_period.ts";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { userTimeZone } from "../http/time_zone.ts";

/** The stroke-care section's own parameters, besides the list's filters. */
const STROKE_CARE_OPTIONS = ["from", "to", "for_sharing"] as const;

export const dashboardRoutes = new Hono<AppEnv>();
dashboardRoutes.use("/", requireUser());

dashboardRoutes.get("/", async (c) => {
  // The list's filters; a link from a list view may carry its page and sort, which mean nothing here.
  const params = new URL(c.req.url).searchParams;
  const filter = insightFilter(params, { browser: true, options: STROKE_CARE_OPTIONS });
  const actor = actorOf(c);
  const zone = userTimeZone(c);
  const typed = { from: params.get("from")?.trim() ?? "", to: params.get("to")?.trim() ?? "" };
  const period = readPeriod(typed, zone);
  const errors: FieldErrors = {};
  if (!period.ok) { for (const e of period.errors) errors[e.field] ??= e.message; }
  const sharing = params.get("for_sharing") ?? "";
  if (!["", "true", "false"].includes(sharing)) {
    errors.for_sharing = "for_sharing must be true or false";
  }
  // Drawing the page is heavy work too (tens of charts and tables), even from kept summaries.
  return await c.get("heavyWork").run(actor, "dashboard", async () => {
    const { stats, quality, risk } = await c.get("insight").dashboard(actor, filter, zone);
    const indicators = period.ok
      ? await c.get("admissions").qualityIndicators(actor, period.period, filter)
      : null;
    const query = { ...DEFAULT_LIST_QUERY, filter };
    if (Object.keys(errors).length > 0) c.status(422);
    return await c.render(
      <DashboardPage
        query={query}
        stats={stats}
        quality={quality}
        risk={risk}
        strokeCare={
          <StrokeCareSection
            indicators={indicators}
            period={typed}
            errors={errors}
            sharing={sharing === "true"}
            filter={filter}
            zone={zone}
          />
        }
      />,
      { title: "Dashboard" },
    );
  });
});
