/**
 * Full pages for one patient: details, edit and delete confirmation (used without JavaScript, on
 * a phone, and by links). Each carries the list view it came from, and goes back to it.
 */
import { FIELD_LABELS, type PatientRecord } from "../lib/patient_fields.ts";
import { displayValue } from "../lib/patient_format.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { formatTime } from "../lib/time_format.ts";
import type { AuditEntry } from "../lib/audit.ts";
import { CsrfField, FormAlert } from "./Form.tsx";
import { HistoryPanel } from "./HistoryPanel.tsx";
import { listUrl, withListQuery } from "./htmx.ts";
import { PatientInputs, ReasonField } from "./PatientInputs.tsx";
import { DATA_COLUMNS, type PatientEditRowProps } from "./PatientTable.tsx";

/** The list view, scrolled to the patient's row when there is one. */
function backTo(query: PatientListQuery, id?: number): string {
  return id === undefined ? listUrl(query) : `${listUrl(query)}#patient-${id}`;
}

function BackLink({ query, id }: { query: PatientListQuery; id?: number }) {
  return (
    <p class="back">
      <a href={backTo(query, id)}>← All patients</a>
    </p>
  );
}

export function PatientDetailPage(
  { patient, query, history, you }: {
    patient: PatientRecord;
    query: PatientListQuery;
    history: AuditEntry[];
    you: number;
  },
) {
  const base = `/patients/${patient.id}`;
  return (
    <div hx-history="false">
      <BackLink query={query} id={patient.id} />
      <h1>Patient {patient.id}</h1>
      <dl class="card details">
        {DATA_COLUMNS.map((field) => (
          <div>
            <dt>{FIELD_LABELS[field]}</dt>
            <dd>{displayValue(field, patient[field])}</dd>
          </div>
        ))}
        <div>
          <dt>Created</dt>
          <dd>{formatTime(patient.created_at)}</dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>{formatTime(patient.updated_at)}</dd>
        </div>
      </dl>
      <p class="actions">
        <a class="button" href={withListQuery(`${base}/edit`, query)}>Edit</a>
        <a class="button button-danger" href={withListQuery(`${base}/delete`, query)}>Delete</a>
      </p>
      <HistoryPanel entries={history} you={you} />
    </div>
  );
}

/** The same as the inline edit row's. */
export type PatientEditPageProps = PatientEditRowProps;

export function PatientEditPage(props: PatientEditPageProps) {
  return (
    <div hx-history="false">
      <BackLink query={props.query} id={props.id} />
      <h1>Edit patient {props.id}</h1>
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
      <h1>Delete patient {id}?</h1>
      <p class="lead">
        The record leaves your list and goes to{" "}
        <a href="/patients/deleted">Recently deleted</a>, where you can restore it until it is
        removed for good.
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
