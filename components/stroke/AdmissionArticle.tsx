/**
 * One admission on the patient page: its timeline (onset → arrival → imaging → needle/puncture →
 * discharge, the time between each step written out as well as drawn), its door-to-treatment
 * intervals and outcome, with Edit and Delete for those who may; the same admission as a form in
 * its place; and what takes its place when it is gone.
 */
import type { StoredAdmission } from "../../lib/admission_store.ts";
import {
  ADMISSION_RULES,
  type AdmissionFields,
  MRS_LABELS,
  type MrsGrade,
} from "../../lib/stroke/admission_fields.ts";
import type { AdmissionFormValues } from "../../lib/stroke/admission_form.ts";
import {
  durationText,
  intervalsOf,
  minutesText,
  missingSteps,
  timelineOf,
  wallClockText,
} from "../../lib/stroke/admission_timeline.ts";
import { DOOR_TO_NEEDLE_TARGET } from "../../lib/stroke/quality_indicators.ts";
import { CsrfField, type FieldErrors, FormAlert } from "../Form.tsx";
import { ReasonField } from "../PatientInputs.tsx";
import { mayDo } from "../registry_url.ts";
import { ADMISSION_IDS, admissionDomId, AdmissionInputs, admissionsUrl } from "./AdmissionForm.tsx";

/** A stroke type in words ("Ischaemic stroke"). */
export const strokeTypeLabel = (type: string) =>
  (ADMISSION_RULES.stroke_type.kind === "category" &&
    (ADMISSION_RULES.stroke_type.valueLabels as Record<string, string> | undefined)?.[type]) ||
  type;

const destinationLabel = (value: string) =>
  (ADMISSION_RULES.discharge_destination.kind === "category" &&
    (ADMISSION_RULES.discharge_destination.valueLabels as Record<string, string> | undefined)
      ?.[value]) || value;

const mrsText = (grade: number | null) =>
  grade === null ? "Not recorded" : `${grade} – ${MRS_LABELS[grade as MrsGrade] ?? ""}`;

/**
 * The timeline: every known time in the order it happened, with the time since the last. The
 * first step and arrival are written with their date; another only when its day differs from
 * the step before.
 */
export function AdmissionTimeline(
  { admission, zone, label }: { admission: AdmissionFields; zone: string; label: string },
) {
  const steps = timelineOf(admission);
  const missing = missingSteps(admission);
  return (
    <>
      <ol class="timeline" aria-label={label}>
        {steps.map((step, i) => (
          <li class={`timeline-step step-${step.field.replace(/_at$/, "").replaceAll("_", "-")}`}>
            <span class="timeline-dot" aria-hidden="true"></span>
            <span class="timeline-label">{step.label}</span>{" "}
            <time datetime={step.at.toISOString()}>
              {wallClockText(
                step.at,
                zone,
                step.field === "arrival_at" ? undefined : steps[i - 1]?.at,
              )}
            </time>
            {step.sincePrevious && (
              <>
                {" "}
                <span class="timeline-gap">
                  {step.sincePrevious.ms === 0
                    ? `at the same time as ${step.sincePrevious.previous}`
                    : `${durationText(step.sincePrevious.ms)} after ${step.sincePrevious.previous}`}
                </span>
              </>
            )}
          </li>
        ))}
      </ol>
      {missing.length > 0 && (
        <p class="timeline-missing">{missing.map((m) => m.text).join(" · ")}</p>
      )}
    </>
  );
}

/** The intervals the indicators count, the NIHSS, and how the patient left and did. */
function AdmissionFacts({ admission }: { admission: StoredAdmission }) {
  const intervals = intervalsOf(admission);
  return (
    <dl class="admission-facts">
      {intervals.map((interval) => (
        <div>
          <dt>{interval.label}</dt>
          <dd>
            {minutesText(interval.minutes)}
            {interval.withinTarget !== undefined && (
              <span class={interval.withinTarget ? "target-met" : "target-missed"}>
                {interval.withinTarget
                  ? ` (within the ${DOOR_TO_NEEDLE_TARGET}-minute target)`
                  : ` (over the ${DOOR_TO_NEEDLE_TARGET}-minute target)`}
              </span>
            )}
          </dd>
        </div>
      ))}
      <div>
        <dt>NIHSS on arrival</dt>
        <dd>{admission.nihss_arrival ?? "Not recorded"}</dd>
      </div>
      <div>
        <dt>Discharge destination</dt>
        <dd>
          {admission.discharge_destination === null
            ? "Not yet known"
            : destinationLabel(admission.discharge_destination)}
        </dd>
      </div>
      <div>
        <dt>mRS at discharge</dt>
        <dd>{mrsText(admission.mrs_discharge)}</dd>
      </div>
      <div>
        <dt>mRS at 90 days</dt>
        <dd>{mrsText(admission.mrs_90d)}</dd>
      </div>
    </dl>
  );
}

export interface AdmissionArticleProps {
  patientId: number;
  admission: StoredAdmission;
  zone: string;
  /** Put the focus on its Edit button (after a save, a cancel, an add or a restore). */
  focus?: boolean | undefined;
}

/** One admission: heading, timeline, facts, and Edit and Delete for those who may. */
export function AdmissionArticle({ patientId, admission, zone, focus }: AdmissionArticleProps) {
  const aid = admission.admission_id;
  const domId = admissionDomId(aid);
  const one = `/${aid}`;
  const name = `admission ${aid}`;
  return (
    <article class="admission card" id={domId} aria-labelledby={`${domId}-title`}>
      <div class="admission-head">
        <h3 id={`${domId}-title`}>
          Admission {aid}: {strokeTypeLabel(admission.stroke_type)}
        </h3>
        <div class="admission-actions">
          {mayDo("write") && (
            <a
              class="button button-small button-secondary"
              href={admissionsUrl(patientId, `${one}/edit`)}
              hx-get={admissionsUrl(patientId, `${one}/edit`)}
              hx-target="closest article"
              hx-swap="outerHTML"
              autofocus={focus}
              aria-label={`Edit ${name}`}
            >
              Edit
            </a>
          )}
          {mayDo("delete") && (
            <form
              method="get"
              action={admissionsUrl(patientId, `${one}/delete`)}
              hx-delete={admissionsUrl(patientId, one)}
              hx-target={`#${ADMISSION_IDS.body}`}
              hx-swap="outerHTML"
              hx-confirm={`Delete admission ${aid} of patient ${patientId}? You can undo it, or restore it later.`}
            >
              <button
                type="submit"
                class="button-small button-danger"
                aria-label={`Delete ${name}`}
              >
                Delete
              </button>
            </form>
          )}
        </div>
      </div>
      <AdmissionTimeline admission={admission} zone={zone} label={`Timeline of ${name}`} />
      <AdmissionFacts admission={admission} />
    </article>
  );
}

export interface AdmissionEditProps {
  patientId: number;
  admissionId: number;
  revision: string;
  values: AdmissionFormValues;
  errors: FieldErrors;
  zone: string;
  csrfToken: string;
  /** A message for the whole form (someone else saved meanwhile). */
  message?: string | undefined;
}

/** The admission as a form in its place: Save swaps it back, Cancel (or Escape) restores it. */
export function AdmissionEditArticle(props: AdmissionEditProps) {
  const { patientId, admissionId } = props;
  const domId = admissionDomId(admissionId);
  const one = `/${admissionId}`;
  const prefix = `edit-admission-${admissionId}-`;
  return (
    <article
      class="admission card editing"
      id={domId}
      aria-labelledby={`${domId}-title`}
      data-edit-row
    >
      <h3 id={`${domId}-title`}>Edit admission {admissionId}</h3>
      <FormAlert message={props.message ?? props.errors.form} />
      <form
        method="post"
        action={admissionsUrl(patientId, one)}
        hx-post={admissionsUrl(patientId, one)}
        hx-target="closest article"
        hx-swap="outerHTML"
        class="admission-form"
        novalidate
      >
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="revision" value={props.revision} />
        <AdmissionInputs
          values={props.values}
          errors={props.errors}
          idPrefix={prefix}
          zone={props.zone}
          autofocusFirst
        />
        <ReasonField idPrefix={prefix} />
        <div class="edit-actions">
          <button type="submit">Save admission {admissionId}</button>
          <a
            class="button button-secondary"
            href={admissionsUrl(patientId, one)}
            hx-get={admissionsUrl(patientId, one)}
            hx-target="closest article"
            hx-swap="outerHTML"
            data-cancel
          >
            Cancel
          </a>
        </div>
      </form>
    </article>
  );
}

/** What takes an admission's place when it is no longer there. */
export function AdmissionGone({ admissionId, message }: { admissionId: number; message: string }) {
  return (
    <article class="admission card gone" id={admissionDomId(admissionId)}>
      <p role="alert">{message}</p>
    </article>
  );
}
