/**
 * The inputs of an admission, for the add form, the inline edit and the full-page forms: the
 * stroke, its times (`datetime-local`, on the user's wall clock in the zone the legend names;
 * a time that happened twice on a fall-back night gets a choice of its two offsets beside it)
 * and the discharge and outcome. The first field with a problem takes the focus. Also the
 * addresses and DOM ids the admissions' parts share.
 */
import {
  ADMISSION_RULES,
  DISCHARGE_DESTINATIONS,
  MRS_GRADES,
  MRS_LABELS,
  STROKE_TYPES,
  TIME_FIELDS,
  type TimeField,
} from "../../lib/stroke/admission_fields.ts";
import {
  type AdmissionFormValues,
  ambiguousTimes,
  offsetName,
} from "../../lib/stroke/admission_form.ts";
import { zoneLabel } from "../TimeZoneCard.tsx";
import type { ZonedCandidate } from "../../lib/stroke/time_zone.ts";
import { Field, FieldError, type FieldErrors, SelectField } from "../Form.tsx";
import { here } from "../registry_url.ts";

export interface AdmissionInputsProps {
  values: AdmissionFormValues;
  errors: FieldErrors;
  /** Prefix of the element ids, so that a page may hold several admission forms. */
  idPrefix: string;
  /** The IANA zone the times are entered in. */
  zone: string;
  /** Focus the first field when there is no problem to focus (a form just opened). */
  autofocusFirst?: boolean | undefined;
}

/** The fields in the order they are shown (and focused). */
const STROKE_FIELDS = ["stroke_type", "nihss_arrival"] as const;
const OUTCOME_FIELDS = ["discharge_destination", "mrs_discharge", "mrs_90d"] as const;
const SHOWN = [...STROKE_FIELDS, ...TIME_FIELDS, ...OUTCOME_FIELDS] as const;

const labelsOf = (rule: (typeof ADMISSION_RULES)[keyof typeof ADMISSION_RULES]) =>
  rule.kind === "category" ? (rule.valueLabels ?? {}) as Record<string, string> : {};

const mrsOptions = MRS_GRADES.map((g) => ({ value: String(g), label: `${g} – ${MRS_LABELS[g]}` }));

/** The two readings of a time that happened twice, to choose between. */
function OffsetChoice(
  { field, id, pair, value, invalid, autofocus }: {
    field: TimeField;
    id: string;
    pair: [ZonedCandidate, ZonedCandidate];
    value: string;
    invalid: boolean;
    autofocus: boolean;
  },
) {
  const time = pair[0].text.slice(11, 16);
  return (
    <div class={invalid ? "field offset-choice field-invalid" : "field offset-choice"}>
      <label for={id}>Which {time}?</label>
      <select
        id={id}
        name={offsetName(field)}
        autofocus={autofocus}
        aria-invalid={invalid ? "true" : undefined}
        aria-describedby={invalid ? `${id.slice(0, -"_offset".length)}-error` : undefined}
      >
        <option value="" selected={value === ""}>Choose…</option>
        <option value={pair[0].offset} selected={value === pair[0].offset}>
          The first {time} (UTC{pair[0].offset}, before the clocks went back)
        </option>
        <option value={pair[1].offset} selected={value === pair[1].offset}>
          The second {time} (UTC{pair[1].offset}, after the clocks went back)
        </option>
      </select>
    </div>
  );
}

/** One time: its `datetime-local` input, its message, and the offset choice when it needs one. */
function TimeInput(
  props: {
    field: TimeField;
    values: AdmissionFormValues;
    error?: string | undefined;
    idPrefix: string;
    pair?: [ZonedCandidate, ZonedCandidate] | undefined;
    focus: "input" | "offset" | null;
  },
) {
  const { field, error, idPrefix, pair } = props;
  const rule = ADMISSION_RULES[field];
  const id = `${idPrefix}${field}`;
  return (
    <div class={error ? "field time-field field-invalid" : "field time-field"}>
      <label for={id}>{rule.label}</label>
      <input
        id={id}
        name={field}
        type="datetime-local"
        value={props.values[field] ?? ""}
        required={!rule.nullable}
        autofocus={props.focus === "input"}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      <FieldError id={id} error={error} />
      {pair && (
        <OffsetChoice
          field={field}
          id={`${id}_offset`}
          pair={pair}
          value={props.values[offsetName(field)] ?? ""}
          invalid={Boolean(error)}
          autofocus={props.focus === "offset"}
        />
      )}
    </div>
  );
}

/** Every input of an admission, in three groups. */
export function AdmissionInputs(props: AdmissionInputsProps) {
  const { values, errors, idPrefix, zone } = props;
  const ambiguous = ambiguousTimes(values, zone);
  const first = SHOWN.find((f) => errors[f]) ?? (props.autofocusFirst ? SHOWN[0] : undefined);
  const focusOf = (field: TimeField) =>
    first !== field
      ? null
      : errors[field] && ambiguous[field]
      ? "offset" as const
      : "input" as const;
  const strokeType = ADMISSION_RULES.stroke_type;
  const destination = ADMISSION_RULES.discharge_destination;
  return (
    <>
      <fieldset class="admission-group">
        <legend>Stroke</legend>
        <div class="admission-grid">
          <SelectField
            name="stroke_type"
            label="Stroke type"
            value={values.stroke_type}
            options={STROKE_TYPES.map((t) => ({ value: t, label: labelsOf(strokeType)[t] ?? t }))}
            placeholder="Choose…"
            error={errors.stroke_type}
            required
            idPrefix={idPrefix}
            autofocus={first === "stroke_type"}
          />
          <Field
            name="nihss_arrival"
            label="NIHSS on arrival"
            value={values.nihss_arrival}
            error={errors.nihss_arrival}
            hint="0 (no deficit) to 42; empty when not assessed"
            inputmode="numeric"
            idPrefix={idPrefix}
            autofocus={first === "nihss_arrival"}
          />
        </div>
      </fieldset>
      <fieldset class="admission-group">
        <legend>
          Times <span class="legend-zone">in {zoneLabel(zone)}</span>
        </legend>
        <p class="hint">
          Date and time on the clock in {zone}.{" "}
          <a href="/profile#time-zone">Change your time zone</a>. Leave a time empty when it is not
          known or the treatment was not given.
        </p>
        <div class="admission-grid">
          {TIME_FIELDS.map((field) => (
            <TimeInput
              field={field}
              values={values}
              error={errors[field]}
              idPrefix={idPrefix}
              pair={ambiguous[field]}
              focus={focusOf(field)}
            />
          ))}
        </div>
      </fieldset>
      <fieldset class="admission-group">
        <legend>Discharge and outcome</legend>
        <div class="admission-grid">
          <SelectField
            name="discharge_destination"
            label="Discharge destination"
            value={values.discharge_destination}
            options={DISCHARGE_DESTINATIONS.map((d) => ({
              value: d,
              label: labelsOf(destination)[d] ?? d,
            }))}
            placeholder="Not yet known"
            error={errors.discharge_destination}
            idPrefix={idPrefix}
            autofocus={first === "discharge_destination"}
          />
          <SelectField
            name="mrs_discharge"
            label="mRS at discharge"
            value={values.mrs_discharge}
            options={mrsOptions}
            placeholder="Not recorded"
            error={errors.mrs_discharge}
            idPrefix={idPrefix}
            autofocus={first === "mrs_discharge"}
          />
          <SelectField
            name="mrs_90d"
            label="mRS at 90 days"
            value={values.mrs_90d}
            options={mrsOptions}
            placeholder="Not recorded"
            error={errors.mrs_90d}
            idPrefix={idPrefix}
            autofocus={first === "mrs_90d"}
          />
        </div>
      </fieldset>
    </>
  );
}

/** The address of a patient's admissions (or of one, or below it), in the page's registry. */
export function admissionsUrl(patientId: number, rest = ""): string {
  return here(`/patients/${patientId}/admissions${rest}`);
}

/** Ids of the panel's regions that htmx answers target. */
export const ADMISSION_IDS = {
  panel: "admissions",
  /** The panel's message region (a live region that stays while the rest is swapped). */
  status: "admissions-status",
  /** What the panel's writes swap: the list, the add form and the deleted admissions. */
  body: "admissions-body",
  count: "admissions-count",
  add: "add-admission",
} as const;

/** The id of an admission's article. */
export const admissionDomId = (admissionId: number) => `admission-${admissionId}`;
