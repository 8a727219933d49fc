/**
 * An admission as a browser form carries it: every field as text, date-times as a
 * `datetime-local` input sends them (the user's wall clock in their time zone) and, for a time
 * that happens twice on a fall-back night, the offset the user chose (`arrival_at_offset`). Read
 * back with every problem named at its field — a time that is ambiguous and not yet chosen
 * between asks for the choice rather than guessing — and written out from a stored admission.
 */
import type { FieldError } from "../errors.ts";
import {
  ADMISSION_INPUT_FIELDS,
  ADMISSION_RULES,
  type AdmissionFields,
  type AdmissionInputField,
  isTimeField,
  TIME_FIELDS,
  type TimeField,
} from "./admission_fields.ts";
import { parseAdmissionText, validateAdmission } from "./admission_rules.ts";
import {
  LOCAL_DATE_TIME,
  offsetAt,
  readLocalTime,
  toLocalInput,
  UTC_OFFSET,
  type ZonedCandidate,
} from "./time_zone.ts";

/** Form text by field name: the admission's fields and `<time field>_offset`. */
export type AdmissionFormValues = Record<string, string>;

/** The name of a time field's offset choice. */
export function offsetName(field: TimeField): string {
  return `${field}_offset`;
}

/** Every name an admission form sends (the fields, then the offset choices). */
export const ADMISSION_FORM_NAMES: readonly string[] = [
  ...ADMISSION_INPUT_FIELDS,
  ...TIME_FIELDS.map(offsetName),
];

/** The longest text kept of any one field (a datetime-local value has 16 characters). */
const MAX_FIELD_TEXT = 100;

/** Reads the form's fields (and nothing else), trimmed and bounded. */
export function admissionFormValues(body: Record<string, unknown>): AdmissionFormValues {
  const out: AdmissionFormValues = {};
  for (const name of ADMISSION_FORM_NAMES) {
    const value = body[name];
    if (typeof value === "string") out[name] = value.trim().slice(0, MAX_FIELD_TEXT);
  }
  return out;
}

/** A typed wall-clock time with a space (`2026-10-25 01:30`, a browser without the picker). */
function localText(text: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(text) ? text.replace(" ", "T") : text;
}

/** The two readings of each time the form holds that happens twice in `zone`. */
export function ambiguousTimes(
  values: AdmissionFormValues,
  zone: string,
): Partial<Record<TimeField, [ZonedCandidate, ZonedCandidate]>> {
  const out: Partial<Record<TimeField, [ZonedCandidate, ZonedCandidate]>> = {};
  for (const field of TIME_FIELDS) {
    const text = localText(values[field] ?? "");
    if (!LOCAL_DATE_TIME.test(text)) continue;
    const reading = readLocalTime(text, zone);
    if (reading.kind === "ambiguous") out[field] = reading.candidates;
  }
  return out;
}

/** The form's text of a stored admission, times on the user's wall clock in `zone`. */
export function formValuesOf(admission: AdmissionFields, zone: string): AdmissionFormValues {
  const out: AdmissionFormValues = {};
  for (const field of ADMISSION_INPUT_FIELDS) {
    const value = admission[field];
    if (value === null) out[field] = "";
    else if (value instanceof Date) {
      out[field] = toLocalInput(value, zone);
      // A time of a fall-back night keeps which of the two it was.
      if (readLocalTime(out[field]!, zone).kind === "ambiguous") {
        out[offsetName(field as TimeField)] = offsetAt(value, zone);
      }
    } else out[field] = String(value);
  }
  return out;
}

/** What a form's text is, read in the user's zone. */
export type AdmissionFormReading =
  /** The admission as the JSON API would take it (date-times with their offsets). */
  | { ok: true; input: Record<string, unknown> }
  | { ok: false; errors: FieldError[] };

const FIELD_ORDER = new Map<string, number>(ADMISSION_INPUT_FIELDS.map((f, i) => [f, i]));

/**
 * Reads an admission form: each date-time as a wall-clock time in `zone` (a time in a
 * spring-forward gap is refused; one that happens twice needs the offset chosen in
 * `<field>_offset`), then every rule of the admission (`now`: no time in the future). The
 * problems come in the form's order, one per field.
 */
export function readAdmissionForm(
  values: AdmissionFormValues,
  zone: string,
  now: Date,
): AdmissionFormReading {
  const errors: FieldError[] = [];
  const text: Record<string, string> = {};
  const offsets: Partial<Record<TimeField, string>> = {};
  const ambiguous = ambiguousTimes(values, zone);
  for (const field of ADMISSION_INPUT_FIELDS) {
    const value = isTimeField(field) ? localText(values[field] ?? "") : values[field] ?? "";
    text[field] = value;
    if (!isTimeField(field) || value === "") continue;
    const label = ADMISSION_RULES[field].label;
    if (!LOCAL_DATE_TIME.test(value)) {
      errors.push({ field, message: `${label}: write the date and time as YYYY-MM-DD HH:MM` });
      continue;
    }
    const pair = ambiguous[field];
    if (!pair) continue; // one reading: the rules below check it (a gap is refused there)
    const chosen = values[offsetName(field)] ?? "";
    const picked = UTC_OFFSET.test(chosen) ? pair.find((c) => c.offset === chosen) : undefined;
    if (picked) offsets[field] = picked.offset;
    else {
      errors.push({
        field,
        message: `${label}: ${value.replace("T", " ")} happened twice in ${zone} (the clocks ` +
          `went back that night). Choose which one: UTC${pair[0].offset} or UTC${pair[1].offset}`,
      });
    }
  }
  const failed = new Set(errors.map((e) => e.field));
  const typed = parseAdmissionText(
    Object.fromEntries(
      ADMISSION_INPUT_FIELDS.filter((f) => !failed.has(f)).map((f) => [f, text[f]!]),
    ),
  );
  const result = validateAdmission(typed, "create", { now, localZone: zone, offsets });
  if (result.ok && errors.length === 0) return { ok: true, input: asJsonInput(result.value) };
  if (!result.ok) {
    // A field that failed above is missing below: its first problem is the one to show.
    for (const error of result.errors) {
      if (failed.has(error.field)) continue;
      errors.push(error);
      failed.add(error.field);
    }
  }
  const order = (e: FieldError) => FIELD_ORDER.get(e.field) ?? -1;
  return { ok: false, errors: errors.sort((a, b) => order(a) - order(b)) };
}

/** Fields as a JSON body sends them: times as ISO 8601 UTC text. */
function asJsonInput(fields: AdmissionFields): Record<string, unknown> {
  return Object.fromEntries(
    (Object.entries(fields) as [AdmissionInputField, unknown][]).map((
      [field, value],
    ) => [field, value instanceof Date ? value.toISOString() : value]),
  );
}
