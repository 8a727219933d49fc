/**
 * A patient's admissions on the patient page: each admission (`AdmissionArticle.tsx`), add, edit
 * and delete in place (htmx) or through plain forms and pages, and the recently deleted
 * admissions with Restore. Every address stays in the page's registry, and controls the role may
 * not use are not drawn.
 */
import type { Child } from "hono/jsx";
import { formatCount } from "../../lib/count_format.ts";
import type { StoredAdmission } from "../../lib/admission_store.ts";
import type { AdmissionFormValues } from "../../lib/stroke/admission_form.ts";
import { wallClockText } from "../../lib/stroke/admission_timeline.ts";
import { CsrfField, type FieldErrors, FormAlert } from "../Form.tsx";
import { mayDo } from "../registry_url.ts";
import { Toast } from "../Toast.tsx";
import { AdmissionArticle, strokeTypeLabel } from "./AdmissionArticle.tsx";
import { ADMISSION_IDS, AdmissionInputs, admissionsUrl } from "./AdmissionForm.tsx";

export interface AddAdmissionProps {
  patientId: number;
  zone: string;
  csrfToken: string;
  values: AdmissionFormValues;
  errors: FieldErrors;
  open: boolean;
}

/** "Add an admission": a disclosure (no script needed) holding the form. */
export function AddAdmission(props: AddAdmissionProps) {
  return (
    <details class="tool add-admission card" id={ADMISSION_IDS.add} open={props.open}>
      <summary>Add an admission</summary>
      <form
        method="post"
        action={admissionsUrl(props.patientId)}
        hx-post={admissionsUrl(props.patientId)}
        hx-target={`#${ADMISSION_IDS.body}`}
        hx-swap="outerHTML"
        class="admission-form"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        <FormAlert message={props.errors.form} />
        <AdmissionInputs
          values={props.values}
          errors={props.errors}
          idPrefix="add-admission-"
          zone={props.zone}
        />
        <p>
          <button type="submit">Add admission</button>
        </p>
      </form>
    </details>
  );
}

/** One button that brings a deleted admission back (htmx, or a plain POST). */
export function RestoreAdmissionForm(
  { patientId, admissionId, csrfToken, label = "Restore" }: {
    patientId: number;
    admissionId: number;
    csrfToken: string;
    label?: string;
  },
) {
  const action = admissionsUrl(patientId, `/${admissionId}/restore`);
  return (
    <form
      method="post"
      action={action}
      hx-post={action}
      hx-target={`#${ADMISSION_IDS.body}`}
      hx-swap="outerHTML"
      class="restore-form"
    >
      <CsrfField token={csrfToken} />
      <button type="submit" class="button-small" aria-label={`${label} (admission ${admissionId})`}>
        {label}
      </button>
    </form>
  );
}

/** The patient's recently deleted admissions, with Restore for those who may. */
function DeletedAdmissions(
  { patientId, deleted, zone, csrfToken }: {
    patientId: number;
    deleted: StoredAdmission[];
    zone: string;
    csrfToken: string;
  },
) {
  if (deleted.length === 0) return null;
  return (
    <details class="tool deleted-admissions card">
      <summary>Recently deleted admissions ({formatCount(deleted.length)})</summary>
      <ul class="plain-list">
        {deleted.map((a) => (
          <li>
            <span>
              Admission {a.admission_id}: {strokeTypeLabel(a.stroke_type)}, arrived{" "}
              {wallClockText(a.arrival_at, zone)}; deleted {wallClockText(a.deleted_at!, zone)}
            </span>
            {mayDo("restore") && (
              <RestoreAdmissionForm
                patientId={patientId}
                admissionId={a.admission_id}
                csrfToken={csrfToken}
              />
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}

export interface AdmissionsBodyProps {
  patientId: number;
  admissions: StoredAdmission[];
  deleted: StoredAdmission[];
  zone: string;
  csrfToken: string;
  /** The add form as typed, with its problems (open when it has some). */
  add?: { values: AdmissionFormValues; errors: FieldErrors } | undefined;
  /** The admission whose Edit takes the focus, or the count line ("count") after a delete. */
  focus?: number | "count" | undefined;
}

/** What the panel's writes swap: the count, the admissions, the add form, the deleted ones. */
export function AdmissionsBody(props: AdmissionsBodyProps) {
  const { patientId, admissions, zone } = props;
  const count = admissions.length;
  const add = props.add ?? { values: {}, errors: {} };
  return (
    <div id={ADMISSION_IDS.body}>
      <p
        class="admissions-count muted"
        id={ADMISSION_IDS.count}
        tabindex={-1}
        autofocus={props.focus === "count"}
      >
        {count === 0
          ? "No admissions recorded."
          : `${formatCount(count)} admission${count === 1 ? "" : "s"}, oldest first.`} Times are in
        {" "}
        {zone}.
      </p>
      {admissions.map((admission) => (
        <AdmissionArticle
          patientId={patientId}
          admission={admission}
          zone={zone}
          focus={props.focus === admission.admission_id}
        />
      ))}
      {mayDo("write") && (
        <AddAdmission
          patientId={patientId}
          zone={zone}
          csrfToken={props.csrfToken}
          values={add.values}
          errors={add.errors}
          open={Object.keys(add.errors).length > 0}
        />
      )}
      <DeletedAdmissions
        patientId={patientId}
        deleted={props.deleted}
        zone={zone}
        csrfToken={props.csrfToken}
      />
    </div>
  );
}

/** The patient page's admissions section. */
export function AdmissionsPanel(props: AdmissionsBodyProps) {
  return (
    <section class="admissions" id={ADMISSION_IDS.panel} aria-labelledby="admissions-title">
      <h2 id="admissions-title">Admissions</h2>
      <div id={ADMISSION_IDS.status} class="admissions-status" aria-live="polite" tabindex={-1}>
      </div>
      <AdmissionsBody {...props} />
    </section>
  );
}

/** A message in the panel's live region (an out-of-band swap); empty clears it. */
export function AdmissionsNotice(
  { message, kind = "ok" }: { message?: Child; kind?: "ok" | "error" },
) {
  return (
    <div id={ADMISSION_IDS.status} hx-swap-oob="innerHTML">
      {message && <Toast kind={kind} live={false}>{message}</Toast>}
    </div>
  );
}

/** "Admission 2 deleted." with Undo (for those who may restore). */
export function AdmissionUndo(
  { patientId, admissionId, csrfToken }: {
    patientId: number;
    admissionId: number;
    csrfToken: string;
  },
) {
  return (
    <span class="undo-notice">
      Admission {admissionId} deleted. {mayDo("restore") && (
        <RestoreAdmissionForm
          patientId={patientId}
          admissionId={admissionId}
          csrfToken={csrfToken}
          label="Undo"
        />
      )}
    </span>
  );
}
