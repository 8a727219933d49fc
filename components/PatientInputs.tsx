/** The inputs of a patient record, for the add form, the inline edit row and the edit page. */
import {
  CATEGORICAL_VALUES,
  type CategoricalField,
  FIELD_LABELS,
  type PatientField,
} from "../lib/patient_fields.ts";
import { options } from "../lib/patient_format.ts";
import { Field, type FieldErrors, SelectField } from "./Form.tsx";

/** Form text per field, as typed or as stored. */
export type PatientFormValues = Partial<Record<PatientField, string>>;

const NUMBER_INPUTS: Partial<Record<PatientField, { min: string; max: string; hint?: string }>> = {
  id: { min: "1", max: "2147483647" },
  age: { min: "0", max: "120", hint: "Years; 0.08 is one month" },
  avg_glucose_level: { min: "0", max: "1000", hint: "mg/dL" },
  bmi: { min: "5", max: "150", hint: "Leave empty when unknown" },
};

export interface PatientControlProps {
  field: PatientField;
  value?: string;
  error?: string;
  idPrefix: string;
  form?: string;
  autofocus?: boolean;
  /** Show hints under inputs (the add form and edit page; not the compact table row). */
  hints?: boolean;
  /** Hint for the id input. */
  idHint?: string;
}

/** One labelled control: a select for a categorical field, a number input otherwise. */
export function PatientControl(props: PatientControlProps) {
  const { field, value, error, idPrefix, form, autofocus } = props;
  const label = FIELD_LABELS[field];
  if (field in CATEGORICAL_VALUES) {
    return (
      <SelectField
        name={field}
        label={label}
        value={value}
        options={options(field as CategoricalField)}
        placeholder="Choose…"
        error={error}
        idPrefix={idPrefix}
        form={form}
        autofocus={autofocus}
      />
    );
  }
  const limits = NUMBER_INPUTS[field]!;
  return (
    <Field
      name={field}
      label={label}
      value={value}
      error={error}
      idPrefix={idPrefix}
      form={form}
      autofocus={autofocus}
      inputmode={field === "id" ? "numeric" : "decimal"}
      hint={props.hints ? (field === "id" ? props.idHint : limits.hint) : undefined}
    />
  );
}

export interface PatientInputsProps {
  values: PatientFormValues;
  errors: FieldErrors;
  idPrefix: string;
  /** The fields to show, in order. */
  fields: readonly PatientField[];
  idHint?: string;
  autofocusFirst?: boolean;
}

/** Every control of a record, laid out in a responsive grid. */
export function PatientInputs(props: PatientInputsProps) {
  // The cursor goes to the first field with a problem, else (when asked) to the first field.
  const focus = props.fields.find((f) => props.errors[f]) ??
    (props.autofocusFirst ? props.fields[0] : undefined);
  return (
    <div class="patient-grid">
      {props.fields.map((field) => (
        <PatientControl
          field={field}
          value={props.values[field]}
          error={props.errors[field]}
          idPrefix={props.idPrefix}
          autofocus={field === focus}
          hints
          idHint={props.idHint}
        />
      ))}
    </div>
  );
}
