/** `/patients`: the add form, the filters and the table, in one page that htmx updates in parts. */
import type { Child } from "hono/jsx";
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";
import { CATEGORICAL_FIELDS, FIELD_LABELS } from "../lib/patient_fields.ts";
import { options } from "../lib/patient_format.ts";
import { PAGE_SIZES } from "../lib/patient_query.ts";
import { CsrfField, Field, FieldError, type FieldErrors, SelectField } from "./Form.tsx";
import { DOM_IDS, selector } from "./htmx.ts";
import { type PatientFormValues, PatientInputs } from "./PatientInputs.tsx";
import { ExportPanel } from "./ExportPanel.tsx";
import { COLUMN_ORDER, PatientTable, type PatientTableProps } from "./PatientTable.tsx";

export interface AddPatientFormProps {
  csrfToken: string;
  values: PatientFormValues;
  errors: FieldErrors;
  /** Open the section (it has errors, or the list is empty). */
  open: boolean;
  /** Put the cursor in the first field (after an add, for the next one). */
  autofocus?: boolean | undefined;
}

/** The add form; htmx swaps it whole (fresh after a save, with messages after a refusal). */
export function AddPatientForm(props: AddPatientFormProps) {
  const hasErrors = Object.keys(props.errors).length > 0;
  return (
    <details id={DOM_IDS.addPatient} class="card add-patient" open={props.open || hasErrors}>
      <summary>Add a patient</summary>
      <form
        id={DOM_IDS.addPatientForm}
        method="post"
        action="/patients"
        hx-post="/patients"
        hx-target={selector(DOM_IDS.addPatient)}
        hx-swap="outerHTML"
        hx-indicator={selector(DOM_IDS.patientTable)}
        hx-disabled-elt="find button"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        {hasErrors && (
          <p class="alert alert-error" role="alert">
            The patient was not added: please correct the fields marked below.
          </p>
        )}
        <PatientInputs
          values={props.values}
          errors={props.errors}
          idPrefix="add-"
          fields={COLUMN_ORDER}
          idHint="Leave empty to use the next free ID"
          autofocusFirst={props.autofocus || hasErrors}
        />
        <button type="submit">Add patient</button>
      </form>
    </details>
  );
}

/** The filter form's fields, by query parameter, in the form's order. */
export const FILTER_FIELDS = [
  "q",
  ...CATEGORICAL_FIELDS,
  "age_min",
  "age_max",
  "per_page",
] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
const FILTER_PREFIX = "filter-";

/** The text of each filter field for a list view. */
export function filterValues(query: PatientListQuery): Partial<Record<FilterField, string>> {
  const values: Partial<Record<FilterField, string>> = { per_page: String(query.perPage) };
  for (const [name, value] of Object.entries(query.filter) as [keyof PatientFilter, unknown][]) {
    if (value !== undefined) values[name] = String(value);
  }
  return values;
}

/** How many filters are set (the page size is not one). */
export function activeFilters(values: Partial<Record<FilterField, string>>): number {
  return FILTER_FIELDS.filter((f) => f !== "per_page" && values[f]).length;
}

function ActiveCount({ count, oob }: { count: number; oob?: boolean | undefined }) {
  return (
    <span id={DOM_IDS.filtersActive} hx-swap-oob={oob ? "true" : undefined}>
      {count > 0 ? ` (${count} active)` : ""}
    </span>
  );
}

/** A word about the list's address that belongs to no field (parts that were ignored). */
function FiltersAlert({ message, oob }: { message?: string | undefined; oob?: boolean }) {
  return (
    <div id={DOM_IDS.filtersAlert} hx-swap-oob={oob ? "true" : undefined}>
      {message && <p class="alert alert-note" role="status">{message}</p>}
    </div>
  );
}

export interface FiltersProps {
  query: PatientListQuery;
  /** The text of each field: the view's, or what was typed when it has a problem. */
  values: Partial<Record<FilterField, string>>;
  /** Problems by field, in words. */
  errors?: FieldErrors | undefined;
  /** A word about the address that belongs to no field. */
  alert?: string | undefined;
  /**
   * Where the form goes: the list (default), whose table it reloads through htmx, or another
   * page taking the list's filters (the dashboard), as a plain GET without paging.
   */
  action?: string | undefined;
}

/**
 * Search and filters; changing any of them reloads the table only, and the URL with it. On a
 * narrow screen they fold away behind "Filters (n active)" so that the patients come first.
 */
export function Filters(
  { query, values, errors = {}, alert, action = "/patients" }: FiltersProps,
) {
  const list = action === "/patients";
  const perPage = values.per_page ?? String(query.perPage);
  const sizes: string[] = PAGE_SIZES.map(String);
  const pageSizes = sizes.includes(String(query.perPage))
    ? sizes
    : [...sizes, String(query.perPage)].sort((a, b) => Number(a) - Number(b));
  const common = (name: FilterField) => ({
    name,
    idPrefix: FILTER_PREFIX,
    error: errors[name],
    errorSlot: true,
  });
  return (
    <details
      class="card filters-panel"
      id="filters-panel"
      open={Object.keys(errors).length > 0 || undefined}
    >
      <summary>
        Filters<ActiveCount count={activeFilters(values)} />
      </summary>
      <form
        id={DOM_IDS.filters}
        class="filters"
        role="search"
        method="get"
        action={action}
        hx-get={list ? "/patients" : undefined}
        hx-target={list ? selector(DOM_IDS.patientTable) : undefined}
        hx-swap={list ? "outerHTML" : undefined}
        hx-push-url={list ? "true" : undefined}
        hx-indicator={list ? selector(DOM_IDS.patientTable) : undefined}
        hx-trigger={list ? "change, submit, input changed delay:400ms from:#filter-q" : undefined}
        novalidate
      >
        <FiltersAlert message={alert} />
        <div class="filter-grid">
          <Field
            {...common("q")}
            label="Search by patient ID"
            type="search"
            inputmode="numeric"
            value={values.q ?? ""}
            hint="Matches the whole ID, not part of it"
          />
          {CATEGORICAL_FIELDS.map((field) => (
            <SelectField
              {...common(field)}
              label={FIELD_LABELS[field]}
              value={values[field] ?? ""}
              options={options(field)}
              placeholder="Any"
            />
          ))}
          <Field
            {...common("age_min")}
            label="Age from (years)"
            inputmode="decimal"
            value={values.age_min ?? ""}
          />
          <Field
            {...common("age_max")}
            label="Age to (years)"
            inputmode="decimal"
            value={values.age_max ?? ""}
          />
          {list && (
            <SelectField
              {...common("per_page")}
              label="Rows per page"
              value={perPage}
              options={pageSizes.map((n) => ({ value: n, label: n }))}
            />
          )}
        </div>
        <div class="filter-actions">
          <button type="submit">Apply</button>
          <a class="button button-secondary" href={action}>Clear filters</a>
        </div>
      </form>
    </details>
  );
}

/**
 * What an htmx answer updates in the filters, out of band: each field's message (empty when it
 * has none), the word about the address and the active count. The fields themselves stay, so
 * that nothing the user is typing in is replaced.
 */
export function FiltersFeedback(
  { values, errors = {}, alert }: Omit<FiltersProps, "query">,
) {
  return (
    <>
      {FILTER_FIELDS.map((field) => (
        <FieldError id={`${FILTER_PREFIX}${field}`} error={errors[field]} oob />
      ))}
      <FiltersAlert message={alert} oob />
      <ActiveCount count={activeFilters(values)} oob />
    </>
  );
}

export interface PatientsPageProps extends PatientTableProps {
  add: Omit<AddPatientFormProps, "csrfToken">;
  filters: Omit<FiltersProps, "query">;
  /** The export's view: the list's, or its valid part when a filter has a problem. */
  exportView: { query: PatientListQuery; total: number };
  /** A message left by the previous request, shown beside the table. */
  message?: Child | undefined;
}

export function PatientsPage(props: PatientsPageProps) {
  return (
    <div class="patients-page" hx-history="false">
      <div class="page-heading">
        <h1>Patients</h1>
        <p class="actions">
          <a class="button button-secondary" href="/patients/import">Import a CSV file</a>
          <a class="button button-secondary" href="/patients/deleted">Recently deleted</a>
        </p>
      </div>
      <AddPatientForm csrfToken={props.csrfToken} {...props.add} />
      <Filters query={props.query} {...props.filters} />
      <ExportPanel {...props.exportView} />
      <PatientTable {...props} />
      <StatusRegion message={props.message} />
    </div>
  );
}

/**
 * The message region beside the table (it stays in view at the bottom of the screen while the
 * table does): what was saved or deleted, and, for screen readers, what the table now shows.
 */
export function StatusRegion(
  { message, announce, kind = "ok", oob }: {
    message?: Child | undefined;
    kind?: "ok" | "error" | undefined;
    /** Read out, not shown (the count on screen says it already). */
    announce?: string | undefined;
    oob?: boolean | undefined;
  },
) {
  const content = (
    <>
      {message && <div class={`alert alert-${kind}`}>{message}</div>}
      {announce && <span class="visually-hidden">{announce}</span>}
    </>
  );
  if (oob) return <div id={DOM_IDS.patientStatus} hx-swap-oob="innerHTML">{content}</div>;
  return (
    <div
      id={DOM_IDS.patientStatus}
      class="patient-status"
      role="status"
      aria-live="polite"
      tabindex={-1}
    >
      {content}
    </div>
  );
}
