/** The CSV import in the browser: upload, preview with every problem by line, progress, report. */
import { formatCount } from "../lib/count_format.ts";
import type { ImportJob } from "../db/imports.ts";
import type { ImportRowError } from "../lib/patient_import.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { CsrfField, FormAlert } from "./Form.tsx";

/** What a preview or an import found: counts, and the first problems (all of them are in the CSV). */
export interface ImportSummary {
  inserted: number;
  updated: number;
  skipped: number;
  rows: number;
  /** Problems in all. */
  errorCount: number;
  /** Rows with at least one problem. */
  badRows: number;
  errors: ImportRowError[];
}

/** How many problems a page lists (the download has every one). */
export const LISTED_PROBLEMS = 1000;

const n = formatCount;
const rows = (x: number) => `${n(x)} row${x === 1 ? "" : "s"}`;

function BackToPatients() {
  return (
    <p class="back">
      <a href="/patients">← All patients</a>
    </p>
  );
}

/** The choice for ids the user already has. */
function ConflictChoice({ value }: { value: "skip" | "update" }) {
  return (
    <fieldset class="choice">
      <legend>When a patient ID is already in your records</legend>
      <label>
        <input type="radio" name="on_conflict" value="skip" checked={value === "skip"} />{" "}
        Keep my record and skip the row
      </label>
      <label>
        <input type="radio" name="on_conflict" value="update" checked={value === "update"} />{" "}
        Replace my record with the file's values
      </label>
    </fieldset>
  );
}

export interface ImportUploadPageProps {
  csrfToken: string;
  maxBytes: number;
  onConflict: "skip" | "update";
  error?: string | undefined;
}

export function ImportUploadPage(props: ImportUploadPageProps) {
  return (
    <div class="import-page" hx-history="false">
      <BackToPatients />
      <h1>Import patients from a CSV file</h1>
      <p class="lead">
        The first row names the columns{" "}
        <code>{PATIENT_FIELDS.join(",")}</code>, in any order. You see what would be stored, and
        every row with a problem, before anything is imported.
      </p>
      <p>
        <a href="/api/patient_data/import/template" download>Download the template</a> ·{" "}
        <a href="/codebook">What each column may hold (codebook)</a>
      </p>
      <FormAlert message={props.error} />
      <form
        method="post"
        action="/patients/import"
        enctype="multipart/form-data"
        class="card stack"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        <div class={props.error ? "field field-invalid" : "field"}>
          <label for="import-file">CSV file</label>
          <p class="hint" id="import-file-hint">
            Up to {n(Math.floor(props.maxBytes / 1_000_000))}{" "}
            MB, UTF-8, comma-separated, as Excel, LibreOffice or Kaggle save it. An unknown BMI is
            {" "}
            <code>N/A</code> or empty.
          </p>
          <input
            id="import-file"
            type="file"
            name="file"
            accept=".csv,text/csv"
            required
            aria-describedby="import-file-hint"
            aria-invalid={props.error ? "true" : undefined}
          />
        </div>
        <ConflictChoice value={props.onConflict} />
        <button type="submit">Check the file</button>
      </form>
    </div>
  );
}

/** Every problem listed so far, by line, with the value as written. */
export function ProblemTable({ summary, csvHref }: { summary: ImportSummary; csvHref: string }) {
  if (summary.errorCount === 0) return null;
  const more = summary.errorCount - summary.errors.length;
  return (
    <section class="card" aria-labelledby="problems-heading">
      <h2 id="problems-heading">
        {rows(summary.badRows)} with problems ({n(summary.errorCount)} in all)
      </h2>
      <p>
        These rows are not imported. Correct them in your spreadsheet and import the file again:
        rows already imported are skipped.{" "}
        <a href={csvHref} download>Download every problem as CSV</a>
      </p>
      <div class="table-wrap" tabindex={0} role="region" aria-label="Problems by line">
        <table class="table problems">
          <caption class="visually-hidden">Problems by line</caption>
          <thead>
            <tr>
              <th scope="col" class="num">Line</th>
              <th scope="col">Column</th>
              <th scope="col">Value as written</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {summary.errors.map((e) => (
              <tr>
                <td class="num">{e.line}</td>
                <td>
                  <code>{e.field || "(row)"}</code>
                </td>
                <td>
                  {e.value === "" ? <span class="muted">(empty)</span> : <code>{e.value}</code>}
                </td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more > 0 && (
        <p class="muted">
          And {n(more)} more: the CSV has them all.
        </p>
      )}
    </section>
  );
}

function Counts({ summary, done }: { summary: ImportSummary; done: boolean }) {
  const verb = done ? "" : "would be ";
  return (
    <ul class="counts" aria-label={done ? "What was imported" : "What the import would do"}>
      <li>
        <strong>{n(summary.inserted)}</strong> {verb}added
      </li>
      <li>
        <strong>{n(summary.updated)}</strong> {verb}updated
      </li>
      <li>
        <strong>{n(summary.skipped)}</strong> {verb}skipped (already in your records
        {summary.updated || done ? "" : ", unchanged"})
      </li>
      <li>
        <strong>{n(summary.badRows)}</strong> with problems, {done ? "not" : "would not be"}{" "}
        imported
      </li>
    </ul>
  );
}

export interface ImportPreviewPageProps {
  job: ImportJob;
  summary: ImportSummary;
  csrfToken: string;
}

/** The preview: counts, problems, the conflict choice and the button that imports. */
export function ImportPreviewPage({ job, summary, csrfToken }: ImportPreviewPageProps) {
  const base = `/patients/import/${job.id}`;
  const storable = summary.inserted + summary.updated;
  return (
    <div class="import-page" id="import-page" hx-history="false">
      <BackToPatients />
      <h1>Check before importing</h1>
      <p class="lead">
        <code>{job.fileName}</code>: {rows(summary.rows)} read. Nothing is stored yet.
      </p>
      <Counts summary={summary} done={false} />
      <form method="post" action={`${base}/preview`} class="card conflict-form">
        <CsrfField token={csrfToken} />
        <ConflictChoice value={job.onConflict} />
        <button type="submit" class="button-secondary">Check again with this choice</button>
      </form>
      <ProblemTable summary={summary} csvHref={`${base}/problems.csv`} />
      <div id="import-run">
        <form
          method="post"
          action={`${base}/run`}
          hx-post={`${base}/run`}
          hx-target="#import-page"
          hx-swap="outerHTML"
          class="actions"
        >
          <CsrfField token={csrfToken} />
          <button type="submit" disabled={storable === 0}>
            {storable === 0 ? "Nothing to import" : `Import ${rows(storable)}`}
          </button>
          <a class="button button-secondary" href="/patients/import">Choose another file</a>
        </form>
      </div>
    </div>
  );
}

/** While the import runs: a progress bar that asks again every half second. */
export function ImportProgress({ job }: { job: ImportJob }) {
  const total = Math.max(job.rowsTotal, 1);
  return (
    <div
      id="import-progress"
      class="card"
      hx-get={`/patients/import/${job.id}/progress`}
      hx-trigger="every 500ms"
      hx-target="#import-run"
      hx-swap="innerHTML"
      role="status"
    >
      <label for="import-progress-bar">
        Importing: {n(job.rowsDone)} of {rows(job.rowsTotal)} read
      </label>
      <progress id="import-progress-bar" max={total} value={Math.min(job.rowsDone, total)}>
        {Math.round((job.rowsDone / total) * 100)}%
      </progress>
      <p class="hint">You can keep using the app; this page updates by itself.</p>
    </div>
  );
}

/** The outcome of a finished (or failed) import. */
export function ImportReport(
  { job, summary }: { job: ImportJob; summary: ImportSummary | null },
) {
  if (job.status === "failed" || !summary) {
    return (
      <div class="alert alert-error" role="alert">
        The import of <code>{job.fileName}</code>{" "}
        stopped before it finished: the database could not be reached. Rows stored before the stop
        are kept; import the file again to add the rest (stored rows are skipped).
      </div>
    );
  }
  return (
    <div class="import-report" role="status">
      <div class="alert alert-ok">
        <strong>Import finished.</strong> <code>{job.fileName}</code>: {rows(summary.rows)} read.
      </div>
      <Counts summary={summary} done />
      <ProblemTable summary={summary} csvHref={`/patients/import/${job.id}/problems.csv`} />
      <p class="actions">
        <a class="button" href="/patients">Go to your patients</a>
        <a class="button button-secondary" href="/patients/import">Import another file</a>
      </p>
    </div>
  );
}

/** The page of an import that runs or has run. */
export function ImportStatusPage(
  { job, summary }: { job: ImportJob; summary: ImportSummary | null },
) {
  return (
    <div class="import-page" id="import-page" hx-history="false">
      <BackToPatients />
      <h1>Import of {job.fileName}</h1>
      <div id="import-run">
        {job.status === "running"
          ? <ImportProgress job={job} />
          : <ImportReport job={job} summary={summary} />}
      </div>
    </div>
  );
}
