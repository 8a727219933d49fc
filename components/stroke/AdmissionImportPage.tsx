/**
 * `/patients/admissions/import`: a CSV file of admissions checked (every bad row by line, what
 * would be added, changed or skipped) and imported, from one form — under htmx the report takes
 * the place of the last one and the chosen file stays chosen, so "Import" after "Check the file"
 * sends the same file.
 */
import { formatCount } from "../../lib/count_format.ts";
import type { AdmissionImportResult } from "../../lib/admission_import.ts";
import { MAX_ADMISSIONS_PER_PATIENT } from "../../lib/admission_store.ts";
import { ADMISSION_CSV_COLUMNS } from "../../lib/stroke/admission_json.ts";
import { CsrfField, FormAlert } from "../Form.tsx";
import { ConflictChoice, ImportPage, ProblemTable } from "../ImportPages.tsx";
import { here } from "../registry_url.ts";

/** The page's address (its form posts to it too). */
export const ADMISSIONS_IMPORT_PAGE = "/patients/admissions/import";

/** Where the report goes (htmx swaps it in place). */
export const ADMISSION_IMPORT_RESULT_ID = "admission-import-result";

const n = formatCount;
const admissions = (x: number) => `${n(x)} admission${x === 1 ? "" : "s"}`;
const rows = (x: number) => `${n(x)} row${x === 1 ? "" : "s"}`;
const would = (result: AdmissionImportResult) => result.dry_run ? " would be" : "";

export interface AdmissionImportPageProps {
  csrfToken: string;
  maxBytes: number;
  /** The zone a time without an offset is read in. */
  zone: string;
  onConflict: "skip" | "update";
  /** What the last check or import found. */
  result?: AdmissionImportResult | undefined;
  /** Why the file was refused as a whole (header, size, a file of bad rows, busy). */
  error?: string | undefined;
}

/** What a check or an import did, and its problems by line. */
export function AdmissionImportReport(
  { result, error }: Pick<AdmissionImportPageProps, "result" | "error">,
) {
  return (
    <div id={ADMISSION_IMPORT_RESULT_ID} aria-live="polite">
      <FormAlert message={error} />
      {result && (
        <>
          <div class={`alert ${result.dry_run ? "alert-note" : "alert-ok"}`} role="status">
            <p>
              {result.dry_run ? "Checked" : "Imported"} {rows(result.rows)}: {[
                `${admissions(result.inserted)}${would(result)} added`,
                `${n(result.updated)}${would(result)} changed`,
                `${n(result.skipped)} skipped (the patient has that admission already)`,
                `${rows(result.bad_rows)} with problems`,
              ].join(", ")}.
            </p>
            {result.dry_run && (
              <p>
                Nothing was stored. Press <strong>Import</strong> to store the good rows.
              </p>
            )}
          </div>
          <ProblemTable
            summary={result}
            advice={
              <>
                These rows {result.dry_run ? "would not be" : "are not"} imported. A row without an
                {" "}
                <code>admission_id</code>{" "}
                is added again each time its file is imported: correct these rows and import a file
                of them alone.
              </>
            }
          />
        </>
      )}
    </div>
  );
}

export function AdmissionImportPage(props: AdmissionImportPageProps) {
  const lead = (
    <>
      The first row names the columns <code>{ADMISSION_CSV_COLUMNS.join(",")}</code>, in any order:
      {" "}
      <code>patient_id</code>, <code>stroke_type</code> and <code>arrival_at</code>{" "}
      are needed, an unknown value is an empty cell, and a time without an offset is read on the
      clock of {props.zone}. A row without <code>admission_id</code>{" "}
      is a new admission; a file exported here keeps its numbers.
    </>
  );
  return (
    <ImportPage
      title="Import admissions from a CSV file"
      links={["/api/admissions/import/template", "/codebook#admissions"]}
      lead={lead}
    >
      <form
        method="post"
        action={here(ADMISSIONS_IMPORT_PAGE)}
        enctype="multipart/form-data"
        class="card stack"
        hx-post={here(ADMISSIONS_IMPORT_PAGE)}
        hx-encoding="multipart/form-data"
        hx-target={`#${ADMISSION_IMPORT_RESULT_ID}`}
        hx-swap="outerHTML"
        hx-sync="this:drop"
        hx-disabled-elt="find button[value=true], find button[value=false]"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        <div class="field">
          <label for="admission-import-file">CSV file</label>
          <p class="hint" id="admission-import-file-hint">
            Up to {n(Math.floor(props.maxBytes / 1_000_000))}{" "}
            MB, UTF-8, comma-separated. A patient has at most {n(MAX_ADMISSIONS_PER_PATIENT)}{" "}
            admissions.
          </p>
          <input
            id="admission-import-file"
            type="file"
            name="file"
            accept=".csv,text/csv"
            required
            aria-describedby="admission-import-file-hint"
          />
        </div>
        <ConflictChoice
          value={props.onConflict}
          legend="When a row names an admission the patient has"
          words={{
            skip: "Keep the stored admission and skip the row",
            update: "Change the stored admission to the file's values",
          }}
        />
        <div class="actions">
          <button type="submit" name="dry_run" value="true">Check the file</button>
          <button type="submit" name="dry_run" value="false" class="button-secondary">
            Import
          </button>
        </div>
      </form>
      <AdmissionImportReport result={props.result} error={props.error} />
    </ImportPage>
  );
}
