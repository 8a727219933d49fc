/**
 * Exporting a user's records as the dataset writes them (CSV header, column order, numbers as
 * `67`, `0.08`, `228.69`, `N/A` for an unknown BMI) or as JSON, streamed in batches so that
 * memory stays flat for any size. The de-identified export replaces the id with an opaque random
 * pseudo id, bands the age in five years, coarsens glucose and BMI when asked, shuffles the rows
 * (in one pass over the records) and reports its k-anonymity. Both let other requests in between
 * slices of rows (see `Pace`).
 */
import { csvCell, csvLine } from "./csv_writer.ts";
import { PATIENT_FIELDS, type PatientField, type PatientRecord, ruleOf } from "./patient_fields.ts";
import { patientJson } from "./patient_json.ts";
import { shuffledLines } from "./shuffled_lines.ts";
import { groupValue, shownValue } from "./stored_patient.ts";
import type { PatientFilter, PatientSort } from "./patient_query.ts";
import type { PatientStore } from "./patient_store.ts";
import { BANDS } from "./patient_stats.ts";
import { Utf8Buffer } from "./utf8_buffer.ts";
import { Pace } from "./work_pace.ts";

export type ExportFormat = "csv" | "json";

/** Whether and how an export is de-identified (the records' and the admissions' alike). */
export interface DeidentifyOptions {
  deidentify: boolean;
  /** De-identified only: leave out rows of groups smaller than this. */
  kMin?: number | undefined;
  /**
   * De-identified only: glucose in the statistics' three bands and BMI to a whole number, both
   * then counted among the quasi-identifiers (see `COARSENED_QUASI_IDENTIFIERS`).
   */
  coarsen?: boolean | undefined;
}

export interface ExportOptions extends DeidentifyOptions {
  format: ExportFormat;
}

/** An export ready to send: what the headers say, and the body to stream. */
export interface ExportPlan {
  /** De-identified only: the size of the smallest group among the rows sent (0 when none). */
  k: number | null;
  /** De-identified only: rows left out because their group is smaller than `kMin`. */
  suppressed: number;
  /** Text, or the same as UTF-8 bytes. */
  body: AsyncIterable<string | Uint8Array>;
}

/** The fields that, together, could single a person out: the groups of k-anonymity. */
export const QUASI_IDENTIFIERS = [
  "gender",
  "age",
  "ever_married",
  "work_type",
  "Residence_type",
] as const satisfies readonly PatientField[];

/**
 * With `coarsen`, glucose and BMI join the quasi-identifiers: exact, each alone singles most
 * records out (glucose is unique for 60 % of the dataset's), so anyone holding the plain records
 * could link every de-identified row back to its id.
 */
export const COARSENED_QUASI_IDENTIFIERS = [
  ...QUASI_IDENTIFIERS,
  "avg_glucose_level",
  "bmi",
] as const satisfies readonly PatientField[];

/**
 * A glucose level as the statistics band it: `<100`, `100-125`, `>=126` mg/dL (the thresholds of
 * normal, raised and diabetic fasting glucose), so that what matters clinically is kept;
 * `unknown` for a value that is not a number (a document of the original app may hold one).
 */
export function glucoseBand(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "unknown";
  const { cuts, labels } = BANDS.glucose_band;
  const i = cuts.findIndex((cut) => value < cut);
  return labels[i === -1 ? cuts.length : i]!;
}

/** A BMI to the nearest whole number (null stays unknown; a value that is not a number, too). */
export function wholeBmi(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? Math.round(value) : null;
}

/** Rows per chunk written to the response. */
const CHUNK_ROWS = 500;
/** Rows read between two breaths (a few milliseconds of work on the embedded store). */
const SLICE_ROWS = 50;

/**
 * The five-year band of an age: `0-4`, `5-9`, …, `85-89`, `90+`; `unknown` for one that is not a
 * number (a value the original app stored that cannot be read).
 */
export function ageBand5(age: unknown): string {
  if (typeof age !== "number" || !Number.isFinite(age)) return "unknown";
  if (age >= 90) return "90+";
  const low = Math.floor(age / 5) * 5;
  return `${low}-${low + 4}`;
}

/** A value as the dataset's CSV writes it. */
function csvValue(value: string | number | null): string {
  return value === null ? "N/A" : String(value);
}

/**
 * How each field's unknown value (null) is written, in the dataset's order: the rule's missing
 * code (`N/A` for an unknown BMI), else an empty cell.
 */
const CSV_MISSING: readonly string[] = PATIENT_FIELDS.map((field) => {
  const rule = ruleOf(field);
  return rule.kind === "measure" ? rule.missing ?? "" : "";
});

/**
 * A record as a CSV line of the dataset (the same as `csvLine` of its values, written field by
 * field: an export of a million records makes no arrays per row). Every value goes through the
 * writer's `csvCell`: a document the original app stored may hold any text.
 */
export function patientCsvLine(r: PatientRecord): string {
  if (r.stored) return storedCsvLine(r);
  let line = "";
  for (let i = 0; i < PATIENT_FIELDS.length; i++) {
    const value = r[PATIENT_FIELDS[i]!];
    line += (i ? "," : "") + (value === null ? CSV_MISSING[i]! : csvCell(value));
  }
  return line + "\r\n";
}

/** A record holding values the original app stored: those that cannot be read, as stored. */
function storedCsvLine(r: PatientRecord): string {
  return csvLine(PATIENT_FIELDS.map((field, i) => {
    const value = shownValue(r, field);
    if (value === undefined) return "";
    if (value === null) return CSV_MISSING[i]!;
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }));
}

/** The dataset's header line. */
export const CSV_HEADER = csvLine(PATIENT_FIELDS);

/** The columns of a de-identified export: the pseudo id, then every field but the id. */
export const DEIDENTIFIED_FIELDS = [
  "pseudo_id",
  ...PATIENT_FIELDS.filter((f) => f !== "id"),
] as const;

/** Characters of a pseudo id: RFC 4648 base32 (upper-case letters and 2–7). */
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** A pseudo id's length: 12 characters, about 60 random bits. */
const PSEUDO_ID_LENGTH = 12;

/**
 * A pseudo id: 12 random base32 characters, the first a letter, so that it can never be read as a
 * number (and so never be mistaken for a record id). Drawn afresh for each row of each export:
 * two exports' pseudo ids cannot be matched, and none leads back to its id. (Two rows of one
 * export share one with a chance of about one in two million for a million rows.)
 */
export function pseudoId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(PSEUDO_ID_LENGTH));
  let id = BASE32[bytes[0]! % 26]!;
  for (let i = 1; i < PSEUDO_ID_LENGTH; i++) id += BASE32[bytes[i]! % 32]!;
  return id;
}

type Coarsenable = Pick<PatientRecord, (typeof COARSENED_QUASI_IDENTIFIERS)[number]>;

/** A record's values as a de-identified export writes them: age banded, and coarsened when asked. */
function deidentifiedValue(
  record: Coarsenable & Partial<PatientRecord>,
  field: PatientField,
  coarsen: boolean,
): string | number | null {
  if (field === "age") return ageBand5(record.age);
  if (coarsen && field === "avg_glucose_level") return glucoseBand(record.avg_glucose_level);
  if (coarsen && field === "bmi") return wholeBmi(record.bmi);
  return record[field] ?? null;
}

function groupKey(values: readonly (string | number | null)[]): string {
  return JSON.stringify(values);
}

/** The quasi-identifiers counted in k. */
function quasiIdentifiers(coarsen: boolean): readonly PatientField[] {
  return coarsen ? COARSENED_QUASI_IDENTIFIERS : QUASI_IDENTIFIERS;
}

/** A record's values as a de-identified export writes them, every field but the id. */
function deidentifiedRow(
  record: PatientRecord,
  coarsen: boolean,
): Record<string, string | number | null> {
  const row: Record<string, string | number | null> = {};
  for (const field of PATIENT_FIELDS) {
    if (field !== "id") row[field] = deidentifiedValue(record, field, coarsen);
  }
  return row;
}

/**
 * A record's cells as a de-identified CSV writes them — every field but the id, in the dataset's
 * order, the age banded and glucose and BMI coarsened when asked — with no pseudo id and no line
 * end, for a writer that puts its own pseudo id before them.
 */
export function deidentifiedCsvCells(record: PatientRecord, coarsen: boolean): string {
  const row = deidentifiedRow(record, coarsen);
  return csvLine(DEIDENTIFIED_FIELDS.slice(1).map((f) => csvValue(row[f] ?? null))).trimEnd();
}

/**
 * The quasi-identifier group of a record, as `quasiIdentifierGroups` counts it: the age as a band,
 * glucose and BMI coarsened when asked, and a value that cannot be read as stored, as the
 * database groups it.
 */
export function groupOf(record: PatientRecord, coarsen: boolean): string {
  return groupKey(
    quasiIdentifiers(coarsen).map((f) =>
      f === "age" || f === "avg_glucose_level" || f === "bmi"
        ? deidentifiedValue(record, f, coarsen)
        : groupValue(f, shownValue(record, f))
    ),
  );
}

/**
 * Group sizes over the quasi-identifiers. Without `coarsen`, counted in the database (by exact
 * age, then banded: a few hundred groups); with it, in one pass over the records (counted in the
 * database by exact glucose and BMI there would be nearly a group per record to send over).
 */
export async function quasiIdentifierGroups(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  coarsen = false,
): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  if (coarsen) {
    const pace = new Pace();
    let read = 0;
    for await (const record of store.stream(userId, filter, ID_ORDER)) {
      const key = groupOf(record, true);
      groups.set(key, (groups.get(key) ?? 0) + 1);
      if (++read % SLICE_ROWS === 0) await pace.breathe();
    }
    return groups;
  }
  for (const { values, total } of await store.countGroups(userId, filter, QUASI_IDENTIFIERS)) {
    const banded = values.map((v, i) => QUASI_IDENTIFIERS[i] === "age" ? ageBand5(v) : v);
    const key = groupKey(banded);
    groups.set(key, (groups.get(key) ?? 0) + total);
  }
  return groups;
}

const ID_ORDER = { field: "id", direction: "asc" } as const;

/** k and the suppressed rows for a given `kMin`, from the group sizes. */
export function anonymity(
  groups: Map<string, number>,
  kMin = 1,
): { k: number; suppressed: number } {
  let k = Infinity;
  let suppressed = 0;
  for (const size of groups.values()) {
    if (size < kMin) suppressed += size;
    else k = Math.min(k, size);
  }
  return { k: k === Infinity ? 0 : k, suppressed };
}

/** Joins lines into chunks of `CHUNK_ROWS`, wrapped for JSON (`[`, `,`, `]`) when asked. */
export async function* chunked(
  lines: AsyncIterable<string>,
  format: ExportFormat,
  header: string,
): AsyncIterable<string> {
  let chunk = format === "csv" ? header : "[";
  let rows = 0;
  const pace = new Pace();
  for await (const line of lines) {
    chunk += format === "json" && rows > 0 ? `,\n${line}` : line;
    if (++rows % CHUNK_ROWS === 0) {
      yield chunk;
      chunk = "";
      await pace.breathe();
    }
  }
  yield format === "json" ? `${chunk}]\n` : chunk;
}

/**
 * The de-identified rows, in one pass over the records: each kept row is written without its id,
 * the rows are put in a random order (see `shuffledLines`), and each gets a pseudo id of its own
 * (see `pseudoId`), which says nothing about the id or the row's place.
 */
async function* deidentifiedLines(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  small: Set<string>,
  { format, coarsen = false }: ExportOptions,
): AsyncIterable<string> {
  async function* withoutIds(): AsyncIterable<string> {
    let read = 0;
    const pace = new Pace();
    for await (const record of store.stream(userId, filter, ID_ORDER)) {
      if (++read % SLICE_ROWS === 0) await pace.breathe();
      if (small.has(groupOf(record, coarsen))) continue;
      yield format === "csv"
        ? deidentifiedCsvCells(record, coarsen)
        : JSON.stringify(deidentifiedRow(record, coarsen)).slice(1);
    }
  }
  for await (const rest of shuffledLines(withoutIds())) {
    const pseudo = pseudoId();
    yield format === "csv" ? `${pseudo},${rest}\r\n` : `{"pseudo_id":"${pseudo}",${rest}`;
  }
}

/**
 * The plain export's chunks, straight from the store's stream: one generator step per record
 * rather than one per line and one per chunk, as every step's promises are garbage. Each line is
 * encoded as it is made (see `Utf8Buffer`), each chunk's bytes handed on as a copy of their own.
 */
async function* plainChunks(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  sort: PatientSort,
  format: ExportFormat,
): AsyncIterable<Uint8Array> {
  const chunk = new Utf8Buffer();
  chunk.append(format === "csv" ? CSV_HEADER : "[");
  let rows = 0;
  const pace = new Pace();
  for await (const record of store.stream(userId, filter, sort)) {
    if (format === "csv") chunk.append(patientCsvLine(record));
    else chunk.append(`${rows > 0 ? ",\n" : ""}${JSON.stringify(patientJson(record))}`);
    if (++rows % CHUNK_ROWS === 0) yield chunk.take();
    if (rows % SLICE_ROWS === 0) await pace.breathe();
  }
  if (format === "json") chunk.append("]\n");
  yield chunk.take();
}

/** Plans an export of the user's records matching `filter`, in `sort` order (plain only). */
export async function exportPatients(
  store: PatientStore,
  userId: number,
  query: { filter: PatientFilter; sort: PatientSort },
  options: ExportOptions,
): Promise<ExportPlan> {
  if (!options.deidentify) {
    return {
      k: null,
      suppressed: 0,
      body: plainChunks(store, userId, query.filter, query.sort, options.format),
    };
  }
  const groups = await quasiIdentifierGroups(store, userId, query.filter, options.coarsen);
  const { k, suppressed } = anonymity(groups, options.kMin);
  const small = new Set(
    [...groups].filter(([, size]) => size < (options.kMin ?? 1)).map(([key]) => key),
  );
  return {
    k,
    suppressed,
    body: chunked(
      deidentifiedLines(store, userId, query.filter, small, options),
      options.format,
      csvLine(DEIDENTIFIED_FIELDS),
    ),
  };
}
