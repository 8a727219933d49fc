/**
 * `/api/admissions`: admissions in and out as CSV — the import (`patient_id` and the fields,
 * `dry_run`, `on_conflict`, every bad row by line, bounded by `IMPORT_MAX_BYTES` as the records'
 * import), its template, and the streamed export of the admissions of the patients the list's
 * filters match (all of them without a filter; date-times with their offset in the user's
 * time zone, an unknown value an empty cell, formulas neutralised), plain or de-identified
 * (`deidentify`, `k_min`, `coarsen`, as the records' export). A Hono sub-app, mounted at that
 * prefix.
 */
import { Hono } from "hono";
import type { AdmissionService } from "../lib/admission_service.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { ADMISSION_CSV_COLUMNS } from "../lib/stroke/admission_json.ts";
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { actorOf } from "../http/actor.ts";
import { withCsvUpload } from "../http/csv_upload.ts";
import { admissionExportParameters, importParameters } from "../lib/data_params.ts";
import type { AppEnv } from "../http/env.ts";
import { sendExportPlan } from "../http/export_response.ts";
import { userTimeZone } from "../http/time_zone.ts";

/** The path of the import, whose body is limited as it streams (not by the app's body limit). */
export const ADMISSIONS_IMPORT_PATH = "/api/admissions/import";

/** The admissions' CSV API over `service`, to mount at `/api/admissions`. */
export function admissionDataApi(service: AdmissionService): Hono<AppEnv> {
  const api = new Hono<AppEnv>();

  api.get("/import/template", (c) => {
    c.header("Content-Disposition", 'attachment; filename="admissions-template.csv"');
    return c.body(csvLine(ADMISSION_CSV_COLUMNS), 200, {
      "Content-Type": "text/csv; charset=utf-8",
    });
  });

  // Patient data leaves only for the app's own pages, typed addresses, scripts and tokens.
  api.use("/export", ownSiteDownloads());

  api.get("/export", async (c) => {
    const { filter, options } = admissionExportParameters(new URL(c.req.url).searchParams);
    const plan = await service.exportCsv(actorOf(c), filter, userTimeZone(c), options);
    const name = `admissions${options.deidentify ? "-deidentified" : ""}`;
    return sendExportPlan(c, plan, { name, extension: "csv" });
  });

  api.post("/import", async (c) => {
    const { onConflict, dryRun } = importParameters(new URL(c.req.url).searchParams);
    // As the records' import: streamed, or spooled first when its length is not announced.
    const result = await withCsvUpload(
      c,
      (records) =>
        service.importCsv(actorOf(c), records, { onConflict, dryRun, zone: userTimeZone(c) }),
    );
    const { bad_rows: _bad, ...answer } = result;
    return c.json(answer, 200);
  });

  return api;
}
