/**
 * `/patients/admissions/import`: the admissions' CSV import in the browser — one form that checks
 * a file (a dry run: what would be added, changed or skipped, every bad row by line) or imports
 * it, within the request, through the same use-case as `POST /api/admissions/import`. Only a role
 * that may import sees it (a viewer gets 403 naming the role, before the file is read).
 */
import { type Context, Hono } from "hono";
import {
  AdmissionImportPage,
  type AdmissionImportPageProps,
  AdmissionImportReport,
} from "../components/stroke/AdmissionImportPage.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import { CsvTooLargeError, readCsvRecords } from "../lib/csv_rows.ts";
import { ThrottledError } from "../lib/errors.ts";
import { ImportFileError, type OnConflict } from "../lib/patient_import.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf, needing } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form_body.ts";
import { userTimeZone } from "../http/time_zone.ts";

export const admissionImportRoutes = new Hono<AppEnv>();
admissionImportRoutes.use("*", requireUser(), needing("import"));

type Outcome = Pick<AdmissionImportPageProps, "result" | "error" | "onConflict">;

/** The page (or, under htmx, its report alone) with what the last step found. */
function answer(c: Context<AppEnv>, outcome: Outcome) {
  if (isFragmentRequest(c)) return c.html(<AdmissionImportReport {...outcome} />);
  return c.render(
    <AdmissionImportPage
      {...outcome}
      csrfToken={csrfToken(c)}
      maxBytes={c.get("deps").config.importMaxBytes}
      zone={userTimeZone(c)}
    />,
    { title: "Import admissions" },
  );
}

admissionImportRoutes.get("/", (c) => answer(c, { onConflict: "skip" }));

admissionImportRoutes.post("/", async (c) => {
  const form = await readForm(c);
  const onConflict: OnConflict = form.on_conflict === "update" ? "update" : "skip";
  const dryRun = form.dry_run !== "false";
  const file = form.file;
  if (!(file instanceof File) || file.size === 0) {
    c.status(422);
    return answer(c, { onConflict, error: "Choose a CSV file of admissions." });
  }
  try {
    const records = readCsvRecords(
      new Uint8Array(await file.arrayBuffer()),
      c.get("deps").config.importMaxBytes,
    );
    const result = await c.get("admissions").importCsv(actorOf(c), records, {
      onConflict,
      dryRun,
      zone: userTimeZone(c),
    });
    return answer(c, { onConflict, result });
  } catch (error) {
    if (error instanceof ImportFileError) c.status(422);
    else if (error instanceof CsvTooLargeError) c.status(413);
    else if (error instanceof ThrottledError) c.status(429);
    else throw error;
    return answer(c, { onConflict, error: error.message });
  }
});
