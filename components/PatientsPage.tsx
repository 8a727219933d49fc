/** `/patients`: the add form, the filters and the table, in one page that htmx updates in parts. */
import type { Child } from "hono/jsx";
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";
import { CATEGORICAL_FIELDS, FIELD_LABELS } from "../lib/patient_fields.ts";
import { options } from "../lib/patient_format.ts";
import { ADMISSION_PARAMETERS, listQueryString, PAGE_SIZES } from "../lib/patient_query.ts";
import { AdmissionFilterFields, admissionFilterValues } from "./stroke/AdmissionFilterFields.tsx";
import {
  CsrfField,
  Field,
  FieldError,
  type FieldErrors,
  RegistryField,
  SelectField,
} from "./Form.tsx";
import { DOM_IDS, selector } from "./htmx.ts";
import { type PatientFormValues, PatientInputs } from "./PatientInputs.tsx";
import { ExportPanel } from "./ExportPanel.tsx";
import { OnOpen } from "./OnOpen.tsx";
import { COLUMN_ORDER } from "./PatientRows.ts";
import { ADMISSIONS_IMPORT_PAGE } from "./stroke/AdmissionImportPage.tsx";
import { CountSummary, PatientTable, type PatientTableProps } from "./PatientTable.tsx";
import { here, mayDo } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";
import { Toast } from "./Toast.tsx";

export interface AddPatientFormProps {
  csrfToken: string;
  values: PatientFormValues;
  errors: FieldErrors;
  /** Open the section (it has errors, or the list is empty). */
  open: boolean;
  /** Put the cursor in the first field (after an add, for the next one). */
  autofocus?: boolean | undefined;
}

/** The add form's fields and button: in the list's panel, and on a page of their own. */
export function AddPatientFields(props: Omit<AddPatientFormProps, "open">) {
  const hasErrors = Object.keys(props.errors).length > 0;
  return (
    <>
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
    </>
  );
}

/**
 * The add form as the list's panel holds it (also the answer to the panel's first opening):
 * htmx sends it and swaps the whole panel (fresh after a save, with messages after a refusal).
 */
export function AddForm(props: Omit<AddPatientFormProps, "open">) {
  return (
    <form
      id={DOM_IDS.addPatientForm}
      method="post"
      action={here("/patients")}
      hx-post={here("/patients")}
      hx-target={selector(DOM_IDS.addPatient)}
      hx-swap="outerHTML"
      hx-indicator={selector(DOM_IDS.patientTable)}
      hx-disabled-elt="find button"
      novalidate
    >
      <AddPatientFields {...props} />
    </form>
  );
}

/** The add panel, open with its form. */
export function AddPatientForm(props: AddPatientFormProps) {
  const hasErrors = Object.keys(props.errors).length > 0;
  return (
    <details id={DOM_IDS.addPatient} class="card add-patient tool" open={props.open || hasErrors}>
      <summary>Add a patient</summary>
      <AddForm {...props} />
    </details>
  );
}

/**
 * The add panel of the list: its form when it is open (no records yet, or a refusal to show),
 * else folded, the form fetched when it first opens (`/patients/new`, also its page without
 * JavaScript).
 */
function AddPatientPanel(props: AddPatientFormProps) {
  if (props.open || Object.keys(props.errors).length > 0) return <AddPatientForm {...props} />;
  return (
    <details id={DOM_IDS.addPatient} class="card add-patient tool">
      <summary>Add a patient</summary>
      <OnOpen get={here("/patients/new")} href={here("/patients/new")}>
        Open the form to add a patient
      </OnOpen>
    </details>
  );
}

/** The filter form's fields, by query parameter, in the form's order. */
export const FILTER_FIELDS = [
  "q",
  ...CATEGORICAL_FIELDS,
  "age_min",
  "age_max",
  ...ADMISSION_PARAMETERS,
  "per_page",
] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
const FILTER_PREFIX = "filter-";

/** The text of each filter field for a list view. */
export function filterValues(query: PatientListQuery): Partial<Record<FilterField, string>> {
  const values: Partial<Record<FilterField, string>> = { per_page: String(query.perPage) };
  for (const [name, value] of Object.entries(query.filter) as [keyof PatientFilter, unknown][]) {
    if (value !== undefined && name !== "admission" && name !== "ids") {
      values[name] = String(value);
    }
  }
  return { ...values, ...admissionFilterValues(query.filter) };
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
   * page taking the list's filters (the dashboard), as a plain GET without paging. A path: the
   * form stays in the page's registry by itself.
   */
  action?: string | undefined;
}

/**
 * Search and filters; on the list, changing any of them reloads the table only, and the URL
 * with it. The list folds them into a one-line bar ({@link FiltersPanel}); the dashboard shows
 * the form in a panel of its own.
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
    <form
      id={DOM_IDS.filters}
      class="filters"
      role="search"
      aria-label="Filter the patients"
      method="get"
      action={here(action)}
      hx-get={list ? here("/patients") : undefined}
      hx-target={list ? selector(DOM_IDS.patientTable) : undefined}
      hx-swap={list ? "outerHTML" : undefined}
      hx-push-url={list ? "true" : undefined}
      hx-indicator={list ? selector(DOM_IDS.patientTable) : undefined}
      hx-trigger={list ? "change, submit, input changed delay:400ms from:#filter-q" : undefined}
      novalidate
    >
      {/* Applying the filters keeps the panel open (the address says so). */}
      {list && <input type="hidden" name={FILTERS_OPEN.name} value={FILTERS_OPEN.value} />}
      <RegistryField />
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
        <AdmissionFilterFields values={values} errors={errors} idPrefix={FILTER_PREFIX} />
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
        <a class="button button-secondary" href={here(action)}>Clear filters</a>
      </div>
    </form>
  );
}

/** The list address's mark of an open filter panel (`filters=open`), kept by static/app.js. */
export const FILTERS_OPEN = { name: "filters", value: "open" } as const;

/** The list's address with the filter panel open (`filters=open`), in the page's registry. */
function filtersOpenUrl(query: PatientListQuery): string {
  const qs = listQueryString(query);
  return here(`/patients?${qs ? `${qs}&` : ""}${FILTERS_OPEN.name}=${FILTERS_OPEN.value}`);
}

/**
 * The list's filters, folded into a one-line bar "Filters (n active)" so that the patients come
 * first; open on demand (the address then says `filters=open`), or when a filter has a problem.
 * Folded, the form is fetched when the panel first opens (`/patients/filters`); without
 * JavaScript the panel links to the list with it open.
 */
export function FiltersPanel(
  props: FiltersProps & { open?: boolean | undefined; hidden?: boolean | undefined },
) {
  const { errors = {} } = props;
  const open = props.open || Object.keys(errors).length > 0;
  return (
    <details
      class="card filters-panel tool"
      id="filters-panel"
      open={open || undefined}
      hidden={props.hidden || undefined}
      data-needs-records
    >
      <summary>
        Filters<ActiveCount count={activeFilters(props.values)} />
      </summary>
      {open
        ? <Filters {...props} />
        : (
          <OnOpen get={here("/patients/filters")} href={filtersOpenUrl(props.query)}>
            Show the filters
          </OnOpen>
        )}
    </details>
  );
}

/**
 * What an htmx answer updates in the filters, out of band: the active count, and, when the
 * filter form sent it (`form`: the form is on the page), each field's message (empty when it has
 * none) and the word about the address. The fields themselves stay, so that nothing the user is
 * typing in is replaced.
 */
export function FiltersFeedback(
  { values, errors = {}, alert, form }: Omit<FiltersProps, "query"> & { form: boolean },
) {
  return (
    <>
      {form &&
        FILTER_FIELDS.map((field) => (
          <FieldError id={`${FILTER_PREFIX}${field}`} error={errors[field]} oob />
        ))}
      {form && <FiltersAlert message={alert} oob />}
      <ActiveCount count={activeFilters(values)} oob />
    </>
  );
}

export interface PatientsPageProps extends PatientTableProps {
  add: Omit<AddPatientFormProps, "csrfToken">;
  filters: Omit<FiltersProps, "query"> & { open?: boolean | undefined };
  /** The export's view: the list's, or its valid part when a filter has a problem. */
  exportView: { query: PatientListQuery; total: number };
  /** A message left by the previous request, shown beside the table. */
  message?: Child | undefined;
}

export function PatientsPage(props: PatientsPageProps) {
  // Nothing to filter or export yet: those tools wait for the first record (static/app.js
  // shows them when one is added here).
  const none = props.total === 0 && !props.filtered;
  return (
    <div class="patients-page" hx-history="false">
      {
        /* One line on a laptop: the heading, the folded tools (an open one takes the next line
      of its own), and the links to the other list pages. */
      }
      <div class="list-head">
        <h1>
          Patients<RegistryTag />
        </h1>
        {mayDo("write") && <AddPatientPanel csrfToken={props.csrfToken} {...props.add} />}
        <FiltersPanel query={props.query} {...props.filters} hidden={none} />
        <ExportPanel {...props.exportView} hidden={none} />
        <p class="actions">
          {mayDo("import") && (
            <>
              <a href={here("/patients/import")}>
                Import a CSV file
              </a>
              <a href={here(ADMISSIONS_IMPORT_PAGE)}>
                Import admissions
              </a>
            </>
          )}
          <a href={here("/patients/deleted")}>
            Recently deleted
          </a>
        </p>
      </div>
      <div class="list-bar" id={DOM_IDS.listBar}>
        <CountSummary
          query={props.query}
          total={props.total}
          shown={props.items.length}
          invalid={props.invalid}
        />
        <StatusRegion message={props.message} />
      </div>
      <PatientTable {...props} />
    </div>
  );
}

/**
 * The message region beside the count, in the bar that stays at the top of the screen above the
 * table (so that it never covers a row or a field): what was saved or deleted, and, for screen
 * readers, what the table now shows. A success leaves by itself; every message can be dismissed.
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
      {message && <Toast kind={kind} live={false}>{message}</Toast>}
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
