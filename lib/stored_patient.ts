/**
 * Reading a stored patient document defensively, whoever wrote it. The original Flask app wrote
 * documents with no timestamps or revision, stored its JSON bodies as sent (numbers as text:
 * `"67"`, `"N/A"`, the id `"31112"`) and may have left a field out. Such a document reads as a
 * record all the same: a value readable as its field's type is read as it (`"67"` → 67, `"N/A"` →
 * null for BMI), the way a form or CSV value is; any other value is kept as stored, never
 * guessed; times unknown are null; and the revision, until the app first changes the document, is
 * derived from its content. The first change writes it in the app's shape ({@link appShape}).
 */
import { createHash } from "node:crypto";
import {
  CATEGORICAL_FIELDS,
  FIELD_RULES,
  MAX_PATIENT_ID,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  type PatientRecord,
  type StoredValue,
} from "./patient_fields.ts";

/** The revisions derived from a document's content start with this (real ones are UUIDs). */
const CONTENT_REVISION = "c-";

/** Text that is a number, as forms and CSV files write one. */
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const ALLOWED = new Map<PatientField, Set<unknown>>(
  CATEGORICAL_FIELDS.map((field) => [field, new Set<unknown>(FIELD_RULES[field].values)]),
);

/** Whether a value is stored as the app writes this field (the fast path of every read). */
function inShape(field: PatientField, value: unknown): boolean {
  const allowed = ALLOWED.get(field);
  if (allowed) return allowed.has(value);
  if (field === "bmi" && value === null) return true;
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * A stored value that is not in the app's shape, read as the field's type when it can be (as a
 * form's or CSV file's text is: a number, or for BMI `N/A` or nothing for unknown): `{ok: true}`
 * with the value, or `{ok: false}`.
 */
function readValue(field: PatientField, value: unknown): { ok: true; value: unknown } | {
  ok: false;
} {
  if (field === "bmi" && value === undefined) return { ok: true, value: null };
  if (typeof value !== "string") return { ok: false };
  const text = value.trim();
  if (field === "bmi" && (text === "" || text.toUpperCase() === "N/A")) {
    return { ok: true, value: null };
  }
  const allowed = ALLOWED.get(field);
  if (allowed?.has(text)) return { ok: true, value: text };
  if (!NUMBER_TEXT.test(text)) return { ok: false };
  const number = Number(text);
  if (allowed) return allowed.has(number) ? { ok: true, value: number } : { ok: false };
  if (field === "id" && !(Number.isInteger(number) && number >= 1 && number <= MAX_PATIENT_ID)) {
    return { ok: false };
  }
  return Number.isFinite(number) ? { ok: true, value: number } : { ok: false };
}

/**
 * A stored value of a field as the app reads it: the value (null for an unknown BMI), or
 * undefined when it cannot be read as the field's type.
 */
export function readStoredValue(field: PatientField, value: unknown): unknown {
  if (inShape(field, value)) return value;
  const read = readValue(field, value);
  return read.ok ? read.value : undefined;
}

/**
 * A value of a group count as the statistics read it: a value stored as text that reads as the
 * field's (`"1"`, `"67"`, `"N/A"`) as that value; one that cannot be read as stored (its JSON text
 * when it is neither a string nor a number, null when missing).
 */
export function groupValue(field: PatientField, value: unknown): string | number | null {
  const read = readStoredValue(field, value);
  const shown = read === undefined ? value : read;
  if (shown === undefined || shown === null) return null;
  return typeof shown === "string" || typeof shown === "number" ? shown : JSON.stringify(shown);
}

/** A stored time (a Date, or ISO text from SQLite), or null when unknown. */
function readTime(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== "string" || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * The revision of a document the app has not written yet: a digest of its twelve fields as
 * stored (a missing field differs from a null one), so it changes when the document does.
 */
export function contentRevision(stored: Readonly<Record<string, unknown>>): string {
  const fields = PATIENT_FIELDS.map((f) => (stored[f] === undefined ? { $missing: 1 } : stored[f]));
  const digest = createHash("sha256").update(JSON.stringify(fields)).digest("base64url");
  return `${CONTENT_REVISION}${digest.slice(0, 32)}`;
}

/** Whether a revision is derived from content: the record was never written by the app. */
export function isContentRevision(revision: string): boolean {
  return revision.startsWith(CONTENT_REVISION);
}

/**
 * A stored document (or row) as a record: its fields read defensively, its times (null when
 * unknown) and its revision (derived from content when it has none). Other keys are ignored.
 */
export function readStoredPatient(stored: Readonly<Record<string, unknown>>): PatientRecord {
  const record: Record<string, unknown> = {};
  let otherwise: Partial<Record<PatientField, StoredValue>> | undefined;
  for (const field of PATIENT_FIELDS) {
    const value = stored[field];
    if (inShape(field, value)) {
      record[field] = value;
      continue;
    }
    const read = readValue(field, value);
    record[field] = read.ok ? read.value : null;
    (otherwise ??= {})[field] = { value, readable: read.ok };
  }
  record.created_at = readTime(stored.created_at);
  record.updated_at = readTime(stored.updated_at);
  record.revision = typeof stored.revision === "string" && stored.revision !== ""
    ? stored.revision
    : contentRevision(stored);
  if (otherwise) record.stored = otherwise;
  return record as unknown as PatientRecord;
}

/** Whether the record has a value that cannot be read as its field's type (or none at all). */
export function hasUnreadable(record: PatientRecord): boolean {
  return Object.values(record.stored ?? {}).some((stored) => !stored?.readable);
}

/**
 * The value to show for a field: as stored when it cannot be read (undefined when missing),
 * else as read.
 */
export function shownValue(record: PatientRecord, field: PatientField): unknown {
  const stored = record.stored?.[field];
  return stored && !stored.readable ? stored.value : record[field];
}

/**
 * The record's fields as shown: a value that cannot be read as stored (null when missing), so
 * that a change of it is recorded from what was there.
 */
export function shownFields(record: PatientRecord): PatientFields {
  if (!record.stored) return record;
  const out = { ...record } as Record<string, unknown>;
  for (const field of PATIENT_FIELDS) out[field] = shownValue(record, field) ?? null;
  return out as unknown as PatientFields;
}

/**
 * The fields the first change writes into a document stored otherwise than the app writes it:
 * each readable value in its type (unreadable ones are left as they are until corrected).
 */
export function appShape(record: PatientRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, stored] of Object.entries(record.stored ?? {})) {
    if (stored?.readable) out[field] = record[field as PatientField];
  }
  return out;
}

/** Why a stored value is not as the field rules say. */
export type ValueProblem = "unreadable" | "missing" | "text" | "out_of_range";

/** One value of a record that is not stored as the field rules say. */
export interface IrregularValue {
  field: PatientField;
  /** As stored (null when the field is missing). */
  value: unknown;
  problem: ValueProblem;
}

/**
 * The values of a record not stored as the field rules say: `text` (a number or code stored as
 * text, read as it), `unreadable` (shown as stored), `missing`, `out_of_range` (a number outside
 * the field's range). A missing BMI is unknown, as null is: not listed.
 */
export function irregularValues(record: PatientRecord): IrregularValue[] {
  const out: IrregularValue[] = [];
  for (const field of PATIENT_FIELDS) {
    const stored = record.stored?.[field];
    if (stored) {
      if (stored.value === undefined && stored.readable) continue;
      const problem = stored.value === undefined || stored.value === null
        ? "missing"
        : stored.readable
        ? "text"
        : "unreadable";
      out.push({ field, value: stored.value ?? null, problem });
      continue;
    }
    const rule = FIELD_RULES[field];
    const value = record[field];
    if (rule.kind !== "measure" || typeof value !== "number") continue;
    const low = rule.minExclusive ? value <= rule.min : value < rule.min;
    const whole = !("integer" in rule && rule.integer) || Number.isInteger(value);
    if (low || value > rule.max || !whole) out.push({ field, value, problem: "out_of_range" });
  }
  return out;
}
