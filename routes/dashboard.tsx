/** `/dashboard`: statistics beside the published dataset, data quality and risk factors of the filtered records. */
import { Hono } from "hono";
import { DashboardPage } from "../components/DashboardPage.tsx";
import { DEFAULT_LIST_QUERY } from "../lib/patient_query.ts";
import { RiskModelError } from "../lib/risk_model.ts";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf } from "./actor.ts";
import { insightFilter } from "./api_insight.ts";
import type { AppEnv } from "./env.ts";

export const dashboardRoutes = new Hono<AppEnv>();
dashboardRoutes.use("/dashboard", requireUser());

dashboardRoutes.get("/dashboard", async (c) => {
  // The list's filters; a link from a list view may carry its page and sort, which mean nothing here.
  const filter = insightFilter(new URL(c.req.url).searchParams, { browser: true });
  const insight = c.get("insight");
  const actor = actorOf(c);
  const [{ stats, quality }, risk] = await Promise.all([
    insight.stats(actor, filter, { reference: true }).then(async (stats) => ({
      stats,
      quality: await insight.quality(actor, filter, stats),
    })),
    insight.risk(actor, filter).catch((error) => {
      // Too few records or events is an answer, not a failure of the page.
      if (error instanceof RiskModelError) return { refused: error.message };
      throw error;
    }),
  ]);
  const query = { ...DEFAULT_LIST_QUERY, filter };
  return c.render(<DashboardPage query={query} stats={stats} quality={quality} risk={risk} />, {
    title: "Dashboard",
  });
});
