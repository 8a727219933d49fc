/**
 * Export of the list as it is filtered and sorted: plain CSV and JSON, and a de-identified CSV
 * whose k-anonymity is shown before the download; and the registry's admissions, plain or
 * de-identified.
 */
import { formatCount } from "../lib/count_format.ts";
import { FIELD_LABELS } from "../lib/patient_fields.ts";
import {
  DEFAULT_LIST_QUERY,
  DEFAULT_PER_PAGE,
  listQueryString,
  type PatientListQuery,
} from "../lib/patient_query.ts";
import { QUASI_IDENTIFIERS } from "../lib/patient_export.ts";
import { RegistryField } from "./Form.tsx";
import { DOM_IDS, listUrl } from "./htmx.ts";
import { OnOpen } from "./OnOpen.tsx";
import { here, mayDo, teamRegistry } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

/** The query string of an export of this view: its filters and sort, without paging. */
export function exportQueryString(query: PatientListQuery, extra: Record<string, string> = {}) {
  const qs = listQueryString({ ...query, page: 1, perPage: DEFAULT_PER_PAGE });
  const names = Object.keys(extra);
  if (names.length === 0) return qs;
  const params = new URLSearchParams(qs);
  for (const name of names) params.set(name, extra[name]!);
  return params.toString();
}

/** The query string of the admissions' export of this view: its filters (admissions have no sort). */
function admissionsQueryString(query: PatientListQuery): string {
  return exportQueryString({ ...query, sort: DEFAULT_LIST_QUERY.sort });
}

/** The ids of the de-identified exports' forms, fetched when the panel first opens. */
const DEIDENTIFY_FORM = "export-deidentify";
const ADMISSIONS_FORM = "export-admissions-form";

/**
 * The filters (and sort) as hidden inputs of the de-identified exports' forms, so that they send
 * the same view. They stand outside them (`form=`), in the part that follows the list's view.
 */
function ViewInputs({ query }: { query: PatientListQuery }) {
  const inputs = (form: string, qs: string) =>
    [...new URLSearchParams(qs)].map(([name, value]) => (
      <input type="hidden" form={form} name={name} value={value} />
    ));
  return (
    <>
      {inputs(DEIDENTIFY_FORM, exportQueryString(query))}
      {inputs(ADMISSIONS_FORM, admissionsQueryString(query))}
    </>
  );
}

/** "1 patient", "5,110 patients". */
const patientsOf = (total: number) => `${formatCount(total)} patient${total === 1 ? "" : "s"}`;

/** Default smallest group of a de-identified export (a common threshold for sharing). */
export const DEFAULT_K_MIN = 5;

function admissionsHref(query: PatientListQuery): string {
  const qs = admissionsQueryString(query);
  return here(`/api/admissions/export${qs ? `?${qs}` : ""}`);
}

function exportHref(query: PatientListQuery, extra: Record<string, string>): string {
  const qs = exportQueryString(query, extra);
  return here(`/api/patient_data/export${qs ? `?${qs}` : ""}`);
}

/**
 * The part that follows the list's view: the count, the links and the view's inputs. A role
 * that may export de-identified records only (viewer) gets no plain links, and is told so.
 */
export function ExportView(
  { query, total, oob }: { query: PatientListQuery; total: number; oob?: boolean | undefined },
) {
  const team = teamRegistry();
  return (
    <div id={DOM_IDS.exportView} hx-swap-oob={oob ? "true" : undefined}>
      {mayDo("export_plain")
        ? (
          <p>
            The {patientsOf(total)}{" "}
            of this view, with its filters and sort, in the dataset's format:{" "}
            <a href={exportHref(query, {})} download>CSV</a> ·{" "}
            <a href={exportHref(query, { format: "json" })} download>JSON</a>. Their admissions, one
            row each (the import's columns, times in your time zone):{" "}
            <a href={admissionsHref(query)} download>admissions CSV</a>
          </p>
        )
        : (
          <p>
            {team ? `As a ${team.role} of “${team.name}”, you` : "You"} may export the{" "}
            {patientsOf(total)} of this view (with its filters and sort) de-identified only, below.
          </p>
        )}
      <ViewInputs query={query} />
    </div>
  );
}

/**
 * The list's export panel: the view's plain downloads, and the de-identified exports' forms,
 * fetched when the panel first opens (`/patients/export`; without JavaScript, that page).
 */
export function ExportPanel(
  { query, total, hidden }: {
    query: PatientListQuery;
    total: number;
    /** Not shown while there is nothing to export (the first record brings it). */
    hidden?: boolean | undefined;
  },
) {
  const qs = exportQueryString(query);
  return (
    <details
      class="card export-panel tool"
      id="export"
      hidden={hidden || undefined}
      data-needs-records
    >
      <summary>Export</summary>
      <ExportView query={query} total={total} />
      <OnOpen
        get={here("/patients/export")}
        href={here(qs ? `/patients/export?${qs}` : "/patients/export")}
      >
        De-identified export, and the admissions
      </OnOpen>
    </details>
  );
}

/** The export of a view on a page of its own (the list's panel without JavaScript). */
export function ExportPage({ query, total }: { query: PatientListQuery; total: number }) {
  return (
    <div class="export-page">
      <p class="back">
        <a href={listUrl(query)}>← All patients</a>
      </p>
      <h1>
        Export<RegistryTag />
      </h1>
      <div class="card export-panel">
        <ExportView query={query} total={total} />
        <ExportForms />
      </div>
    </div>
  );
}

/**
 * What the export panel fetches when it first opens: the de-identified export of the view, whose
 * filters and sort come from the inputs beside it ({@link ExportView}, which follow the list as
 * it changes), and the admissions' export.
 */
export function ExportForms() {
  const groups = QUASI_IDENTIFIERS.map((f) =>
    f === "age" ? "age (5-year band)" : FIELD_LABELS[f].toLowerCase()
  ).join(", ");
  return (
    <>
      <form
        id={DEIDENTIFY_FORM}
        method="get"
        action={here("/api/patient_data/export")}
        class="deidentify"
      >
        <RegistryField />
        <h3>De-identified, for sharing outside the care team</h3>
        <p class="hint">
          IDs are replaced by random codes (never numbers), ages by five-year bands (90+ at the
          top), and the rows are shuffled. Rows whose combination of {groups}{" "}
          — and, coarsened, of glucose and BMI — is shared by fewer than the number below are left
          out.
        </p>
        <DeidentifyFields idPrefix="export" />
        <ProtectionNotes />
        <div class="actions">
          <button
            type="button"
            class="button-secondary"
            hx-get={here("/patients/export/anonymity")}
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
      <AdmissionsExport />
    </>
  );
}

/**
 * `deidentify=true` with the choices of a de-identified export: coarsened glucose and BMI (ticked:
 * a file for sharing should not be linkable by whoever holds the registry) and the smallest group.
 */
function DeidentifyFields(
  { idPrefix, of = "" }: {
    idPrefix: string;
    /** What the file holds, when the panel has more than one such form (`of admissions`). */
    of?: string;
  },
) {
  const suffix = of ? ` ${of}` : "";
  return (
    <>
      <input type="hidden" name="deidentify" value="true" />
      <fieldset class="choice">
        <legend>Glucose and BMI{suffix}</legend>
        <label>
          <input
            type="checkbox"
            name="coarsen"
            value="true"
            checked
            aria-describedby={`${idPrefix}-coarsen-hint`}
          />
          Coarsen them (recommended)
        </label>
        <p class="hint" id={`${idPrefix}-coarsen-hint`}>
          Glucose in three bands ({GLUCOSE_BANDS}{" "}
          mg/dL), BMI to a whole number; both then count in the groups.
        </p>
      </fieldset>
      <div class="field">
        <label for={`${idPrefix}-k-min`}>Smallest group{suffix} kept (k)</label>
        <input
          id={`${idPrefix}-k-min`}
          name="k_min"
          type="number"
          inputmode="numeric"
          min="1"
          step="1"
          value={String(DEFAULT_K_MIN)}
        />
      </div>
    </>
  );
}

/**
 * The admissions of this view's patients (its filters come from the inputs beside the list, as
 * the records' form's), de-identified — each with its patient de-identified, times moved by the
 * patient's own shift. The plain file is a link of the view ({@link ExportView}).
 */
function AdmissionsExport() {
  return (
    <form
      id={ADMISSIONS_FORM}
      method="get"
      action={here("/api/admissions/export")}
      class="deidentify"
    >
      <RegistryField />
      <h3 id="export-admissions">Admissions, de-identified</h3>
      <p>
        Every admission of this view's patients (with its filters), one row each
        {mayDo("export_plain") ? "; plainly, with the link above." : ", de-identified only."}
      </p>
      <p class="hint">
        De-identified, each row carries its patient as the de-identified export above writes it (a
        random code for each patient, the same on all its rows, new in every file), and every time
        of a patient is moved by the same random number of whole weeks (up to 26, either way): the
        times between steps, the time of day and the weekday are exact, the dates are not.
      </p>
      <DeidentifyFields idPrefix="export-admissions" of="of admitted patients" />
      <div class="actions">
        <button type="submit">Download de-identified admissions</button>
      </div>
    </form>
  );
}

/** The glucose bands of a coarsened export, in words. */
const GLUCOSE_BANDS = "below 100, 100–125, 126 and above";

/** What a de-identified export protects against, and what it does not (docs/api.md says the same). */
function ProtectionNotes() {
  return (
    <details class="hint">
      <summary>What this protects against, and what it does not</summary>
      <ul>
        <li>
          <strong>Always:</strong>{" "}
          no record ID, no exact age, and no row order to go by. Someone who knows a patient's
          gender, age, marital status, work and residence finds at least k rows that fit, not one.
        </li>
        <li>
          <strong>Coarsened:</strong>{" "}
          the same holds for someone who also knows the patient's glucose and BMI, for instance from
          the registry itself or a lab report. Fewer rows are kept: glucose and BMI split the groups
          further.
        </li>
        <li>
          <strong>Not coarsened:</strong>{" "}
          exact glucose and BMI single out almost every patient. Anyone who holds the plain records
          can link every row back to its ID, whatever k says. Share such a file only with people who
          may see the plain records anyway.
        </li>
        <li>
          <strong>Never:</strong>{" "}
          hypertension, heart disease, smoking and stroke are exported as they are and not counted
          in k, so someone who knows them can still tell rows apart; when every row of a group
          shares an outcome, the outcome is disclosed; two exports of overlapping views can be
          compared; and k counts the rows of this file, not the people in the population.
        </li>
      </ul>
    </details>
  );
}

/** Why the check could not be made, in words; it takes the place of an earlier result. */
export function AnonymityProblem({ message }: { message: string }) {
  return <p class="alert alert-error" role="alert">{message}</p>;
}

/** What the de-identified export would hold, in words. */
export function AnonymityCheck(
  props: {
    k: number;
    suppressed: number;
    total: number;
    kMin: number;
    smallestGroup: number;
    coarsen: boolean;
  },
) {
  const n = formatCount;
  const over = props.coarsen
    ? "gender, age band, marital status, work, residence, glucose band and whole-number BMI"
    : "gender, age band, marital status, work and residence";
  const kept = props.total - props.suppressed;
  return (
    <div class="alert alert-ok" role="status">
      <p>
        Of {n(props.total)} patients, {props.suppressed === 0
          ? "none would be left out"
          : `${n(props.suppressed)} would be left out (groups smaller than ${props.kMin})`};{" "}
        {kept === 0
          ? "the export would be empty. A smaller k keeps more rows, and so does not coarsening, which protects less."
          : `the export would hold ${n(kept)}, each sharing its ${over} with at least ${
            n(props.k)
          } ${props.k === 1 ? "patient (itself)" : "patients"}.`}
      </p>
      <p class="hint">
        Without leaving any out, the smallest group has {n(props.smallestGroup)}{" "}
        {props.smallestGroup === 1 ? "patient: someone is unique" : "patients"}.
        {props.coarsen
          ? ""
          : " Glucose and BMI are exact: anyone with the plain records can link every row back."}
      </p>
    </div>
  );
}
