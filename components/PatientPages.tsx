/** Full pages for one patient: details, edit and delete confirmation (used without JavaScript, and by links). */
import { FIELD_LABELS, PATIENT_FIELDS, type PatientRecord } from "../lib/patient_fields.ts";
import { displayValue } from "../lib/patient_format.ts";
import { formatTime } from "../lib/time_format.ts";
import type { AuditEntry } from "../lib/audit.ts";
import { CsrfField, Field, FormAlert } from "./Form.tsx";
import { HistoryPanel } from "./HistoryPanel.tsx";
import { PatientInputs } from "./PatientInputs.tsx";
import type { PatientEditRowProps } from "./PatientTable.tsx";

function BackLink() {
  return (
    <p class="back">
      <a href="/patients">← All patients</a>
    </p>
  );
}

/** The optional reason a change or delete form sends (kept in the patient's history). */
export function ReasonField({ idPrefix, form }: { idPrefix: string; form?: string }) {
  return (
    <Field
      name="reason"
      label="Reason (optional)"
      hint="Kept in the patient's history"
      maxlength={500}
      idPrefix={idPrefix}
      form={form}
    />
  );
}

export function PatientDetailPage(
  { patient, history, you }: { patient: PatientRecord; history: AuditEntry[]; you: number },
) {
  const base = `/patients/${patient.id}`;
  return (
    <div hx-history="false">
      <BackLink />
      <h1>Patient {patient.id}</h1>
      <dl class="card details">
        {PATIENT_FIELDS.filter((f) => f !== "id").map((field) => (
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
        <a class="button" href={`${base}/edit`}>Edit</a>
        <a class="button button-danger" href={`${base}/delete`}>Delete</a>
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
      <BackLink />
      <h1>Edit patient {props.id}</h1>
      <FormAlert message={props.message} />
      <form method="post" action={`/patients/${props.id}`} class="card" novalidate>
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="revision" value={props.revision} />
        <PatientInputs
          values={props.values}
          errors={props.errors}
          idPrefix="edit-"
          fields={PATIENT_FIELDS.filter((f) => f !== "id")}
          autofocusFirst
        />
        <ReasonField idPrefix="edit-" />
        <p class="actions">
          <button type="submit">Save</button>
          <a class="button button-secondary" href="/patients">Cancel</a>
        </p>
      </form>
    </div>
  );
}

export function PatientDeletePage({ id, csrfToken }: { id: number; csrfToken: string }) {
  return (
    <div hx-history="false">
      <BackLink />
      <h1>Delete patient {id}?</h1>
      <p class="lead">
        The record leaves your list and goes to{" "}
        <a href="/patients/deleted">Recently deleted</a>, where you can restore it until it is
        removed for good.
      </p>
      <form method="post" action={`/patients/${id}/delete`} class="card">
        <CsrfField token={csrfToken} />
        <ReasonField idPrefix="delete-" />
        <p class="actions">
          <button type="submit" class="button-danger" autofocus>Delete patient {id}</button>
          <a class="button button-secondary" href="/patients">Keep it</a>
        </p>
      </form>
    </div>
  );
}
