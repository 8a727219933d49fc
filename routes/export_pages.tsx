/** `GET /patients/export/anonymity`: how a de-identified export of the current view would come out, before it is downloaded. */
import { Hono } from "hono";
import { AnonymityCheck, DEFAULT_K_MIN } from "../components/ExportPanel.tsx";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf } from "./actor.ts";
import { exportParameters } from "./api_data.ts";
import type { AppEnv } from "./env.ts";

export const exportRoutes = new Hono<AppEnv>();
exportRoutes.use("/patients/export/*", requireUser());

exportRoutes.get("/patients/export/anonymity", async (c) => {
  const { query, options } = exportParameters(new URL(c.req.url).searchParams, {
    emptyMeansAbsent: true,
  });
  const kMin = options.kMin ?? DEFAULT_K_MIN;
  const result = await c.get("patients").anonymity(actorOf(c), query.filter, kMin);
  return c.html(<AnonymityCheck {...result} kMin={kMin} />);
});
