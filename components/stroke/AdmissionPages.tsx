/**
 * Full pages for one admission, used without JavaScript: the add or edit form (also what a
 * refused plain form comes back as, with its values and the problems at their fields) and the
 * delete confirmation. Each goes back to the patient's page.
 */
import type { StoredAdmission } from "../../lib/admission_store.ts";
import type { AdmissionFormValues } from "../../lib/stroke/admission_form.ts";
import { wallClockText } from "../../lib/stroke/admission_timeline.ts";
import { CsrfField, type FieldErrors, FormAlert } from "../Form.tsx";
import { ReasonField } from "../PatientInputs.tsx";
import { here } from "../registry_url.ts";
import { AdmissionTimeline } from "./AdmissionArticle.tsx";
import { admissionDomId, AdmissionInputs, admissionsUrl } from "./AdmissionForm.tsx";

/** The patient's page, at its admissions (or at one of them). */
export function patientPageUrl(patientId: number, admissionId?: number | undefined): string {
  const anchor = admissionId === undefined ? "admissions" : admissionDomId(admissionId);
  return `${here(`/patients/${patientId}`)}#${anchor}`;
}

function BackLink(
  { patientId, admissionId }: { patientId: number; admissionId?: number | undefined },
) {
  return (
    <p class="back">
      <a href={patientPageUrl(patientId, admissionId)}>← Patient {patientId}</a>
    </p>
  );
}

export interface AdmissionFormPageProps {
  patientId: number;
  /** The admission being edited; none for a new one. */
  admissionId?: number | undefined;
  revision?: string | undefined;
  values: AdmissionFormValues;
  errors: FieldErrors;
  zone: string;
  csrfToken: string;
  message?: string | undefined;
}

/** Adding or editing an admission on a page of its own. */
export function AdmissionFormPage(props: AdmissionFormPageProps) {
  const { patientId, admissionId } = props;
  const editing = admissionId !== undefined;
  const prefix = editing ? `edit-admission-${admissionId}-` : "add-admission-";
  const action = admissionsUrl(patientId, editing ? `/${admissionId}` : "");
  return (
    <div hx-history="false" class="admission-page">
      <BackLink patientId={patientId} admissionId={admissionId} />
      <h1>
        {editing
          ? `Edit admission ${admissionId} of patient ${patientId}`
          : `Add an admission to patient ${patientId}`}
      </h1>
      <FormAlert message={props.message ?? props.errors.form} />
      <form method="post" action={action} class="card admission-form" novalidate>
        <CsrfField token={props.csrfToken} />
        {editing && <input type="hidden" name="revision" value={props.revision ?? ""} />}
        <AdmissionInputs
          values={props.values}
          errors={props.errors}
          idPrefix={prefix}
          zone={props.zone}
          autofocusFirst
        />
        {editing && <ReasonField idPrefix={prefix} />}
        <p class="actions">
          <button type="submit">{editing ? "Save admission" : "Add admission"}</button>
          <a class="button button-secondary" href={patientPageUrl(patientId, admissionId)}>
            Cancel
          </a>
        </p>
      </form>
    </div>
  );
}

/** "Delete admission 2?", with what it is, the optional reason and the button. */
export function AdmissionDeletePage(
  { patientId, admission, zone, csrfToken }: {
    patientId: number;
    admission: StoredAdmission;
    zone: string;
    csrfToken: string;
  },
) {
  const aid = admission.admission_id;
  return (
    <div hx-history="false" class="admission-page">
      <BackLink patientId={patientId} admissionId={aid} />
      <h1>Delete admission {aid} of patient {patientId}?</h1>
      <p class="lead">
        The admission that arrived {wallClockText(admission.arrival_at, zone)}{" "}
        leaves the patient's page. You can restore it from the patient's recently deleted admissions
        until it is removed for good.
      </p>
      <AdmissionTimeline admission={admission} zone={zone} label={`Timeline of admission ${aid}`} />
      <form
        method="post"
        action={admissionsUrl(patientId, `/${aid}/delete`)}
        class="card"
      >
        <CsrfField token={csrfToken} />
        <ReasonField idPrefix="delete-admission-" />
        <p class="actions">
          <button type="submit" class="button-danger" autofocus>Delete admission {aid}</button>
          <a class="button button-secondary" href={patientPageUrl(patientId, aid)}>Keep it</a>
        </p>
      </form>
    </div>
  );
}
