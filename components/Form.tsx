/** Form building blocks: a labelled field with its error beside it, the CSRF field, a form-level alert. */
import type { Child } from "hono/jsx";
import { registryParam } from "./registry_url.ts";

/** Field name → message, shown next to the field. */
export type FieldErrors = Record<string, string>;

export interface FieldProps {
  name: string;
  label: string;
  type?: string | undefined;
  value?: string | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  autocomplete?: string | undefined;
  required?: boolean | undefined;
  maxlength?: number | undefined;
  minlength?: number | undefined;
  autofocus?: boolean | undefined;
  inputmode?: "text" | "decimal" | "numeric" | "email" | undefined;
  step?: string | undefined;
  min?: string | undefined;
  max?: string | undefined;
  /** Form id, for a field that stands outside its form (inline table rows). */
  form?: string | undefined;
  /** Prefix of the element ids, so that a page may hold the same form twice. */
  idPrefix?: string | undefined;
  placeholder?: string | undefined;
  /** Keep an (empty) error element, so that an htmx answer can fill it out of band. */
  errorSlot?: boolean | undefined;
}

function describedBy(id: string, error?: string, hint?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

/** A visible label, the input, an optional hint and the field's error, tied together for screen readers. */
export function Field(props: FieldProps) {
  const id = `${props.idPrefix ?? ""}${props.name}`;
  return (
    <div class={props.error ? "field field-invalid" : "field"}>
      <label for={id}>{props.label}</label>
      {props.hint && <p class="hint" id={`${id}-hint`}>{props.hint}</p>}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        autocomplete={props.autocomplete}
        required={props.required}
        maxlength={props.maxlength}
        minlength={props.minlength}
        autofocus={props.autofocus}
        inputmode={props.inputmode}
        step={props.step}
        min={props.min}
        max={props.max}
        form={props.form}
        placeholder={props.placeholder}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy(id, props.error, props.hint)}
      />
      <FieldError id={id} error={props.error} slot={props.errorSlot} />
    </div>
  );
}

export interface SelectFieldProps {
  name: string;
  label: string;
  value?: string | undefined;
  options: { value: string; label: string }[];
  /** The first option, with an empty value ("Choose…", "Any"). */
  placeholder?: string | undefined;
  error?: string | undefined;
  required?: boolean | undefined;
  form?: string | undefined;
  idPrefix?: string | undefined;
  autofocus?: boolean | undefined;
  /** Keep an (empty) error element, so that an htmx answer can fill it out of band. */
  errorSlot?: boolean | undefined;
}

/** A labelled select; the entered value stays selected when the form comes back with errors. */
export function SelectField(props: SelectFieldProps) {
  const id = `${props.idPrefix ?? ""}${props.name}`;
  return (
    <div class={props.error ? "field field-invalid" : "field"}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        required={props.required}
        form={props.form}
        autofocus={props.autofocus}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
      >
        {props.placeholder !== undefined && <option value="">{props.placeholder}</option>}
        {props.options.map((option) => (
          <option value={option.value} selected={option.value === props.value}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldError id={id} error={props.error} slot={props.errorSlot} />
    </div>
  );
}

/**
 * The message under a field; `role="alert"` so that it is announced when it appears. As a `slot`
 * it is there (hidden) without a message too, and `oob` sends it as an htmx out-of-band swap.
 */
export function FieldError(
  { id, error, slot, oob }: {
    id: string;
    error?: string | undefined;
    slot?: boolean | undefined;
    oob?: boolean | undefined;
  },
) {
  if (!slot && !oob) {
    return error ? <p class="field-error" id={`${id}-error`} role="alert">{error}</p> : null;
  }
  return (
    <p
      class="field-error"
      id={`${id}-error`}
      role="alert"
      hidden={!error}
      hx-swap-oob={oob ? "true" : undefined}
    >
      {error}
    </p>
  );
}

/** The hidden field carrying the session's CSRF token. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/**
 * Keeps a GET form in the page's team registry (`registry={rid}` as a hidden input: a browser
 * drops the query of a GET form's action). Nothing on a personal registry's page.
 */
export function RegistryField() {
  const param = registryParam();
  return param && <input type="hidden" name={param.name} value={param.value} />;
}

/** A message at the top of a form, for what belongs to no single field. */
export function FormAlert(
  { message, kind = "error" }: { message?: string | undefined; kind?: "error" | "ok" },
) {
  if (!message) return null;
  return (
    <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>{message}</div>
  );
}

export function Card({ title, id, children }: { title: string; id?: string; children?: Child }) {
  return (
    <section class="card form-card" id={id} aria-labelledby={id ? `${id}-heading` : undefined}>
      <h2 id={id ? `${id}-heading` : undefined}>{title}</h2>
      {children}
    </section>
  );
}
