/** `/patients`: the add form, the filters and the table, in one page that htmx updates in parts. */
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";
import { CATEGORICAL_FIELDS, FIELD_LABELS, PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { options } from "../lib/patient_format.ts";
import { PAGE_SIZES } from "../lib/patient_query.ts";
import { CsrfField, Field, type FieldErrors, SelectField } from "./Form.tsx";
import { DOM_IDS, selector } from "./htmx.ts";
import { type PatientFormValues, PatientInputs } from "./PatientInputs.tsx";
import { ExportPanel } from "./ExportPanel.tsx";
import { PatientTable, type PatientTableProps } from "./PatientTable.tsx";

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
          fields={PATIENT_FIELDS}
          idHint="Leave empty to use the next free ID"
          autofocusFirst={props.autofocus || hasErrors}
        />
        <button type="submit">Add patient</button>
      </form>
    </details>
  );
}

function filterValue(filter: PatientFilter, name: keyof PatientFilter): string {
  const value = filter[name];
  return value === undefined ? "" : String(value);
}

/**
 * Search and filters. On the list, changing any of them reloads the table only, and the URL with
 * it; elsewhere (`action`, e.g. the dashboard) the form is a plain GET of that page.
 */
export function Filters(
  { query, action = "/patients" }: { query: PatientListQuery; action?: string | undefined },
) {
  const { filter } = query;
  const list = action === "/patients";
  return (
    <form
      id={DOM_IDS.filters}
      class="card filters"
      role="search"
      method="get"
      action={action}
      hx-get={list ? "/patients" : undefined}
      hx-target={list ? selector(DOM_IDS.patientTable) : undefined}
      hx-swap={list ? "outerHTML" : undefined}
      hx-push-url={list ? "true" : undefined}
      hx-trigger={list ? "change, submit, input changed delay:400ms from:#filter-q" : undefined}
    >
      <div class="filter-grid">
        <Field
          name="q"
          label="Search by patient ID"
          type="search"
          inputmode="numeric"
          value={filterValue(filter, "q")}
          idPrefix="filter-"
        />
        {CATEGORICAL_FIELDS.map((field) => (
          <SelectField
            name={field}
            label={FIELD_LABELS[field]}
            value={filterValue(filter, field)}
            options={options(field)}
            placeholder="Any"
            idPrefix="filter-"
          />
        ))}
        <Field
          name="age_min"
          label="Age from"
          inputmode="decimal"
          value={filterValue(filter, "age_min")}
          idPrefix="filter-"
        />
        <Field
          name="age_max"
          label="Age to"
          inputmode="decimal"
          value={filterValue(filter, "age_max")}
          idPrefix="filter-"
        />
        {list && (
          <SelectField
            name="per_page"
            label="Rows per page"
            value={String(query.perPage)}
            options={PAGE_SIZES.map((n) => ({ value: String(n), label: String(n) }))}
            idPrefix="filter-"
          />
        )}
      </div>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <a class="button button-secondary" href={action}>Clear filters</a>
      </div>
    </form>
  );
}

export interface PatientsPageProps extends PatientTableProps {
  add: Omit<AddPatientFormProps, "csrfToken">;
}

export function PatientsPage(props: PatientsPageProps) {
  return (
    <div class="patients-page" hx-history="false">
      <div class="page-heading">
        <h1>Patients</h1>
        <p class="actions">
          <a class="button button-secondary" href="/patients/import">Import a CSV file</a>
        </p>
      </div>
      <AddPatientForm csrfToken={props.csrfToken} {...props.add} />
      <Filters query={props.query} />
      <ExportPanel query={props.query} total={props.total} />
      <PatientTable {...props} />
    </div>
  );
}
