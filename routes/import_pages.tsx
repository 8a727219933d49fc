/**
 * `/patients/import`: upload a CSV, see the preview (counts and every problem by line), then
 * import it — in the background with a progress bar under htmx, or within the request without
 * JavaScript — and read the report. The upload waits in the accounts database between steps.
 */
import { type Context, Hono } from "hono";
import {
  ImportPreviewPage,
  ImportProgress,
  ImportReport,
  ImportStatusPage,
  type ImportSummary,
  ImportUploadPage,
  LISTED_PROBLEMS,
} from "../components/ImportPages.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import {
  claimImport,
  findImport,
  type ImportJob,
  saveUpload,
  updateImport,
  uploadBytes,
} from "../db/imports.ts";
import { csvLine, readCsvRecords } from "../lib/csv_rows.ts";
import { NotFoundError } from "../lib/errors.ts";
import {
  checkHeader,
  ImportFileError,
  type ImportResult,
  type OnConflict,
} from "../lib/patient_import.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";
import { formText, readForm } from "./form_body.ts";

export const importRoutes = new Hono<AppEnv>();
importRoutes.use("/patients/import", requireUser());
importRoutes.use("/patients/import/*", requireUser());

function summarize(result: ImportResult): ImportSummary {
  return {
    inserted: result.inserted,
    updated: result.updated,
    skipped: result.skipped,
    rows: result.rows,
    errorCount: result.errors.length,
    badRows: new Set(result.errors.map((e) => e.line)).size,
    errors: result.errors.slice(0, LISTED_PROBLEMS),
  };
}

function conflictOf(text: string): OnConflict {
  return text === "update" ? "update" : "skip";
}

async function jobOf(c: Context<AppEnv>): Promise<ImportJob> {
  const id = c.req.param("id") ?? "";
  const job = /^[0-9a-f-]{36}$/.test(id)
    ? await findImport(c.get("deps").stores.accounts, c.get("user")!.id, id)
    : null;
  if (!job) throw new NotFoundError("There is no such import: it may have expired after a day.");
  return job;
}

/** Checks the stored file again (a dry run) and keeps the summary with the upload. */
async function preview(c: Context<AppEnv>, job: ImportJob, onConflict: OnConflict) {
  const { stores, config } = c.get("deps");
  const result = await c.get("patients").importRecords(
    actorOf(c),
    readCsvRecords(uploadBytes(stores.accounts, job.id), config.importMaxBytes),
    { onConflict, dryRun: true },
  );
  const summary = summarize(result);
  await updateImport(stores.accounts, job.id, {
    onConflict,
    rowsTotal: result.rows,
    result: summary,
  });
  return summary;
}

function uploadPage(c: Context<AppEnv>, onConflict: OnConflict, error?: string) {
  return c.render(
    <ImportUploadPage
      csrfToken={csrfToken(c)}
      maxBytes={c.get("deps").config.importMaxBytes}
      onConflict={onConflict}
      error={error}
    />,
    { title: "Import patients" },
  );
}

importRoutes.get("/patients/import", (c) => uploadPage(c, "skip"));

importRoutes.post("/patients/import", async (c) => {
  const { stores, config } = c.get("deps");
  const form = await readForm(c);
  const onConflict = conflictOf(String(form.on_conflict ?? ""));
  const file = form.file;
  if (!(file instanceof File) || file.size === 0) {
    c.status(422);
    return uploadPage(c, onConflict, "Choose a CSV file to import.");
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    // Checked before it is kept: a file that is not the dataset's table is refused at once.
    const check = readCsvRecords(bytes, config.importMaxBytes);
    const first = await check.next();
    await check.return(undefined);
    if (first.done || "error" in first.value) {
      throw new ImportFileError("The file is empty or not a CSV table: it has no header row.");
    }
    checkHeader(first.value.values);
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    c.status(422);
    return uploadPage(c, onConflict, error.message);
  }
  const job = await saveUpload(stores.accounts, {
    userId: c.get("user")!.id,
    fileName: file.name || "upload.csv",
    bytes,
    onConflict,
  });
  await preview(c, job, onConflict);
  return c.redirect(`/patients/import/${job.id}`, 303);
});

importRoutes.get("/patients/import/:id", async (c) => {
  const job = await jobOf(c);
  const summary = job.result as ImportSummary | null;
  if (job.status === "previewed" && summary) {
    return c.render(<ImportPreviewPage job={job} summary={summary} csrfToken={csrfToken(c)} />, {
      title: "Check before importing",
    });
  }
  return c.render(<ImportStatusPage job={job} summary={summary} />, {
    title: `Import of ${job.fileName}`,
  });
});

importRoutes.post("/patients/import/:id/preview", async (c) => {
  const job = await jobOf(c);
  if (job.status === "previewed") {
    await preview(c, job, conflictOf(await formText(c, "on_conflict")));
  }
  return c.redirect(`/patients/import/${job.id}`, 303);
});

/** Imports the stored file; records progress and the outcome with the upload. */
async function run(c: Context<AppEnv>, job: ImportJob): Promise<void> {
  const { stores, config, log } = c.get("deps");
  const patients = c.get("patients");
  const actor = actorOf(c);
  try {
    const result = await patients.importRecords(
      actor,
      readCsvRecords(uploadBytes(stores.accounts, job.id), config.importMaxBytes),
      {
        onConflict: job.onConflict,
        dryRun: false,
        onProgress: (rows) => updateImport(stores.accounts, job.id, { rowsDone: rows }),
      },
    );
    await updateImport(stores.accounts, job.id, {
      status: "done",
      rowsDone: result.rows,
      result: summarize(result),
    });
  } catch (error) {
    log(`${new Date().toISOString()} ${actor.requestId} import ${job.id} failed: ${error}`);
    await updateImport(stores.accounts, job.id, { status: "failed" }).catch(() => {});
  }
}

importRoutes.post("/patients/import/:id/run", async (c) => {
  const job = await jobOf(c);
  // Only one request starts an upload's import: a second click or tab finds it running.
  const started = job.status === "previewed" &&
    await claimImport(c.get("deps").stores.accounts, job.id, "previewed");
  if (!isFragmentRequest(c)) {
    if (started) await run(c, job);
    return c.redirect(`/patients/import/${job.id}`, 303);
  }
  if (started) run(c, job); // in the background: the page polls for progress
  // The page becomes the import's own: its progress, then its report.
  const now = (await findImport(c.get("deps").stores.accounts, job.userId, job.id))!;
  return c.html(<ImportStatusPage job={now} summary={now.result as ImportSummary | null} />);
});

importRoutes.get("/patients/import/:id/progress", async (c) => {
  const job = await jobOf(c);
  if (job.status === "running") return c.html(<ImportProgress job={job} />);
  return c.html(<ImportReport job={job} summary={job.result as ImportSummary | null} />);
});

importRoutes.get("/patients/import/:id/problems.csv", async (c) => {
  const job = await jobOf(c);
  const { stores, config } = c.get("deps");
  // Every problem, found again in the stored file (the page lists only the first ones).
  const result = await c.get("patients").importRecords(
    actorOf(c),
    readCsvRecords(uploadBytes(stores.accounts, job.id), config.importMaxBytes),
    { onConflict: job.onConflict, dryRun: true },
  );
  const lines = [
    csvLine(["line", "field", "value", "message"]),
    ...result.errors.map((e) => csvLine([String(e.line), e.field, e.value, e.message])),
  ];
  const name = `${job.fileName.replace(/\.csv$/i, "").replace(/[^\w.-]+/g, "_")}-problems.csv`;
  c.header("Content-Disposition", `attachment; filename="${name}"`);
  return c.body(lines.join(""), 200, { "Content-Type": "text/csv; charset=utf-8" });
});
