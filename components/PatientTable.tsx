/** The patient table: sortable headers, display rows, inline edit rows and pagination. */
import type { PatientListQuery } from "../lib/patient_query.ts";
import {
  FIELD_LABELS,
  PATIENT_FIELDS,
  type PatientField,
  type PatientRecord,
} from "../lib/patient_fields.ts";
import { displayValue } from "../lib/patient_format.ts";
import { CsrfField, type FieldErrors } from "./Form.tsx";
import { DOM_IDS, listUrl, selector } from "./htmx.ts";
import { PatientControl, type PatientFormValues } from "./PatientInputs.tsx";

/** Columns after the id, which heads each row. */
const DATA_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");
const COLUMNS = PATIENT_FIELDS.length + 1;

/** Short column headings; the full label is the title. */
const HEADINGS: Partial<Record<PatientField, string>> = {
  id: "ID",
  heart_disease: "Heart disease",
  ever_married: "Married",
  Residence_type: "Residence",
  avg_glucose_level: "Glucose",
  smoking_status: "Smoking",
};

function SortHeader({ field, query }: { field: PatientField; query: PatientListQuery }) {
  const active = query.sort.field === field;
  const direction = active && query.sort.direction === "asc" ? "desc" : "asc";
  const href = listUrl({ ...query, page: 1, sort: { field, direction } });
  const sortState = active
    ? (query.sort.direction === "asc" ? "ascending" : "descending")
    : undefined;
  return (
    <th scope="col" aria-sort={sortState} class={field === "id" ? "col-id" : undefined}>
      <a href={href} hx-get={href} title={`Sort by ${FIELD_LABELS[field].toLowerCase()}`}>
        {HEADINGS[field] ?? FIELD_LABELS[field]}
        <span class="sort-indicator" aria-hidden="true">
          {active ? (query.sort.direction === "asc" ? " ▲" : " ▼") : " ↕"}
        </span>
      </a>
    </th>
  );
}

/** A record as a table row, with its Edit and Delete actions. */
export function PatientRow(
  { patient, focus, highlight }: {
    patient: PatientRecord;
    /** Put the focus on its Edit button (after a save or cancel). */
    focus?: boolean | undefined;
    /** Mark it as just added or changed. */
    highlight?: boolean | undefined;
  },
) {
  const base = `/patients/${patient.id}`;
  return (
    <tr id={`patient-${patient.id}`} class={highlight ? "changed" : undefined}>
      <th scope="row" class="col-id">
        <a href={base}>{patient.id}</a>
      </th>
      {DATA_FIELDS.map((field) => (
        <td class={patient[field] === null ? "unknown" : undefined}>
          {displayValue(field, patient[field])}
        </td>
      ))}
      <td class="row-actions">
        <a
          class="button button-small button-secondary"
          href={`${base}/edit`}
          hx-get={`${base}/edit`}
          hx-target="closest tr"
          hx-swap="outerHTML"
          hx-push-url="false"
          autofocus={focus}
          aria-label={`Edit patient ${patient.id}`}
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
  /** A message for the whole row (a conflict). */
  message?: string | undefined;
}

/** A record as inputs in its row; Save swaps the row back, Cancel (or Escape) restores it. */
export function PatientEditRow(props: PatientEditRowProps) {
  const formId = `edit-${props.id}`;
  const base = `/patients/${props.id}`;
  const firstError = DATA_FIELDS.find((f) => props.errors[f]);
  return (
    <tr id={`patient-${props.id}`} class="editing" data-edit-row>
      <th scope="row" class="col-id">{props.id}</th>
      {DATA_FIELDS.map((field) => (
        <td>
          <PatientControl
            field={field}
            value={props.values[field]}
            error={props.errors[field]}
            idPrefix={`${formId}-`}
            form={formId}
            autofocus={firstError ? field === firstError : field === DATA_FIELDS[0]}
          />
        </td>
      ))}
      <td class="row-actions">
        <form
          id={formId}
          method="post"
          action={base}
          hx-put={base}
          hx-target="closest tr"
          hx-swap="outerHTML"
          hx-push-url="false"
          novalidate
        >
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="revision" value={props.revision} />
          {props.message && <p class="row-message" role="alert">{props.message}</p>}
          <input
            type="text"
            name="reason"
            maxlength={500}
            class="row-reason"
            placeholder="Reason (optional)"
            aria-label={`Reason for changing patient ${props.id} (optional)`}
          />
          <button type="submit" class="button-small">Save</button>
          <a
            class="button button-small button-secondary"
            href={base}
            hx-get={`${base}/row`}
            hx-target="closest tr"
            hx-swap="outerHTML"
            hx-push-url="false"
            data-cancel
          >
            Cancel
          </a>
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

function Pagination({ query, total }: { query: PatientListQuery; total: number }) {
  const pages = Math.max(1, Math.ceil(total / query.perPage));
  if (pages === 1) return null;
  const link = (page: number, label: string, rel?: string) => {
    const href = listUrl({ ...query, page });
    return (
      <a href={href} hx-get={href} rel={rel} class="button button-small button-secondary">
        {label}
      </a>
    );
  };
  return (
    <nav class="pagination" aria-label="Pages">
      {query.page > 1
        ? link(1, "« First")
        : <span class="button button-small disabled">« First</span>}
      {query.page > 1
        ? link(query.page - 1, "‹ Previous", "prev")
        : <span class="button button-small disabled">‹ Previous</span>}
      <span class="page-of" aria-current="page">
        Page {query.page.toLocaleString("en-US")} of {pages.toLocaleString("en-US")}
      </span>
      {query.page < pages
        ? link(query.page + 1, "Next ›", "next")
        : <span class="button button-small disabled">Next ›</span>}
      {query.page < pages
        ? link(pages, "Last »")
        : <span class="button button-small disabled">Last »</span>}
    </nav>
  );
}

/** "1–50 of 5,110 patients" */
export function CountSummary(
  { query, total, shown, oob }: {
    query: PatientListQuery;
    total: number;
    shown: number;
    oob?: boolean | undefined;
  },
) {
  const first = (query.page - 1) * query.perPage + 1;
  const n = (x: number) => x.toLocaleString("en-US");
  return (
    <p id={DOM_IDS.patientCount} class="count" hx-swap-oob={oob ? "true" : undefined}>
      {shown === 0
        ? `0 of ${n(total)} patient${total === 1 ? "" : "s"}`
        : `${n(first)}–${n(first + shown - 1)} of ${n(total)} patient${total === 1 ? "" : "s"}`}
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
}

/** The swappable region: count, table and pagination. */
export function PatientTable({ query, items, total, filtered }: PatientTableProps) {
  return (
    <div
      id={DOM_IDS.patientTable}
      hx-target={selector(DOM_IDS.patientTable)}
      hx-swap="outerHTML"
      hx-push-url="true"
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
      <CountSummary query={query} total={total} shown={items.length} />
      <div class="table-wrap">
        <table class="table patients">
          <caption class="visually-hidden">
            Your patients, sorted by {FIELD_LABELS[query.sort.field]}
          </caption>
          <thead>
            <tr>
              {PATIENT_FIELDS.map((field) => (
                <SortHeader
                  field={field}
                  query={query}
                />
              ))}
              <th scope="col" class="row-actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody id={DOM_IDS.patientRows}>
            {items.map((patient) => <PatientRow patient={patient} />)}
          </tbody>
        </table>
        {/* Shown by the stylesheet only while the table has no rows (also after deleting the last one). */}
        <div class="empty" id={DOM_IDS.patientEmpty}>
          {filtered
            ? (
              <p>
                No patients match these filters.{" "}
                <a href="/patients" hx-get="/patients">Clear the filters</a>{" "}
                to see all your patients.
              </p>
            )
            : query.page === 1
            ? <p>You have no patients yet. Add your first one with the form above.</p>
            : (
              <p>
                This page is empty. <a href="/patients" hx-get="/patients">Go to the first page</a>.
              </p>
            )}
        </div>
      </div>
      <Pagination query={query} total={total} />
    </div>
  );
}
