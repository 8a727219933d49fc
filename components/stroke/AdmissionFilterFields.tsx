/**
 * The patient filters' admission part: patients with an admission arriving in a period (dates
 * in the user's time zone), of a stroke type, with a treatment. The fields are the list's own
 * query parameters (`admitted_from`, `admitted_to`, `stroke_type`, `treatment`).
 */
import { ADMISSION_RULES, STROKE_TYPES } from "../../lib/stroke/admission_fields.ts";
import { TREATMENT_LABELS } from "../../lib/admission_filter.ts";
import { ADMISSION_PARAMETERS, type PatientFilter, TREATMENTS } from "../../lib/patient_query.ts";
import { Field, type FieldErrors, SelectField } from "../Form.tsx";

export type AdmissionFilterField = (typeof ADMISSION_PARAMETERS)[number];

/** The text of each admission filter field for a filter. */
export function admissionFilterValues(
  filter: PatientFilter,
): Partial<Record<AdmissionFilterField, string>> {
  const a = filter.admission ?? {};
  const out: Partial<Record<AdmissionFilterField, string>> = {};
  if (a.from !== undefined) out.admitted_from = a.from;
  if (a.to !== undefined) out.admitted_to = a.to;
  if (a.stroke_type !== undefined) out.stroke_type = a.stroke_type;
  if (a.treatment !== undefined) out.treatment = a.treatment;
  return out;
}

const strokeLabels =
  (ADMISSION_RULES.stroke_type.kind === "category"
    ? ADMISSION_RULES.stroke_type.valueLabels
    : undefined) as Record<string, string> | undefined;

/** The fields, for the patient filters' form (their ids start with `idPrefix`). */
export function AdmissionFilterFields(
  { values, errors = {}, idPrefix }: {
    values: Partial<Record<AdmissionFilterField, string>>;
    errors?: FieldErrors | undefined;
    idPrefix: string;
  },
) {
  const common = (name: AdmissionFilterField) => ({
    name,
    idPrefix,
    error: errors[name],
    errorSlot: true,
    value: values[name] ?? "",
  });
  return (
    <fieldset class="admission-filters">
      <legend>Has an admission</legend>
      <div class="admission-filter-grid">
        <Field {...common("admitted_from")} label="Arrived from" type="date" />
        <Field {...common("admitted_to")} label="Arrived to" type="date" />
        <SelectField
          {...common("stroke_type")}
          label="Stroke type"
          options={STROKE_TYPES.map((t) => ({ value: t, label: strokeLabels?.[t] ?? t }))}
          placeholder="Any"
        />
        <SelectField
          {...common("treatment")}
          label="Treatment"
          options={TREATMENTS.map((t) => ({ value: t, label: TREATMENT_LABELS[t] }))}
          placeholder="Any"
        />
      </div>
    </fieldset>
  );
}
