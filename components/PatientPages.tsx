/**
 * Full pages for one patient: details, edit and delete confirmation (used without JavaScript, on
 * a phone, and by links). Each carries the list view it came from, and goes back to it.
 */
import {
  FIELD_LABELS,
  type PatientField,
  type PatientRecord,
  ruleOf,
} from "../lib/patient_fields.ts";
import { displayStored } from "../lib/patient_format.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { formatTime } from "../lib/time_format.ts";
import type { Child } from "hono/jsx";
import type { AuditEntry } from "../lib/audit.ts";
import { CsrfField, type FieldErrors, FormAlert } from "./Form.tsx";
import { HistoryPanel } from "./HistoryPanel.tsx";
import { listUrl, withListQuery } from "./htmx.ts";
import { type PatientFormValues, PatientInputs, ReasonField } from "./PatientInputs.tsx";
import { AddPatientFields } from "./PatientsPage.tsx";
import { DATA_COLUMNS } from "./PatientRows.ts";
import type { PatientEditRowProps } from "./PatientTable.tsx";
import { here, mayDo } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

/** The list view, scrolled to the patient's row when there is one. */
function backTo(query: PatientListQuery, id?: number): string {
  return id === undefined ? listUrl(query) : `${listUrl(query)}#patient-${id}`;
}

/** A measured value with its unit ("228.69 mg/dL", "36.6 kg/m²"); an unknown one without. */
function withUnit(field: PatientField, text: string, value: unknown): string {
  const rule = ruleOf(field);
  return rule.kind === "measure" && rule.unit && typeof value === "number"
    ? `${text} ${rule.unit}`
    : text;
}

function BackLink({ query, id }: { query: PatientListQuery; id?: number }) {
  return (
    <p class="back">
      <a href={backTo(query, id)}>← All patients</a>
    </p>
  );
}

export function PatientDetailPage(
  { patient, query, history, you, admissions }: {
    patient: PatientRecord;
    query: PatientListQuery;
    history: AuditEntry[];
    you: number;
    /** The stroke admissions' section (components/stroke/AdmissionsPanel.tsx). */
    admissions?: Child;
  },
) {
  const base = `/patients/${patient.id}`;
  return (
    <div hx-history="false">
      <BackLink query={query} id={patient.id} />
      <h1>
        Patient {patient.id}
        <RegistryTag />
      </h1>
      <dl class="card details">
        {DATA_COLUMNS.map((field) => (
          <div>
            <dt>{FIELD_LABELS[field]}</dt>
            <dd>{withUnit(field, displayStored(patient, field), patient[field])}</dd>
          </div>
        ))}
        <div>
          <dt>Created</dt>
          <dd>{patient.created_at ? formatTime(patient.created_at) : "Unknown"}</dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>{patient.updated_at ? formatTime(patient.updated_at) : "Unknown"}</dd>
        </div>
      </dl>
      {(mayDo("write") || mayDo("delete")) && (
        <p class="actions">
          {mayDo("write") && <a class="button" href={withListQuery(`${base}/edit`, query)}>Edit</a>}
          {mayDo("delete") && (
            <a class="button button-danger" href={withListQuery(`${base}/delete`, query)}>
              Delete
            </a>
          )}
        </p>
      )}
      {admissions}
      <HistoryPanel entries={history} you={you} />
    </div>
  );
}

/**
 * The add form on a page of its own: the list's folded panel without JavaScript. Saved, it goes
 * to the list showing the new record; refused, the list shows the form with its messages.
 */
export function AddPatientPage(
  props: { csrfToken: string; values: PatientFormValues; errors: FieldErrors } & {
    query: PatientListQuery;
  },
) {
  return (
    <div hx-history="false">
      <BackLink query={props.query} />
      <h1>
        Add a patient<RegistryTag />
      </h1>
      <form method="post" action={here("/patients")} class="card stack" novalidate>
        <AddPatientFields csrfToken={props.csrfToken} values={props.values} errors={props.errors} />
      </form>
    </div>
  );
}

/** The same as the inline edit row's. */
export type PatientEditPageProps = PatientEditRowProps;

export function PatientEditPage(props: PatientEditPageProps) {
  return (
    <div hx-history="false">
      <BackLink query={props.query} id={props.id} />
      <h1>
        Edit patient {props.id}
        <RegistryTag />
      </h1>
      <FormAlert message={props.message} />
      <form
        method="post"
        action={withListQuery(`/patients/${props.id}`, props.query)}
        class="card"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="revision" value={props.revision} />
        <PatientInputs
          values={props.values}
          errors={props.errors}
          idPrefix="edit-"
          fields={DATA_COLUMNS}
          autofocusFirst
        />
        <ReasonField idPrefix="edit-" />
        <p class="actions">
          <button type="submit">Save</button>
          <a class="button button-secondary" href={backTo(props.query, props.id)}>Cancel</a>
        </p>
      </form>
    </div>
  );
}

export function PatientDeletePage(
  { id, csrfToken, query }: { id: number; csrfToken: string; query: PatientListQuery },
) {
  return (
    <div hx-history="false">
      <BackLink query={query} id={id} />
      <h1>
        Delete patient {id}?<RegistryTag />
      </h1>
      <p class="lead">
        The record leaves your list and goes to{" "}
        <a href={here("/patients/deleted")}>Recently deleted</a>, where you can restore it until it
        is removed for good.
      </p>
      <form method="post" action={withListQuery(`/patients/${id}/delete`, query)} class="card">
        <CsrfField token={csrfToken} />
        <ReasonField idPrefix="delete-" />
        <p class="actions">
          <button type="submit" class="button-danger" autofocus>Delete patient {id}</button>
          <a class="button button-secondary" href={backTo(query, id)}>Keep it</a>
        </p>
      </form>
    </div>
  );
}
