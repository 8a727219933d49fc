/** The patient table: sortable headers, display rows, inline edit rows and pagination. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { formatCount } from "../lib/count_format.ts";
import { listQueryString, type PatientListQuery } from "../lib/patient_query.ts";
import {
  FIELD_LABELS,
  PATIENT_FIELDS,
  type PatientField,
  type PatientRecord,
  ruleOf,
} from "../lib/patient_fields.ts";
import { CsrfField, type FieldErrors, RegistryField } from "./Form.tsx";
import { DOM_IDS, listUrl, selector, withListQuery } from "./htmx.ts";
import { type PatientFormValues, PatientInputs, ReasonField } from "./PatientInputs.tsx";
import {
  COLUMN_ORDER,
  DATA_COLUMNS,
  PatientRows,
  ROW_DELETE_FORM,
  ROWS_HTMX,
} from "./PatientRows.ts";
import { here, mayDo } from "./registry_url.ts";

const COLUMNS = PATIENT_FIELDS.length + 1;

/*
 * The table writes the characters beyond Latin-1 it shows (‹ › – → …) as character references:
 * one such character makes V8 hold the whole page as a two-byte string, which Deno's server
 * sends on a slower path (docs/performance.md, "Pages as light as the data").
 */
const PREVIOUS = raw("&#8249; Previous");
const NEXT = raw("Next &#8250;");

function SortHeader({ field, query }: { field: PatientField; query: PatientListQuery }) {
  const active = query.sort.field === field;
  const direction = active && query.sort.direction === "asc" ? "desc" : "asc";
  const href = listUrl({ ...query, page: 1, sort: { field, direction } });
  const sortState = active
    ? (query.sort.direction === "asc" ? "ascending" : "descending")
    : undefined;
  const rule = ruleOf(field);
  const heading = rule.heading ?? rule.label;
  // The last word (or syllable) and the indicator stay on one line; the heading may wrap before.
  const cut = Math.max(heading.lastIndexOf(" "), heading.lastIndexOf("\u00AD")) + 1;
  const unit = rule.kind === "measure" ? rule.unit : undefined;
  // A column heading without `scope` (a row of headings only: HTML makes each a column's); the
  // sort indicator is drawn by static/app.css after the heading's last word, by its aria-sort.
  return (
    <th aria-sort={sortState}>
      {/* A stable id: htmx puts the focus back on it after the table is redrawn. */}
      <a id={`sort-${field}`} href={href} title={`Sort by ${FIELD_LABELS[field].toLowerCase()}`}>
        {heading.slice(0, cut)}
        <span class="nowrap">{heading.slice(cut)}</span>
        {unit && <span class="unit">{` ${unit}`}</span>}
      </a>
    </th>
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
          action={withListQuery(base, props.query)}
          hx-put={here(base)}
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
              href={withListQuery(base, props.query)}
              hx-get={here(`${base}/row`)}
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
  const link = (page: number, label: Child, id: string, rel?: string) => {
    const href = listUrl({ ...query, page });
    return (
      <a id={id} href={href} rel={rel}>
        {label}
      </a>
    );
  };
  const off = (label: Child) => <span class="disabled">{label}</span>;
  return (
    // static/app.js follows the links through htmx (data-get), which shows the new page's top.
    <nav
      class="pagination"
      aria-label="Pages"
      data-get
      hx-swap={`outerHTML show:${selector(DOM_IDS.patientTable)}:top`}
    >
      {query.page > 1 ? link(1, "« First", "page-first") : off("« First")}
      {query.page > 1 ? link(query.page - 1, PREVIOUS, "page-prev", "prev") : off(PREVIOUS)}
      <span class="page-of" aria-current="page">
        Page {formatCount(query.page)} of {formatCount(pages)}
      </span>
      {query.page < pages ? link(query.page + 1, NEXT, "page-next", "next") : off(NEXT)}
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

/** "1–50 of 5,110 patients" (`dash` between the first and the last: "&#8211;" in HTML). */
export function countText(
  query: PatientListQuery,
  total: number,
  shown: number,
  dash = "–",
): string {
  const first = (query.page - 1) * query.perPage + 1;
  const n = formatCount;
  const patients = `patient${total === 1 ? "" : "s"}`;
  return shown === 0
    ? `0 of ${n(total)} ${patients}`
    : `${n(first)}${dash}${n(first + shown - 1)} of ${n(total)} ${patients}`;
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
        : raw(countText(query, total, shown, "&#8211;"))}
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
        <a href={here("/patients")} hx-get={here("/patients")}>Clear the filters</a>{" "}
        to see all your patients.
      </p>
    );
  }
  if (query.page === 1) {
    return (
      <>
        <p data-no-records>You have no patients yet.</p>
        {(mayDo("write") || mayDo("import")) && (
          <p class="empty-actions">
            {mayDo("write") && (
              <a class="button" href={here("/patients/new")} data-open={DOM_IDS.addPatient}>
                Add your first patient
              </a>
            )}
            {mayDo("import") && (
              <a class="button button-secondary" href={here("/patients/import")}>
                Import patients from a CSV file
              </a>
            )}
          </p>
        )}
      </>
    );
  }
  return (
    <p>
      This page is empty.{" "}
      <a href={here("/patients")} hx-get={here("/patients")}>Go to the first page</a>.
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
        <p class="scroll-hint">{raw("Scroll the table sideways for more columns &#8594;")}</p>
        {/* Shown by the stylesheet while an htmx request is on its way. */}
        <p class="loading" aria-hidden="true">{raw("Loading&#8230;")}</p>
      </div>
      {props.note && <p class="table-note">{props.note}</p>}
      <div class="table-wrap">
        <table class="table patients">
          <caption class="visually-hidden">
            Your patients, sorted by {FIELD_LABELS[query.sort.field]}
            {query.sort.direction === "desc" ? ", descending" : ""}
          </caption>
          {/* static/app.js follows the sort links through htmx (data-get). */}
          <thead data-get>
            <tr>
              {COLUMN_ORDER.map((field) => <SortHeader field={field} query={query} />)}
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          {/* Rows added inline go here, apart from the page's rows and its count. */}
          <tbody id={DOM_IDS.patientAdded} class="added" {...ROWS_HTMX}>
            <tr class="group-label" id={`${DOM_IDS.patientAdded}-label`}>
              <th scope="rowgroup" colspan={COLUMNS}>
                Just added (shown in order after a reload)
              </th>
            </tr>
          </tbody>
          <tbody id={DOM_IDS.patientRows} {...ROWS_HTMX}>
            <PatientRows items={items} focusFirst={props.focusFirstRow} />
          </tbody>
        </table>
        {/* Shown by the stylesheet only while the table has no rows (also after deleting the last one). */}
        <div class="empty" id={DOM_IDS.patientEmpty}>
          <EmptyMessage {...props} />
        </div>
      </div>
      {!props.invalid && <Pagination query={query} total={total} />}
      {mayDo("delete") && <RowDeleteForm query={query} />}
    </div>
  );
}

/**
 * The one form that every row's Delete button submits (the button's `form`, its value the row's
 * id), with the list view as hidden inputs. Without JavaScript it opens the row's confirmation
 * page (by way of `/patients/delete`), which comes back to this view; with htmx, static/app.js
 * asks first (`data-confirm`) and posts to the record's address (`data-post`), the answer taking
 * the row's place. `{id}` in both stands for the row's id.
 */
function RowDeleteForm({ query }: { query: PatientListQuery }) {
  const params = new URLSearchParams(listQueryString(query));
  return (
    <form
      id={ROW_DELETE_FORM}
      method="get"
      action={here("/patients/delete")}
      data-post={here("/patients/{id}/delete")}
      data-confirm="Delete patient {id}? You can undo it, or restore it later from Recently deleted."
      hidden
    >
      {[...params].map(([name, value]) => <input type="hidden" name={name} value={value} />)}
      <RegistryField />
    </form>
  );
}
