/**
 * The CSV import in the browser: upload, a preview that tells what would happen to each row
 * (the rows that differ from your records, field by field, and the first problems by line), the
 * run with its progress, and the report (with the ids given to rows that had none).
 */
import { formatCount } from "../lib/count_format.ts";
import { andMore, type ImportResult } from "../lib/import_report.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import type { Child } from "hono/jsx";
import { CsrfField, FormAlert } from "./Form.tsx";
import { ChangeCells } from "./HistoryPanel.tsx";
import { here } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

/**
 * What a preview or an import found (bounded lists, see `import_report.ts`) and, for a file
 * that stopped early, why.
 */
export type ImportSummary = ImportResult & { stopped?: string };

/** An upload as the pages show it (the stored job holds more: its lease, its run, its result). */
export interface ImportView {
  id: string;
  fileName: string;
  onConflict: "skip" | "update";
  status: "previewed" | "running" | "done" | "failed";
  rowsTotal: number;
  rowsDone: number;
}

const n = formatCount;
const rows = (x: number) => `${n(x)} row${x === 1 ? "" : "s"}`;

function BackToPatients() {
  return (
    <p class="back">
      <a href={here("/patients")}>← All patients</a>
    </p>
  );
}

/**
 * The choice for ids the user already has; `recheck`, the htmx attributes that check the file
 * again when it changes.
 */
export function ConflictChoice(
  { value, recheck = {}, legend = "When a patient ID is already in your records", words = {} }: {
    value: "skip" | "update";
    recheck?: Record<string, string>;
    legend?: string;
    /** Each choice in other words (an admissions file's). */
    words?: Partial<Record<"skip" | "update", string>>;
  },
) {
  const choices = [
    ["skip", words.skip ?? "Keep my record and skip the row"],
    ["update", words.update ?? "Replace my record with the file's values"],
  ] as const;
  return (
    <fieldset class="choice">
      <legend>{legend}</legend>
      {choices.map(([choice, words]) => (
        <label>
          <input
            type="radio"
            name="on_conflict"
            value={choice}
            checked={value === choice}
            {...recheck}
          />{" "}
          {words}
        </label>
      ))}
    </fieldset>
  );
}

export interface ImportUploadPageProps {
  csrfToken: string;
  maxBytes: number;
  onConflict: "skip" | "update";
  error?: string | undefined;
}

/**
 * An import page: the way back, its title (with the registry), what the file holds (`lead`), the
 * links to its template and codebook (`links`: the template's, then the codebook's), then
 * `children`.
 */
export function ImportPage(
  { title, links, lead, children }: {
    title: string;
    links: [template: string, codebook: string];
    lead: Child;
    children: Child;
  },
) {
  return (
    <div class="import-page" hx-history="false">
      <BackToPatients />
      <h1>
        {title}
        <RegistryTag />
      </h1>
      <p class="lead">{lead}</p>
      <p>
        <a href={links[0]} download>Download the template</a> ·{" "}
        <a href={links[1]}>What each column may hold (codebook)</a>
      </p>
      {children}
    </div>
  );
}

export function ImportUploadPage(props: ImportUploadPageProps) {
  const lead = (
    <>
      The first row names the columns{" "}
      <code>{PATIENT_FIELDS.join(",")}</code>, in any order. You see what would be stored, and every
      row with a problem, before anything is imported.
    </>
  );
  return (
    <ImportPage
      title="Import patients from a CSV file"
      links={["/api/patient_data/import/template", "/codebook"]}
      lead={lead}
    >
      <FormAlert message={props.error} />
      <form
        method="post"
        action={here("/patients/import")}
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
    </ImportPage>
  );
}

/**
 * The first problems, by line, with an excerpt of the value as written; `advice` says what to do
 * about them (by default: correct them and import the file again), `csvHref` where to download
 * them.
 */
export function ProblemTable(
  { summary, csvHref, advice }: {
    summary: Pick<ImportSummary, "errors" | "errors_total" | "bad_rows">;
    csvHref?: string;
    advice?: Child;
  },
) {
  if (!summary.errors_total) return null;
  const more = andMore(summary.errors_total, summary.errors.length, "problem");
  return (
    <section class="card" aria-labelledby="problems-heading">
      <h2 id="problems-heading">
        {rows(summary.bad_rows)} with problems ({n(summary.errors_total)} in all)
      </h2>
      <p>
        {advice ?? (
          <>
            These rows are not imported. Correct them in your spreadsheet and import the file again:
            rows already imported are skipped.
          </>
        )}
        {csvHref && (
          <>
            {" "}
            <a href={csvHref} download>Download the problems as CSV</a>
          </>
        )}
      </p>
      <ListTable
        name="problems"
        label="Problems by line"
        columns={[["Line", "num"], ["Column"], ["Value as written"], ["Problem"]]}
      >
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
      </ListTable>
      {more && (
        <p class="muted">
          {capitalized(more)}, not listed: correct these and check the file again to see them.
        </p>
      )}
    </section>
  );
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A table of the import's lists, in a region that scrolls sideways on a narrow screen. */
function ListTable(
  { name, label, columns, children }: {
    /** Its class beside `table`. */
    name: string;
    label: string;
    /** Each column's heading; numbers (`num`) align right. */
    columns: [string, "num"?][];
    children: Child;
  },
) {
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-label={label}>
      <table class={`table ${name}`}>
        <caption class="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {columns.map(([heading, kind]) => <th scope="col" class={kind}>{heading}</th>)}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/**
 * The rows whose id is already the user's with other values: each field that differs, the
 * stored value and the file's (the first ones; the rest counted).
 */
export function DifferenceTable(
  { summary, onConflict, done }: {
    summary: ImportSummary;
    onConflict: "skip" | "update";
    done: boolean;
  },
) {
  if (!summary.differences_total) return null;
  const update = onConflict === "update";
  const verb = update
    ? (done ? "were updated" : "would be updated")
    : done
    ? "were skipped"
    : "would be skipped";
  const more = andMore(summary.differences_total, summary.differences.length, "row");
  return (
    <section class="card" aria-labelledby="differences-heading">
      <h2 id="differences-heading">
        {rows(summary.differences_total)} {done ? "differed" : "differ"} from your records
      </h2>
      <p>
        These patient IDs are already in your records with other values; they {verb}
        {update ? " with the file's values" : ", keeping your records as they are"}.
      </p>
      <ListTable
        name="differences"
        label="Rows that differ from your records"
        columns={[["Line", "num"], ["Patient ID", "num"], ["Column"], ["In your records"], [
          "In the file",
        ]]}
      >
        {summary.differences.flatMap((d) =>
          Object.entries(d.changes).map(([field, [before, after]], i) => (
            <tr>
              <td class="num">{i === 0 ? d.line : ""}</td>
              <td class="num">{i === 0 ? d.id : ""}</td>
              <ChangeCells field={field} before={before} after={after} />
            </tr>
          ))
        )}
      </ListTable>
      {more && <p class="muted">{capitalized(more)} differ as well.</p>}
    </section>
  );
}

/** The ids given to rows that had none (the first ones; the rest counted). */
function AssignedIds({ summary }: { summary: ImportSummary }) {
  if (!summary.assigned_ids_total) return null;
  const ids = summary.assigned_ids;
  const more = andMore(summary.assigned_ids_total, ids.length, "row");
  return (
    <section class="card" aria-labelledby="assigned-heading">
      <h2 id="assigned-heading">
        IDs given to {rows(summary.assigned_ids_total)} without one
      </h2>
      <ListTable
        name="assigned-ids"
        label="IDs given to rows without one"
        columns={[["Line", "num"], ["Patient ID", "num"]]}
      >
        {ids.map((a) => (
          <tr>
            <td class="num">{a.line}</td>
            <td class="num">
              <a href={here(`/patients/${a.id}`)}>{a.id}</a>
            </td>
          </tr>
        ))}
      </ListTable>
      {more && <p class="muted">{capitalized(more)} got IDs as well.</p>}
    </section>
  );
}

function Counts(
  { summary, onConflict, done }: {
    summary: ImportSummary;
    onConflict: "skip" | "update";
    done: boolean;
  },
) {
  const would = done ? "" : "would be ";
  // Under skip, the rows that differ are skipped too, but never called unchanged.
  const differing = onConflict === "skip" ? summary.differences_total : 0;
  return (
    <ul class="counts" aria-label={done ? "What was imported" : "What the import would do"}>
      <li>
        <strong>{n(summary.inserted)}</strong> {would}added
      </li>
      {onConflict === "update"
        ? (
          <li>
            <strong>{n(summary.updated)}</strong> {would}updated (they differ from your records)
          </li>
        )
        : (
          <li>
            <strong>{n(differing)}</strong> {would}skipped because they differ from your records
          </li>
        )}
      <li>
        <strong>{n(summary.skipped - differing)}</strong>{" "}
        {would}skipped (already in your records, unchanged)
      </li>
      <li>
        <strong>{n(summary.bad_rows)}</strong> with problems, {done ? "not" : "would not be"}{" "}
        imported
      </li>
    </ul>
  );
}

export interface ImportPreviewPageProps {
  job: ImportView;
  summary: ImportSummary;
  csrfToken: string;
  /** Why the page is shown again: the choice sent differed from the one checked. */
  notice?: string | undefined;
}

/**
 * The preview: what would happen, the rows that differ, the problems, and one form with the
 * conflict choice and the button that imports. The choice on screen is the one that runs:
 * changing it checks the file again (htmx), and without JavaScript an Import with another
 * choice than the one checked shows the new preview instead of importing.
 */
export function ImportPreviewPage({ job, summary, csrfToken, notice }: ImportPreviewPageProps) {
  const base = `/patients/import/${job.id}`;
  const at = (step: string) => here(`${base}/${step}`);
  const storable = summary.inserted + summary.updated;
  const target = { "hx-target": "#import-page", "hx-swap": "outerHTML" };
  return (
    <div class="import-page" id="import-page" hx-history="false">
      <BackToPatients />
      <h1>
        Check before importing<RegistryTag />
      </h1>
      <p class="lead">
        <code>{job.fileName}</code>: {rows(summary.rows)} read. Nothing is stored yet.
      </p>
      {summary.stopped
        ? <FormAlert message={summary.stopped} />
        : <Counts summary={summary} onConflict={job.onConflict} done={false} />}
      {notice && (
        <p class="alert alert-note" role="status">
          {notice}
        </p>
      )}
      {!summary.stopped && (
        <form method="post" action={at("run")} class="card conflict-form" id="import-run">
          <CsrfField token={csrfToken} />
          <ConflictChoice
            value={job.onConflict}
            recheck={{
              "hx-post": at("preview"),
              "hx-trigger": "change",
              // No import with the old counts while the new ones are on their way.
              "hx-disabled-elt": "#import-run button",
              ...target,
            }}
          />
          <p class="actions">
            <button
              type="submit"
              disabled={storable === 0}
              hx-post={at("run")}
              hx-disabled-elt="this"
              {...target}
            >
              {storable === 0 ? "Nothing to import" : `Import ${rows(storable)}`}
            </button>
            <button
              type="submit"
              class="button-secondary"
              formaction={at("preview")}
              hx-post={at("preview")}
              {...target}
            >
              Check again with this choice
            </button>
            <a class="button button-secondary" href={here("/patients/import")}>
              Choose another file
            </a>
          </p>
        </form>
      )}
      <DifferenceTable summary={summary} onConflict={job.onConflict} done={false} />
      <ProblemTable summary={summary} csvHref={at("problems.csv")} />
      {summary.stopped && (
        <p class="actions">
          <a class="button" href={here("/patients/import")}>Choose another file</a>
        </p>
      )}
    </div>
  );
}

/** While the import runs: a progress bar that asks again every half second. */
export function ImportProgress({ job }: { job: ImportView }) {
  const total = Math.max(job.rowsTotal, 1);
  return (
    <div
      id="import-progress"
      class="card"
      hx-get={here(`/patients/import/${job.id}/progress`)}
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
  { job, summary, csrfToken, failure }: {
    job: ImportView;
    summary: ImportSummary | null;
    csrfToken: string;
    /** Why the last run failed, when the file itself was the reason. */
    failure?: string | null | undefined;
  },
) {
  if (job.status === "failed" || !summary) {
    const base = `/patients/import/${job.id}`;
    return (
      <div class="import-report" role="alert">
        <div class="alert alert-error">
          The import of <code>{job.fileName}</code> stopped before it finished{failure
            ? `: ${failure}`
            : ": the database could not be reached, or the app stopped while importing."}{" "}
          Rows stored before the stop are kept. Running it again goes on where it stopped: nothing
          is imported twice.
        </div>
        <form method="post" action={here(`${base}/run`)} class="actions">
          <CsrfField token={csrfToken} />
          <button
            type="submit"
            hx-post={here(`${base}/run`)}
            hx-target="#import-page"
            hx-swap="outerHTML"
          >
            Run the import again
          </button>
          <a class="button button-secondary" href={here("/patients/import")}>
            Import another file
          </a>
        </form>
      </div>
    );
  }
  return (
    <div class="import-report" role="status">
      <div class="alert alert-ok">
        <strong>Import finished.</strong> <code>{job.fileName}</code>: {rows(summary.rows)} read.
      </div>
      <Counts summary={summary} onConflict={job.onConflict} done />
      <AssignedIds summary={summary} />
      <DifferenceTable summary={summary} onConflict={job.onConflict} done />
      <ProblemTable
        summary={summary}
        csvHref={here(`/patients/import/${job.id}/problems.csv`)}
      />
      <p class="actions">
        <a class="button" href={here("/patients")}>Go to your patients</a>
        <a class="button button-secondary" href={here("/patients/import")}>Import another file</a>
      </p>
    </div>
  );
}

/** The page of an import that runs or has run. */
export function ImportStatusPage(
  { job, summary, csrfToken, failure }: {
    job: ImportView;
    summary: ImportSummary | null;
    csrfToken: string;
    failure?: string | null | undefined;
  },
) {
  return (
    <div class="import-page" id="import-page" hx-history="false">
      <BackToPatients />
      <h1>
        Import of {job.fileName}
        <RegistryTag />
      </h1>
      <div id="import-run">
        {job.status === "running"
          ? <ImportProgress job={job} />
          : <ImportReport job={job} summary={summary} csrfToken={csrfToken} failure={failure} />}
      </div>
    </div>
  );
}
