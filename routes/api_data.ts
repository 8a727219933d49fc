/**
 * `/api/patient_data`'s data in and out: CSV import (with a dry run), the import template, and
 * streamed exports of the current filters (plain or de-identified).
 */
import { type Context, Hono } from "hono";
import { importTemplate } from "../lib/codebook.ts";
import { exportParameters, importParameters } from "../lib/data_params.ts";
import type { ExportOptions } from "../lib/patient_export.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { actorOf } from "../http/actor.ts";
import { withCsvUpload } from "../http/csv_upload.ts";
import type { AppEnv } from "../http/env.ts";
import { sendExportPlan } from "../http/export_response.ts";

export const apiDataRoutes = new Hono<AppEnv>();

/** Sends an export: headers first (k and suppression are known before the first row), then the rows. */
async function sendExport(
  c: Context<AppEnv>,
  query: PatientListQuery,
  options: ExportOptions,
): Promise<Response> {
  const plan = await c.get("patients").exportRecords(actorOf(c), query, options);
  const name = `patients${options.deidentify ? "-deidentified" : ""}`;
  return sendExportPlan(c, plan, { name, extension: options.format });
}

// Patient data leaves only for the app's own pages, typed addresses, scripts and tokens.
apiDataRoutes.use("/export", ownSiteDownloads());

apiDataRoutes.get("/export", (c) => {
  const { query, options } = exportParameters(new URL(c.req.url).searchParams);
  return sendExport(c, query, options);
});

apiDataRoutes.post("/import", async (c) => {
  const { onConflict, dryRun } = importParameters(new URL(c.req.url).searchParams);
  const result = await withCsvUpload(
    c,
    (records) => c.get("patients").importRecords(actorOf(c), records, { onConflict, dryRun }),
  );
  const { rows: _rows, bad_rows: _bad, ...answer } = result;
  return c.json(answer, 200);
});

// The template describes fields, not records: it needs no login (see PUBLIC_ROUTES in app.tsx).
apiDataRoutes.get("/import/template", (c) => {
  c.header("Content-Disposition", 'attachment; filename="patients-template.csv"');
  return c.body(importTemplate(), 200, { "Content-Type": "text/csv; charset=utf-8" });
});
