/**
 * `/api/patient_data`'s insight: statistics (with the published dataset beside them), data
 * quality (of the records and their admissions; days in the user's time zone) and the risk model
 * of the caller's records matching the list's filters.
 */
import { Hono } from "hono";
import { compareReference, insightFilter } from "../lib/insight_query.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { userTimeZone } from "../http/time_zone.ts";

export const apiInsightRoutes = new Hono<AppEnv>();

apiInsightRoutes.get("/stats", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const filter = insightFilter(params, { options: ["compare"] });
  const reference = compareReference(params);
  return c.json(await c.get("insight").stats(actorOf(c), filter, { reference }));
});

apiInsightRoutes.get("/quality", async (c) => {
  const filter = insightFilter(new URL(c.req.url).searchParams);
  return c.json(await c.get("insight").quality(actorOf(c), filter, userTimeZone(c)));
});

apiInsightRoutes.get("/risk", async (c) => {
  const filter = insightFilter(new URL(c.req.url).searchParams);
  return c.json(await c.get("insight").risk(actorOf(c), filter));
});
