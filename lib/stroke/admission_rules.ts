/**
 * Validation of admissions, shared by the JSON API, the forms and the CSV import: the shape of
 * each field (zod schemas built from the rules table, also the OpenAPI document's), then the
 * rules between fields — no time in the future, onset ≤ arrival ≤ imaging, needle, puncture and
 * discharge, died ⇔ mRS 6 at discharge, and only mRS 6 at 90 days after a death in hospital.
 * Every problem is reported at once, naming its field.
 */
import { z } from "zod";
import type { FieldError } from "../errors.ts";
import type { CategoryRule, MeasureRule } from "../patient_fields.ts";
import {
  keyErrors,
  numberOrText,
  oneOf,
  parseTextCells,
  rangeMessage,
  says,
  schemaErrors,
  type Validated,
} from "../patient_validation.ts";
import {
  type Admission,
  ADMISSION_FIELDS,
  ADMISSION_INPUT_FIELDS,
  ADMISSION_RULES,
  ADMISSION_SERVER_FIELDS,
  type AdmissionField,
  type AdmissionFields,
  type AdmissionInputField,
  type DateTimeRule,
  isAdmissionField,
  isTimeField,
  TIME_FIELDS,
  type TimeField,
} from "./admission_fields.ts";
import { LOCAL_DATE_TIME, parseOffsetDateTime, resolveLocalTime } from "./time_zone.ts";

export type { Validated };
export type AdmissionMode = "create" | "replace" | "patch";

/** The earliest year a date-time may have (also keeps every value inside SQL's DATETIME). */
export const EARLIEST_YEAR = 1900;
const EARLIEST = Date.UTC(EARLIEST_YEAR, 0, 1);
const EXAMPLE = "2026-10-25T01:30:00+01:00";
/** A field sent as null is missing: one that may be unknown is made nullable around its schema. */
const NULL_IS_MISSING = { nullIsMissing: true };

/** What is wrong with a date-time text sent as JSON, or null when it is an instant. */
export function dateTimeProblem(label: string, text: string): string | null {
  const parsed = parseOffsetDateTime(text);
  if (parsed.ok) {
    return parsed.instant.getTime() < EARLIEST
      ? `${label} must be in ${EARLIEST_YEAR} or later`
      : null;
  }
  if (parsed.problem === "no_offset") {
    return `${label} has no UTC offset: add one (such as ${EXAMPLE}, or Z for UTC) so that ` +
      "the time is not ambiguous";
  }
  if (parsed.problem === "not_real") return `${label} is not a real date and time`;
  return `${label} must be a date and time with its UTC offset, such as ${EXAMPLE}`;
}

function dateTimeSchema(rule: DateTimeRule): z.ZodType {
  const shape = `${rule.label} must be a date and time with its UTC offset, such as ${EXAMPLE}`;
  return z.string({ error: says(rule.label, shape, NULL_IS_MISSING) }).superRefine((text, ctx) => {
    const problem = dateTimeProblem(rule.label, text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).meta({ format: "date-time", description: `${rule.description} ISO 8601 with an offset.` });
}

function categorySchema(rule: CategoryRule): z.ZodType {
  const values = rule.values as readonly [string, ...string[]];
  const error = says(rule.label, oneOf(rule.label, rule.values), NULL_IS_MISSING);
  return z.enum(values, { error }).meta({ description: rule.description });
}

function measureSchema(rule: MeasureRule): z.ZodType {
  const message = rangeMessage(rule);
  const description = rule.unit ? `${rule.description} Unit: ${rule.unit}.` : rule.description;
  return z.number({ error: says(rule.label, message, NULL_IS_MISSING) }).int({ error: message })
    .gte(rule.min, { error: message }).lte(rule.max, { error: message })
    .meta({ type: "integer", description });
}

/** The JSON schema of each field, from the rules table (nullable where the field may be unknown). */
export const admissionFieldSchemas = Object.fromEntries(
  ADMISSION_FIELDS.map((field) => {
    const rule = ADMISSION_RULES[field];
    const schema = rule.kind === "datetime"
      ? dateTimeSchema(rule)
      : rule.kind === "category"
      ? categorySchema(rule)
      : measureSchema(rule);
    return [field, rule.nullable ? schema.nullable() : schema];
  }),
) as Record<AdmissionField, z.ZodType>;

const inputSchemas = Object.fromEntries(
  ADMISSION_INPUT_FIELDS.map((field) => {
    const schema = admissionFieldSchemas[field];
    return [field, ADMISSION_RULES[field].nullable ? schema.optional() : schema];
  }),
) as Record<AdmissionInputField, z.ZodType>;

/** `POST`: stroke type and arrival required; a field left out is unknown (null). */
export const admissionCreateSchema = z.strictObject(inputSchemas);
/** `PUT`: the whole admission, as for create; `admission_id` may be sent back unchanged. */
export const admissionReplaceSchema = z.strictObject({
  ...inputSchemas,
  admission_id: admissionFieldSchemas.admission_id.optional(),
});
/** `PATCH`: any non-empty subset of the fields. */
export const admissionPatchSchema = z.strictObject(
  Object.fromEntries(ADMISSION_INPUT_FIELDS.map((f) => [f, admissionFieldSchemas[f].optional()])),
);
/** An admission as the API answers it. */
export const admissionSchema = z.strictObject(admissionFieldSchemas);

/** What a check needs besides the input. */
export interface AdmissionCheck {
  /** The present: no time may be after it. */
  now: Date;
  /** The stored admission (`replace`, `patch`): its id, and the values a patch leaves. */
  current?: Admission;
  /**
   * Read a date-time without an offset (`2026-10-25T01:30`, a form's or a spreadsheet's) as a
   * wall-clock time in this IANA zone (one `normaliseTimeZone` accepted: the profile's or
   * `APP_TIMEZONE`). Without it (JSON) such a time is refused.
   */
  localZone?: string;
  /**
   * With `localZone`: the offset chosen for a wall-clock time that happens twice (a fall-back
   * night). Without one the earlier reading is taken.
   */
  offsets?: Partial<Record<TimeField, string>>;
}

/** An `admission_id` in the input: refused on create, and it may not change. */
function idErrors(body: Record<string, unknown>, mode: AdmissionMode, check: AdmissionCheck) {
  if (!Object.hasOwn(body, "admission_id")) return [];
  const field = "admission_id";
  if (mode === "create" || !check.current) {
    return [{ field, message: "Admission ID is assigned by the app" }];
  }
  const id = check.current.admission_id;
  return body[field] === id
    ? []
    : [{ field, message: `Admission ID cannot be changed (it is ${id})` }];
}

/** Wall-clock times (forms, CSV) read in the user's zone, as offset date-times. */
function localTimes(body: Record<string, unknown>, check: AdmissionCheck, errors: FieldError[]) {
  const zone = check.localZone;
  if (!zone) return body;
  const out = { ...body };
  for (const field of TIME_FIELDS) {
    const value = out[field];
    if (typeof value !== "string" || !LOCAL_DATE_TIME.test(value)) continue;
    const resolved = resolveLocalTime(value, zone, check.offsets?.[field]);
    if (resolved.ok) out[field] = resolved.candidate.text;
    else {
      errors.push({ field, message: `${ADMISSION_RULES[field].label}: ${resolved.message}` });
      delete out[field];
    }
  }
  return out;
}

/** The typed value of a field that passed its schema. */
function typed(field: AdmissionInputField, value: unknown): unknown {
  if (value === null || !isTimeField(field)) return value;
  return (parseOffsetDateTime(value as string) as { instant: Date }).instant;
}

/** The times that cannot come before arrival. */
const AFTER_ARRIVAL = ["imaging_at", "thrombolysis_at", "thrombectomy_at", "discharge_at"] as const;

const label = (field: AdmissionField) => ADMISSION_RULES[field].label;

/**
 * The rules between fields, on the admission as it would be stored. `sent` are the fields the
 * input gave: a problem between two fields is named at the one the rule is about unless only
 * the other was sent (a patch that moves arrival after imaging is told about arrival).
 */
function crossFieldErrors(
  admission: AdmissionFields,
  sent: ReadonlySet<string>,
  now: Date,
): FieldError[] {
  const errors: FieldError[] = [];
  const add = (preferred: AdmissionField, other: AdmissionField, message: string) => {
    const field = !sent.has(preferred) && sent.has(other) ? other : preferred;
    if (!errors.some((e) => e.field === field)) errors.push({ field, message });
  };
  for (const field of TIME_FIELDS) {
    const at = admission[field];
    if (at && at.getTime() > now.getTime()) add(field, field, `${label(field)} is in the future`);
  }
  // Arrival is null here only when it failed its own check.
  const arrival = (admission.arrival_at as Date | null)?.getTime() ?? NaN;
  const onset = admission.last_known_well_at;
  if (onset && onset.getTime() > arrival) {
    add(
      "last_known_well_at",
      "arrival_at",
      `${label("last_known_well_at")} must not be after arrival`,
    );
  }
  for (const field of AFTER_ARRIVAL) {
    const at = admission[field];
    if (at && at.getTime() < arrival) {
      add(field, "arrival_at", `${label(field)} must not be before arrival`);
    }
  }
  const died = admission.discharge_destination === "died";
  if (died && admission.mrs_discharge !== 6) {
    add(
      "mrs_discharge",
      "discharge_destination",
      "A patient who died in hospital has mRS 6 at discharge",
    );
  }
  if (!died && admission.mrs_discharge === 6) {
    add(
      "discharge_destination",
      "mrs_discharge",
      'mRS 6 at discharge means the patient died: the discharge destination must be "died"',
    );
  }
  if (died && admission.mrs_90d !== null && admission.mrs_90d !== 6) {
    add(
      "mrs_90d",
      "discharge_destination",
      "The patient died in hospital: mRS at 90 days can only be 6",
    );
  }
  return errors;
}

const ORDER = new Map<string, number>(ADMISSION_FIELDS.map((f, i) => [f, i]));
const byField = (a: FieldError, b: FieldError) =>
  (ORDER.get(a.field) ?? ADMISSION_FIELDS.length) - (ORDER.get(b.field) ?? ADMISSION_FIELDS.length);

/**
 * Validates typed input (a JSON body, or form/CSV text after {@link parseAdmissionText}).
 * `create` and `replace` need stroke type and arrival, and a field left out is unknown (null);
 * `replace` may repeat the admission's id. `patch` takes any non-empty subset and checks the
 * rules between fields on the admission it would make (`check.current`); its value holds the
 * changed fields only.
 */
export function validateAdmission(
  input: unknown,
  mode: "create" | "replace",
  check: AdmissionCheck,
): Validated<AdmissionFields>;
export function validateAdmission(
  input: unknown,
  mode: "patch",
  check: AdmissionCheck & { current: Admission },
): Validated<Partial<AdmissionFields>>;
export function validateAdmission(
  input: unknown,
  mode: AdmissionMode,
  check: AdmissionCheck,
): Validated<AdmissionFields | Partial<AdmissionFields>> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: "", message: "Send the admission as a JSON object" }] };
  }
  const errors: FieldError[] = [
    ...idErrors(input as Record<string, unknown>, mode, check),
    ...keyErrors(input as Record<string, unknown>, isAdmissionField, ADMISSION_SERVER_FIELDS),
  ];
  const body = localTimes(input as Record<string, unknown>, check, errors);
  const known = Object.fromEntries(
    Object.entries(body).filter(([k, v]) =>
      (ADMISSION_INPUT_FIELDS as readonly string[]).includes(k) && v !== undefined
    ),
  );
  const schema = mode === "patch" ? admissionPatchSchema : admissionCreateSchema;
  const result = schema.safeParse(known);
  if (!result.success) schemaErrors(result.error.issues, errors);
  if (mode === "patch" && errors.length === 0 && Object.keys(known).length === 0) {
    errors.push({ field: "", message: "Send at least one field to change" });
  }

  // The rules between fields run on the fields that passed, so that every problem shows at once.
  const failed = new Set(errors.map((e) => e.field));
  const changes: Partial<Record<AdmissionInputField, unknown>> = {};
  for (const [field, value] of Object.entries(known) as [AdmissionInputField, unknown][]) {
    if (!failed.has(field)) changes[field] = typed(field, value);
  }
  const base: Record<string, unknown> = mode === "patch" ? { ...check.current } : {};
  const whole = Object.fromEntries(
    ADMISSION_INPUT_FIELDS.map((f) => [f, f in changes ? changes[f] : base[f] ?? null]),
  ) as unknown as AdmissionFields;
  for (const error of crossFieldErrors(whole, new Set(Object.keys(known)), check.now)) {
    if (!failed.has(error.field)) errors.push(error);
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort(byField) };
  return {
    ok: true,
    value: mode === "patch" ? changes as Partial<AdmissionFields> : whole,
  };
}

/**
 * Turns text (an HTML form or a CSV row) into typed input for {@link validateAdmission}: an
 * empty cell is unknown (null), numbers are parsed strictly (text that is not one stays text,
 * so that the validator names it), date-times stay text. An empty admission id is left out.
 */
export function parseAdmissionText(
  record: Record<string, string | undefined>,
): Record<string, unknown> {
  return parseTextCells(record, (key, text) => {
    if (text === "") return key === "admission_id" ? undefined : null;
    return isAdmissionField(key) && ADMISSION_RULES[key].kind === "measure"
      ? numberOrText(text)
      : text;
  });
}
