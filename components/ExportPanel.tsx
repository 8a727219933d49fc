/** Export of the list as it is filtered and sorted: plain CSV and JSON, and a de-identified CSV whose k-anonymity is shown before the download. */
import { formatCount } from "../lib/count_format.ts";
import { FIELD_LABELS } from "../lib/patient_fields.ts";
import { listQueryString, type PatientListQuery } from "../lib/patient_query.ts";
import { QUASI_IDENTIFIERS } from "../lib/patient_export.ts";
import { DOM_IDS } from "./htmx.ts";

/** The query string of an export of this view: its filters and sort, without paging. */
export function exportQueryString(query: PatientListQuery, extra: Record<string, string> = {}) {
  const params = new URLSearchParams(listQueryString({ ...query, page: 1, perPage: 50 }));
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

/** The filters and sort as hidden inputs, so that a form sends the same view. */
function ViewInputs({ query }: { query: PatientListQuery }) {
  const params = new URLSearchParams(exportQueryString(query));
  return (
    <>{[...params].map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>
  );
}

/** Default smallest group of a de-identified export (a common threshold for sharing). */
export const DEFAULT_K_MIN = 5;

function exportHref(query: PatientListQuery, extra: Record<string, string>): string {
  const qs = exportQueryString(query, extra);
  return `/api/patient_data/export${qs ? `?${qs}` : ""}`;
}

/** The part that follows the list's view: the count, the links and the view's inputs. */
export function ExportView(
  { query, total, oob }: { query: PatientListQuery; total: number; oob?: boolean | undefined },
) {
  return (
    <div id={DOM_IDS.exportView} hx-swap-oob={oob ? "true" : undefined}>
      <p>
        The {formatCount(total)}{" "}
        patients of this view, with its filters and sort, in the dataset's format:{" "}
        <a href={exportHref(query, {})} download>CSV</a> ·{" "}
        <a href={exportHref(query, { format: "json" })} download>JSON</a>
      </p>
      <ViewInputs query={query} />
    </div>
  );
}

export function ExportPanel({ query, total }: { query: PatientListQuery; total: number }) {
  const groups = QUASI_IDENTIFIERS.map((f) =>
    f === "age" ? "age (5-year band)" : FIELD_LABELS[f].toLowerCase()
  ).join(", ");
  return (
    <details class="card export-panel" id="export">
      <summary>Export</summary>
      <form method="get" action="/api/patient_data/export" class="deidentify">
        <ExportView query={query} total={total} />
        <h3>De-identified, for sharing outside the care team</h3>
        <p class="hint">
          IDs are replaced by random numbers, ages by five-year bands (90+ at the top), and the rows
          are shuffled. Rows whose combination of {groups}{" "}
          is shared by fewer than the number below are left out.
        </p>
        <input type="hidden" name="deidentify" value="true" />
        <div class="field">
          <label for="export-k-min">Smallest group kept (k)</label>
          <input
            id="export-k-min"
            name="k_min"
            type="number"
            inputmode="numeric"
            min="1"
            step="1"
            value={String(DEFAULT_K_MIN)}
          />
        </div>
        <div class="actions">
          <button
            type="button"
            class="button-secondary"
            hx-get="/patients/export/anonymity"
            hx-include="closest form"
            hx-target="#export-check"
            hx-push-url="false"
          >
            Check what would be left out
          </button>
          <button type="submit">Download de-identified CSV</button>
        </div>
        <div id="export-check" aria-live="polite"></div>
      </form>
    </details>
  );
}

/** What the de-identified export would hold, in words. */
export function AnonymityCheck(
  props: { k: number; suppressed: number; total: number; kMin: number; smallestGroup: number },
) {
  const n = formatCount;
  return (
    <div class="alert alert-ok" role="status">
      <p>
        Of {n(props.total)} patients, {props.suppressed === 0
          ? "none would be left out"
          : `${n(props.suppressed)} would be left out (groups smaller than ${props.kMin})`}; the
        export would hold{" "}
        {n(props.total - props.suppressed)}, each sharing its combination with at least {n(props.k)}
        {" "}
        {props.k === 1 ? "patient (itself)" : "patients"}.
      </p>
      <p class="hint">
        Without leaving any out, the smallest group has {n(props.smallestGroup)}{" "}
        {props.smallestGroup === 1 ? "patient: someone is unique" : "patients"}.
      </p>
    </div>
  );
}
