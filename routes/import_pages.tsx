/**
 * `/patients/import`: upload a CSV, see the preview (what would happen to each row, the first
 * problems by line), then import it — in the background with a progress bar under htmx, or
 * within the request without JavaScript — and read the report. The upload waits in the accounts
 * database between steps (a few per user); the run survives its instance (`import_runner.ts`).
 * An upload belongs to the registry it was checked in: its pages answer in that registry only
 * (every step's address carries it), and only a role that may import sees them.
 */
import { type Context, Hono } from "hono";
import {
  ImportPreviewPage,
  ImportProgress,
  ImportReport,
  ImportStatusPage,
  type ImportSummary,
  ImportUploadPage,
} from "../components/ImportPages.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import {
  findImport,
  type ImportJob,
  saveUpload,
  updatePreview,
  uploadBytes,
} from "../db/accounts/imports.ts";
import { readCsvRecords } from "../lib/csv_rows.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { NotFoundError, ThrottledError } from "../lib/errors.ts";
import { andMore } from "../lib/import_report.ts";
import {
  ImportFileError,
  ImportStoppedError,
  type OnConflict,
  readHeader,
} from "../lib/patient_import.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { actorOf, needing } from "../http/actor.ts";
import { withRegistry } from "../http/current_registry.ts";
import type { AppEnv } from "../http/env.ts";
import { formText, readForm } from "../http/form_body.ts";
import { type ImportRun, type RunnerDeps, startImport, takeOver } from "../lib/import_runner.ts";

export const importRoutes = new Hono<AppEnv>();
importRoutes.use("*", requireUser(), needing("import"));

/** Uploads a user may have waiting; a newer one replaces the oldest. */
const UPLOADS_PER_USER = 3;
/** The app keeps at most this many files' worth of waiting uploads (in the accounts database). */
const UPLOADS_KEPT_FILES = 25;

function conflictOf(text: string): OnConflict {
  return text === "update" ? "update" : "skip";
}

function runnerDeps(c: Context<AppEnv>): RunnerDeps {
  const { stores, config, log } = c.get("deps");
  return {
    accounts: stores.accounts,
    registries: c.get("registries"),
    patients: c.get("patients"),
    config,
    log,
  };
}

/**
 * The registry an upload belongs to (by its id): the one its run acts in, else the one its
 * preview was checked in; null for an upload kept before registries (the personal one's).
 */
function registryOfJob(job: ImportJob): string | null {
  const run = job.run as ImportRun | null;
  if (run?.actor.registry) return run.actor.registry;
  const checked = (job.result as { registry?: unknown } | null)?.registry;
  return typeof checked === "string" ? checked : null;
}

/** Whether `job` belongs to the registry the request is in. */
function inThisRegistry(c: Context<AppEnv>, job: ImportJob): boolean {
  const access = c.get("registry")!;
  const of = registryOfJob(job);
  return of === null ? access.personal : of === access.registryId;
}

/** `path` in the request's registry (for a redirect). */
function inRegistry(c: Context<AppEnv>, path: string): string {
  return withRegistry(path, c.get("registry"));
}

/**
 * The user's import named in the path, in the request's registry. A running import whose
 * instance is gone (its lease ran out) is taken over here, in the background: the page that
 * polls it keeps it going.
 */
async function jobOf(c: Context<AppEnv>): Promise<ImportJob> {
  const id = c.req.param("id") ?? "";
  const { stores } = c.get("deps");
  const found = /^[0-9a-f-]{36}$/.test(id)
    ? await findImport(stores.accounts, c.get("user")!.id, id)
    : null;
  // An upload checked in another registry is not this one's: its preview says nothing of
  // this registry's records, and running it here would store it where it was not checked.
  const job = found && inThisRegistry(c, found) ? found : null;
  if (!job) {
    throw new NotFoundError(
      "There is no such import in this registry: it may have expired after a day, been " +
        `replaced by newer uploads (${UPLOADS_PER_USER} wait at most), or been uploaded in ` +
        "another registry.",
    );
  }
  // The run never rejects: it records its own failure.
  await takeOver(runnerDeps(c), job, actorOf(c));
  return job;
}

/** Checks the stored file again (a dry run) and keeps its summary with the upload. */
async function preview(c: Context<AppEnv>, job: ImportJob, onConflict: OnConflict) {
  const { stores, config } = c.get("deps");
  let summary: ImportSummary;
  try {
    summary = await c.get("patients").importRecords(
      actorOf(c),
      readCsvRecords(uploadBytes(stores.accounts, job.id), config.importMaxBytes),
      { onConflict, dryRun: true },
    );
  } catch (error) {
    if (!(error instanceof ImportStoppedError)) throw error;
    summary = { ...error.result, stopped: error.message };
  }
  // The preview keeps the registry it was checked in: the upload belongs to it from now on.
  const result = { ...summary, registry: c.get("registry")!.registryId };
  await updatePreview(stores.accounts, job.id, { onConflict, rowsTotal: summary.rows, result });
  return { ...job, onConflict, rowsTotal: summary.rows, result };
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

/** The preview, as a page or (htmx) as the fragment that replaces it. */
function previewPage(c: Context<AppEnv>, job: ImportJob, notice?: string) {
  const page = (
    <ImportPreviewPage
      job={job}
      summary={job.result as ImportSummary}
      csrfToken={csrfToken(c)}
      notice={notice}
    />
  );
  return isFragmentRequest(c) ? c.html(page) : c.render(page, { title: "Check before importing" });
}

/** The page of an import that runs or ran. */
function statusPage(c: Context<AppEnv>, job: ImportJob) {
  const page = (
    <ImportStatusPage
      job={job}
      summary={job.result as ImportSummary | null}
      csrfToken={csrfToken(c)}
      failure={(job.run as ImportRun | null)?.failure}
    />
  );
  return isFragmentRequest(c)
    ? c.html(page)
    : c.render(page, { title: `Import of ${job.fileName}` });
}

importRoutes.get("/", (c) => uploadPage(c, "skip"));

importRoutes.post("/", async (c) => {
  const { stores, config } = c.get("deps");
  const form = await readForm(c);
  const onConflict = conflictOf(String(form.on_conflict ?? ""));
  const file = form.file;
  if (!(file instanceof File) || file.size === 0) {
    c.status(422);
    return uploadPage(c, onConflict, "Choose a CSV file to import.");
  }
  // A check is heavy work: a user whose export or import still runs gets a 429 before the
  // upload is kept.
  return await c.get("heavyWork").run(actorOf(c), "import check", async () => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let job: ImportJob;
    try {
      // Checked before it is kept: a file that is not the dataset's table is refused at once.
      const check = readCsvRecords(bytes, config.importMaxBytes);
      try {
        await readHeader(check);
      } finally {
        await check.return(undefined);
      }
      job = await saveUpload(stores.accounts, {
        userId: c.get("user")!.id,
        fileName: file.name || "upload.csv",
        bytes,
        onConflict,
      }, {
        perUser: UPLOADS_PER_USER,
        totalBytes: UPLOADS_KEPT_FILES * config.importMaxBytes,
      });
    } catch (error) {
      if (error instanceof ImportFileError) c.status(422);
      else if (error instanceof ThrottledError) c.status(429);
      else throw error;
      return uploadPage(c, onConflict, error.message);
    }
    await preview(c, job, onConflict);
    return c.redirect(inRegistry(c, `/patients/import/${job.id}`), 303);
  });
});

importRoutes.get("/:id", async (c) => {
  let job = await jobOf(c);
  if (job.status !== "previewed") return statusPage(c, job);
  // A preview kept in an older shape (before an upgrade) is checked again.
  const summary = job.result as Partial<ImportSummary> | null;
  if (summary?.errors_total === undefined) job = await preview(c, job, job.onConflict);
  return previewPage(c, job);
});

importRoutes.post("/:id/preview", async (c) => {
  let job = await jobOf(c);
  if (job.status === "previewed") {
    job = await preview(c, job, conflictOf(await formText(c, "on_conflict")));
  }
  if (!isFragmentRequest(c)) return c.redirect(inRegistry(c, `/patients/import/${job.id}`), 303);
  return job.status === "previewed" ? previewPage(c, job) : statusPage(c, job);
});

/**
 * Runs the import: a previewed one with the choice the form sent (another choice than the one
 * checked is checked first, and shown, rather than run unseen), or a failed one again.
 */
importRoutes.post("/:id/run", async (c) => {
  let job = await jobOf(c);
  if (job.status === "previewed") {
    const sent = await formText(c, "on_conflict");
    if (sent !== "" && conflictOf(sent) !== job.onConflict) {
      job = await preview(c, job, conflictOf(sent));
      return previewPage(
        c,
        job,
        "You changed the choice for IDs already in your records: here is what the import " +
          "would do now. Press Import to go ahead.",
      );
    }
  }
  // Only one request starts an import: a second click or tab finds it running. A file whose
  // check stopped early is not imported.
  const stopped = job.status === "previewed" && (job.result as ImportSummary | null)?.stopped;
  const startable = (job.status === "previewed" && !stopped) || job.status === "failed";
  // A user whose export or check still runs gets a 429 here, rather than a run that fails in the
  // background: the slot is taken and given back at once (the run takes it again for itself; a
  // request slipping in between only makes the run fail, and the page offers to run it again).
  if (startable) (await c.get("heavyWork").acquire(actorOf(c), "import"))();
  const running = startable
    ? await startImport(runnerDeps(c), job, actorOf(c), [job.status])
    : null;
  if (!isFragmentRequest(c)) {
    await running?.done;
    return c.redirect(inRegistry(c, `/patients/import/${job.id}`), 303);
  }
  // Otherwise it runs in the background (it records its own failure): the page polls.
  // The page becomes the import's own: its progress, then its report.
  const now = (await findImport(c.get("deps").stores.accounts, job.userId, job.id))!;
  return statusPage(c, now);
});

importRoutes.get("/:id/progress", async (c) => {
  const job = await jobOf(c);
  if (job.status === "running") return c.html(<ImportProgress job={job} />);
  return c.html(
    <ImportReport
      job={job}
      summary={job.result as ImportSummary | null}
      csrfToken={csrfToken(c)}
      failure={(job.run as ImportRun | null)?.failure}
    />,
  );
});

/**
 * The problems the preview (or the import) found, as CSV: the first ones, as kept with the
 * upload — never found again by reading the file again — and how many more there are.
 */
importRoutes.use("/:id/problems.csv", ownSiteDownloads());
importRoutes.get("/:id/problems.csv", async (c) => {
  const job = await jobOf(c);
  const summary = job.result as ImportSummary | null;
  const lines = [csvLine(["line", "field", "value", "message"])];
  for (const e of summary?.errors ?? []) lines.push(csvLine([e.line, e.field, e.value, e.message]));
  const more = summary ? andMore(summary.errors_total, summary.errors.length, "problem") : "";
  if (more) lines.push(csvLine(["", "", "", `… ${more}, not listed`]));
  const name = `${job.fileName.replace(/\.csv$/i, "").replace(/[^\w.-]+/g, "_")}-problems.csv`;
  c.header("Content-Disposition", `attachment; filename="${name}"`);
  return c.body(lines.join(""), 200, { "Content-Type": "text/csv; charset=utf-8" });
});
