/** The inputs of a patient record, for the add form, the inline edit row and the edit page. */
import { type CategoricalField, type PatientField, ruleOf } from "../lib/patient_fields.ts";
import { options } from "../lib/patient_format.ts";
import { Field, type FieldErrors, SelectField } from "./Form.tsx";

/** Form text per field, as typed or as stored. */
export type PatientFormValues = Partial<Record<PatientField, string>>;

export interface PatientControlProps {
  field: PatientField;
  value?: string | undefined;
  error?: string | undefined;
  idPrefix: string;
  autofocus?: boolean | undefined;
  /** Show hints under inputs (the add form and edit page; not the compact table row). */
  hints?: boolean | undefined;
  /** Hint for the id input. */
  idHint?: string | undefined;
  /** The unit in the label ("Age (years)"), for the compact grid that has no hints. */
  unitInLabel?: boolean | undefined;
}

/** One labelled control: a select for a categorical field, a number input otherwise. */
export function PatientControl(props: PatientControlProps) {
  const { field, value, error, idPrefix, autofocus } = props;
  const rule = ruleOf(field);
  if (rule.kind === "category") {
    return (
      <SelectField
        name={field}
        label={rule.label}
        value={value}
        options={options(field as CategoricalField)}
        placeholder="Choose…"
        error={error}
        idPrefix={idPrefix}
        autofocus={autofocus}
      />
    );
  }
  return (
    <Field
      name={field}
      label={props.unitInLabel && rule.unit ? `${rule.label} (${rule.unit})` : rule.label}
      value={value}
      error={error}
      idPrefix={idPrefix}
      autofocus={autofocus}
      inputmode={rule.integer ? "numeric" : "decimal"}
      hint={props.hints ? (field === "id" ? props.idHint : rule.hint) : undefined}
    />
  );
}

export interface PatientInputsProps {
  values: PatientFormValues;
  errors: FieldErrors;
  idPrefix: string;
  /** The fields to show, in order. */
  fields: readonly PatientField[];
  idHint?: string | undefined;
  autofocusFirst?: boolean | undefined;
  /** Smaller, without hints (units in the labels): the inline edit row. */
  compact?: boolean | undefined;
}

/** Every control of a record, laid out in a responsive grid. */
export function PatientInputs(props: PatientInputsProps) {
  // The cursor goes to the first field with a problem, else (when asked) to the first field.
  const focus = props.fields.find((f) => props.errors[f]) ??
    (props.autofocusFirst ? props.fields[0] : undefined);
  return (
    <div class={props.compact ? "patient-grid compact" : "patient-grid"}>
      {props.fields.map((field) => (
        <PatientControl
          field={field}
          value={props.values[field]}
          error={props.errors[field]}
          idPrefix={props.idPrefix}
          autofocus={field === focus}
          hints={!props.compact}
          unitInLabel={props.compact}
          idHint={props.idHint}
        />
      ))}
    </div>
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
