/** The patient table: sortable headers, display rows, inline edit rows and pagination. */
import { raw } from "hono/html";
import { formatCount } from "../lib/count_format.ts";
import { listQueryString, type PatientListQuery } from "../lib/patient_query.ts";
import {
  FIELD_LABELS,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  type PatientRecord,
  ruleOf,
} from "../lib/patient_fields.ts";
import { displayValue, formatNumber } from "../lib/patient_format.ts";
import { CsrfField, type FieldErrors } from "./Form.tsx";
import { DOM_IDS, listUrl, selector } from "./htmx.ts";
import { type PatientFormValues, PatientInputs, ReasonField } from "./PatientInputs.tsx";

/** The columns in the order a clinician scans them: the id, the outcome, then the dataset's order. */
export const COLUMN_ORDER: readonly PatientField[] = [
  "id",
  "stroke",
  ...PATIENT_FIELDS.filter((f) => f !== "id" && f !== "stroke"),
];
/** Columns after the id, which heads each row (also the order of the fields in every form). */
export const DATA_COLUMNS: readonly PatientField[] = COLUMN_ORDER.filter((f) => f !== "id");
const COLUMNS = PATIENT_FIELDS.length + 1;

/** Short column headings (a soft hyphen where a long word may break); the full label is the title. */
const HEADINGS: Partial<Record<PatientField, string>> = {
  id: "ID",
  hypertension: "Hyper\u00ADtension",
  heart_disease: "Heart disease",
  ever_married: "Married",
  Residence_type: "Residence",
  avg_glucose_level: "Glucose",
  smoking_status: "Smoking",
};

/** Fewest decimals a measure shows, so that a column lines up (zeros added, never rounded). */
const MIN_DECIMALS: Partial<Record<PatientField, number>> = {
  age: 2, // only for the fractional ages of infants: whole years stay whole
  avg_glucose_level: 2,
  bmi: 1,
};

/** The yes/no fields (0/1), whose "Yes" stands out. */
const FLAG_FIELDS: ReadonlySet<PatientField> = new Set(
  PATIENT_FIELDS.filter((f) => {
    const rule = ruleOf(f);
    return rule.kind === "category" && typeof rule.values[0] === "number";
  }),
);
/** The measured fields, right-aligned. */
const NUMBER_FIELDS: ReadonlySet<PatientField> = new Set(
  PATIENT_FIELDS.filter((f) => ruleOf(f).kind === "measure"),
);

/** The query string of a list view, worked out once per view (every row links with it). */
const queryStrings = new WeakMap<PatientListQuery, string>();
function queryStringOf(query: PatientListQuery): string {
  let qs = queryStrings.get(query);
  if (qs === undefined) queryStrings.set(query, qs = listQueryString(query));
  return qs;
}
/** A path with the list view's query string. */
const withQuery = (path: string, query: PatientListQuery) => {
  const qs = queryStringOf(query);
  return qs ? `${path}?${qs}` : path;
};

/** A number as a table cell shows it: `228.69`, `94.40`, `36.0`, `67`, `1.80`. */
export function cellNumber(field: PatientField, value: number): string {
  const text = formatNumber(value);
  const decimals = field === "age" && Number.isInteger(value) ? 0 : MIN_DECIMALS[field] ?? 0;
  const [whole, fraction = ""] = text.split(".");
  if (fraction.length >= decimals || text.includes("e")) return text;
  return `${whole}.${fraction.padEnd(decimals, "0")}`;
}

function SortHeader({ field, query }: { field: PatientField; query: PatientListQuery }) {
  const active = query.sort.field === field;
  const direction = active && query.sort.direction === "asc" ? "desc" : "asc";
  const href = listUrl({ ...query, page: 1, sort: { field, direction } });
  const sortState = active
    ? (query.sort.direction === "asc" ? "ascending" : "descending")
    : undefined;
  const heading = HEADINGS[field] ?? FIELD_LABELS[field];
  // The last word (or syllable) and the indicator stay on one line; the heading may wrap before.
  const cut = Math.max(heading.lastIndexOf(" "), heading.lastIndexOf("\u00AD")) + 1;
  const rule = ruleOf(field);
  const unit = rule.kind === "measure" ? rule.unit : undefined;
  const classes = [field === "id" ? "col-id" : "", NUMBER_FIELDS.has(field) ? "num" : ""].filter(
    Boolean,
  );
  return (
    <th scope="col" aria-sort={sortState} class={classes.join(" ") || undefined}>
      {/* A stable id: htmx puts the focus back on it after the table is redrawn. */}
      <a
        id={`sort-${field}`}
        href={href}
        hx-get={href}
        title={`Sort by ${FIELD_LABELS[field].toLowerCase()}`}
      >
        {heading.slice(0, cut)}
        <span class="nowrap">
          {heading.slice(cut)}
          <span class="sort-indicator" aria-hidden="true">
            {active ? (query.sort.direction === "asc" ? " ▲" : " ▼") : " ↕"}
          </span>
        </span>
        {unit && <span class="unit">{` ${unit}`}</span>}
      </a>
    </th>
  );
}

/** One value of a row: numbers to the right, a "Yes" of a yes/no field as a badge. */
function cell(field: PatientField, value: PatientFields[PatientField]) {
  if (value === null) return <td class="num unknown">N/A</td>;
  if (FLAG_FIELDS.has(field)) {
    return value === 1
      ? (
        <td class="flag">
          <span class={`badge badge-yes${field === "stroke" ? " badge-stroke" : ""}`}>Yes</span>
        </td>
      )
      : <td class="flag flag-no">No</td>;
  }
  if (typeof value === "number") return <td class="num">{cellNumber(field, value)}</td>;
  return <td>{displayValue(field, value)}</td>;
}

/** Records do not change once read (a change is a new record): each one's cells are drawn once. */
const drawnCells = new WeakMap<PatientFields, string>();

function Cells({ patient }: { patient: PatientFields }) {
  let html = drawnCells.get(patient);
  if (html === undefined) {
    html = String(<>{DATA_COLUMNS.map((field) => cell(field, patient[field]))}</>);
    drawnCells.set(patient, html);
  }
  return raw(html);
}

/** The list view as hidden inputs, so that a GET form (delete without JavaScript) carries it. */
function ListQueryInputs({ query }: { query: PatientListQuery }) {
  let html = drawnInputs.get(query);
  if (html === undefined) {
    const params = new URLSearchParams(queryStringOf(query));
    html = String(
      <>{[...params].map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>,
    );
    drawnInputs.set(query, html);
  }
  return raw(html);
}
/** Every row of a page carries the same inputs: drawn once per list view. */
const drawnInputs = new WeakMap<PatientListQuery, string>();

export interface PatientRowProps {
  patient: PatientRecord;
  /** The list view the row is shown in: the plain links and forms come back to it. */
  query: PatientListQuery;
  /** Put the focus on its Edit button (after a save or cancel). */
  focus?: boolean | undefined;
  /** Put the focus on its id link (the first row, after paging). */
  focusId?: boolean | undefined;
  /** Mark it as just added or changed. */
  highlight?: boolean | undefined;
  /** Added inline: shown above the page's rows, not counted in them. */
  added?: boolean | undefined;
  /** Saved with values that no longer match the list's filters. */
  outside?: boolean | undefined;
}

/** A record as a table row, with its Edit and Delete actions. */
export function PatientRow(props: PatientRowProps) {
  const { patient, query } = props;
  const base = `/patients/${patient.id}`;
  const classes = [props.highlight ? "changed" : "", props.outside ? "outside" : ""];
  return (
    <tr id={`patient-${patient.id}`} class={classes.filter(Boolean).join(" ") || undefined}>
      <th scope="row" class="col-id num">
        <a href={withQuery(base, query)} autofocus={props.focusId}>{patient.id}</a>
        {props.outside && <span class="tag">Not in this view</span>}
      </th>
      <Cells patient={patient} />
      <td class="row-actions">
        <a
          class="button button-small button-secondary"
          href={withQuery(`${base}/edit`, query)}
          hx-get={`${base}/edit`}
          hx-target="closest tr"
          hx-swap="outerHTML"
          hx-push-url="false"
          autofocus={props.focus}
          aria-label={`Edit patient ${patient.id}`}
          data-edit
        >
          Edit
        </a>
        <a
          class="button button-small button-secondary"
          href={`${base}/history`}
          aria-label={`History of patient ${patient.id}`}
        >
          History
        </a>
        {/* Without JavaScript the button opens the confirmation page; with htmx it asks here. */}
        <form
          method="get"
          action={`${base}/delete`}
          hx-delete={base}
          hx-target="closest tr"
          hx-swap="outerHTML"
          hx-push-url="false"
          hx-confirm={`Delete patient ${patient.id}? You can undo it, or restore it later from Recently deleted.`}
        >
          <ListQueryInputs query={query} />
          {props.added && <input type="hidden" name="added" value="1" />}
          <button
            type="submit"
            class="button-small button-danger"
            aria-label={`Delete patient ${patient.id}`}
          >
            Delete
          </button>
        </form>
      </td>
    </tr>
  );
}

export interface PatientEditRowProps {
  id: number;
  revision: string;
  values: PatientFormValues;
  errors: FieldErrors;
  csrfToken: string;
  /** The list view to come back to after a plain (no-JavaScript) save. */
  query: PatientListQuery;
  /** A message for the whole record (a conflict). */
  message?: string | undefined;
}

/**
 * A record as a form across its row, its fields in a grid, so that every field and Save fit
 * the screen; Save swaps the row back, Cancel (or Escape) restores it.
 */
export function PatientEditRow(props: PatientEditRowProps) {
  const formId = `edit-${props.id}`;
  const base = `/patients/${props.id}`;
  return (
    <tr id={`patient-${props.id}`} class="editing" data-edit-row>
      <td colspan={COLUMNS}>
        <form
          id={formId}
          class="edit-panel"
          method="post"
          action={withQuery(base, props.query)}
          hx-put={base}
          hx-target="closest tr"
          hx-swap="outerHTML"
          hx-push-url="false"
          aria-labelledby={`${formId}-title`}
          novalidate
        >
          <p class="edit-title" id={`${formId}-title`}>Edit patient {props.id}</p>
          {props.message && <p class="row-message" role="alert">{props.message}</p>}
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="revision" value={props.revision} />
          <PatientInputs
            values={props.values}
            errors={props.errors}
            idPrefix={`${formId}-`}
            fields={DATA_COLUMNS}
            autofocusFirst
            compact
          />
          <ReasonField idPrefix={`${formId}-`} />
          <div class="edit-actions">
            <button type="submit">Save</button>
            <a
              class="button button-secondary"
              href={withQuery(base, props.query)}
              hx-get={`${base}/row`}
              hx-target="closest tr"
              hx-swap="outerHTML"
              hx-push-url="false"
              data-cancel
            >
              Cancel
            </a>
          </div>
        </form>
      </td>
    </tr>
  );
}

/** A row that says what happened to a record that is gone. */
export function PatientGoneRow({ id, message }: { id: number; message: string }) {
  return (
    <tr id={`patient-${id}`} class="gone">
      <td colspan={COLUMNS} role="alert">{message}</td>
    </tr>
  );
}

/** The number of pages a list of `total` rows fills (at least one). */
export function pageCount(query: PatientListQuery, total: number): number {
  return Math.max(1, Math.ceil(total / query.perPage));
}

function Pagination({ query, total }: { query: PatientListQuery; total: number }) {
  const pages = pageCount(query, total);
  if (pages === 1) return null;
  // Stable ids: the answer puts the focus on the new page's first row (see `focusFirstRow`).
  const link = (page: number, label: string, id: string, rel?: string) => {
    const href = listUrl({ ...query, page });
    return (
      <a
        id={id}
        href={href}
        hx-get={href}
        hx-swap={`outerHTML show:${selector(DOM_IDS.patientTable)}:top`}
        rel={rel}
        class="button button-small button-secondary"
      >
        {label}
      </a>
    );
  };
  const off = (label: string) => <span class="button button-small disabled">{label}</span>;
  return (
    <nav class="pagination" aria-label="Pages">
      {query.page > 1 ? link(1, "« First", "page-first") : off("« First")}
      {query.page > 1 ? link(query.page - 1, "‹ Previous", "page-prev", "prev") : off("‹ Previous")}
      <span class="page-of" aria-current="page">
        Page {formatCount(query.page)} of {formatCount(pages)}
      </span>
      {query.page < pages ? link(query.page + 1, "Next ›", "page-next", "next") : off("Next ›")}
      {query.page < pages ? link(pages, "Last »", "page-last") : off("Last »")}
    </nav>
  );
}

/** The element ids of the pagination links, which an htmx request names in `HX-Trigger`. */
export const PAGING_LINK_IDS: readonly string[] = [
  "page-first",
  "page-prev",
  "page-next",
  "page-last",
];

/** "1–50 of 5,110 patients" */
export function countText(query: PatientListQuery, total: number, shown: number): string {
  const first = (query.page - 1) * query.perPage + 1;
  const n = formatCount;
  const patients = `patient${total === 1 ? "" : "s"}`;
  return shown === 0
    ? `0 of ${n(total)} ${patients}`
    : `${n(first)}–${n(first + shown - 1)} of ${n(total)} ${patients}`;
}

export function CountSummary(
  { query, total, shown, oob, invalid }: {
    query: PatientListQuery;
    total: number;
    shown: number;
    oob?: boolean | undefined;
    /** The filters have a problem: no rows are shown. */
    invalid?: boolean | undefined;
  },
) {
  return (
    <p id={DOM_IDS.patientCount} class="count" hx-swap-oob={oob ? "true" : undefined}>
      {invalid
        ? "No patients shown: a filter above needs correcting"
        : countText(query, total, shown)}
    </p>
  );
}

export interface PatientTableProps {
  query: PatientListQuery;
  items: PatientRecord[];
  total: number;
  /** Whether any filter is set, to tell "no records yet" from "none match". */
  filtered: boolean;
  csrfToken: string;
  /** A filter has a problem (shown at its field): the table shows no rows and says why. */
  invalid?: boolean | undefined;
  /** A word about the view shown, e.g. that the page asked for does not exist. */
  note?: string | undefined;
  /** Put the focus on the first row (after paging). */
  focusFirstRow?: boolean | undefined;
}

function EmptyMessage({ query, filtered, invalid }: PatientTableProps) {
  if (invalid) {
    return <p>Correct the filter marked above to see your patients.</p>;
  }
  if (filtered) {
    const { q } = query.filter;
    const onlyId = q !== undefined && Object.keys(query.filter).length === 1;
    return (
      <p>
        {onlyId
          ? `You have no patient with ID ${q}. The search matches the whole ID, not part of it. `
          : "No patients match these filters. "}
        <a href="/patients" hx-get="/patients">Clear the filters</a> to see all your patients.
      </p>
    );
  }
  if (query.page === 1) {
    return <p>You have no patients yet. Add your first one with the form above.</p>;
  }
  return (
    <p>
      This page is empty. <a href="/patients" hx-get="/patients">Go to the first page</a>.
    </p>
  );
}

/** The swappable region: count, table and pagination. */
export function PatientTable(props: PatientTableProps) {
  const { query, items, total } = props;
  return (
    <div
      id={DOM_IDS.patientTable}
      class="patient-table"
      hx-target={selector(DOM_IDS.patientTable)}
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-indicator={selector(DOM_IDS.patientTable)}
    >
      {(query.sort.field !== "id" || query.sort.direction !== "asc") && (
        // Belongs to the filters form, so that filtering keeps the sort order.
        <input
          type="hidden"
          name="sort"
          form={DOM_IDS.filters}
          value={`${query.sort.direction === "desc" ? "-" : ""}${query.sort.field}`}
        />
      )}
      <div class="table-top">
        <CountSummary query={query} total={total} shown={items.length} invalid={props.invalid} />
        <p class="scroll-hint">Scroll the table sideways for more columns →</p>
        {/* Shown by the stylesheet while an htmx request is on its way. */}
        <p class="loading" aria-hidden="true">Loading…</p>
      </div>
      {props.note && <p class="table-note">{props.note}</p>}
      <div class="table-wrap">
        <table class="table patients">
          <caption class="visually-hidden">
            Your patients, sorted by {FIELD_LABELS[query.sort.field]}
            {query.sort.direction === "desc" ? ", descending" : ""}
          </caption>
          <thead>
            <tr>
              {COLUMN_ORDER.map((field) => <SortHeader field={field} query={query} />)}
              <th scope="col" class="row-actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          {/* Rows added inline go here, apart from the page's rows and its count. */}
          <tbody id={DOM_IDS.patientAdded} class="added">
            <tr class="group-label" id={`${DOM_IDS.patientAdded}-label`}>
              <th scope="rowgroup" colspan={COLUMNS}>
                Just added (shown in order after a reload)
              </th>
            </tr>
          </tbody>
          <tbody id={DOM_IDS.patientRows}>
            {items.map((patient, i) => (
              <PatientRow
                patient={patient}
                query={query}
                focusId={props.focusFirstRow && i === 0}
              />
            ))}
          </tbody>
        </table>
        {/* Shown by the stylesheet only while the table has no rows (also after deleting the last one). */}
        <div class="empty" id={DOM_IDS.patientEmpty}>
          <EmptyMessage {...props} />
        </div>
      </div>
      {!props.invalid && <Pagination query={query} total={total} />}
    </div>
  );
}
