/**
 * Exporting a user's records as the dataset writes them (CSV header, column order, numbers as
 * `67`, `0.08`, `228.69`, `N/A` for an unknown BMI) or as JSON, streamed in batches so that
 * memory stays flat for any size. The de-identified export replaces the id with a pseudo id,
 * bands the age in five years, shuffles the rows (in one pass over the records) and reports its
 * k-anonymity.
 */
import { csvLine } from "./csv_rows.ts";
import { PATIENT_FIELDS, type PatientField, type PatientRecord } from "./patient_fields.ts";
import { patientJson } from "./patient_json.ts";
import { shuffledLines } from "./shuffled_lines.ts";
import type { PatientFilter, PatientSort } from "./patient_query.ts";
import type { PatientStore } from "./patient_store.ts";

export type ExportFormat = "csv" | "json";

export interface ExportOptions {
  format: ExportFormat;
  deidentify: boolean;
  /** De-identified only: leave out rows of groups smaller than this. */
  kMin?: number | undefined;
}

/** An export ready to send: what the headers say, and the body to stream. */
export interface ExportPlan {
  /** De-identified only: the size of the smallest group among the rows sent (0 when none). */
  k: number | null;
  /** De-identified only: rows left out because their group is smaller than `kMin`. */
  suppressed: number;
  body: AsyncIterable<string>;
}

/** The fields that, together, could single a person out: the groups of k-anonymity. */
export const QUASI_IDENTIFIERS = [
  "gender",
  "age",
  "ever_married",
  "work_type",
  "Residence_type",
] as const satisfies readonly PatientField[];

/** Rows per chunk written to the response. */
const CHUNK_ROWS = 500;

/** The five-year band of an age: `0-4`, `5-9`, …, `85-89`, `90+`. */
export function ageBand5(age: number): string {
  if (age >= 90) return "90+";
  const low = Math.floor(age / 5) * 5;
  return `${low}-${low + 4}`;
}

/** A value as the dataset's CSV writes it. */
function csvValue(value: string | number | null): string {
  return value === null ? "N/A" : String(value);
}

/** A text value as a CSV cell: quoted only when it holds a comma, quote or line break. */
function csvText(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A record as a CSV line of the dataset (the same as `csvLine` of its values, written out
 * field by field: an export of a million records makes no arrays per row).
 */
export function patientCsvLine(r: PatientRecord): string {
  return `${r.id},${csvText(r.gender)},${r.age},${r.hypertension},${r.heart_disease},${
    csvText(r.ever_married)
  },${csvText(r.work_type)},${csvText(r.Residence_type)},${r.avg_glucose_level},${
    r.bmi === null ? "N/A" : r.bmi
  },${csvText(r.smoking_status)},${r.stroke}\r\n`;
}

/** The dataset's header line. */
export const CSV_HEADER = csvLine(PATIENT_FIELDS);

const DEIDENTIFIED_FIELDS = ["pseudo_id", ...PATIENT_FIELDS.filter((f) => f !== "id")] as const;

function groupKey(values: readonly (string | number | null)[]): string {
  return JSON.stringify(values);
}

/** The quasi-identifier group of a record (its age as a band). */
function groupOf(record: Pick<PatientRecord, (typeof QUASI_IDENTIFIERS)[number]>): string {
  return groupKey(QUASI_IDENTIFIERS.map((f) => f === "age" ? ageBand5(record.age) : record[f]));
}

/** Group sizes over the quasi-identifiers, counted in the database (by exact age, then banded). */
export async function quasiIdentifierGroups(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
): Promise<Map<string, number>> {
  const groups = new Map<string, number>();
  for (const { values, total } of await store.countGroups(userId, filter, QUASI_IDENTIFIERS)) {
    const banded = values.map((v, i) => QUASI_IDENTIFIERS[i] === "age" ? ageBand5(Number(v)) : v);
    const key = groupKey(banded);
    groups.set(key, (groups.get(key) ?? 0) + total);
  }
  return groups;
}

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
async function* chunked(
  lines: AsyncIterable<string>,
  format: ExportFormat,
  header: string,
): AsyncIterable<string> {
  let chunk = format === "csv" ? header : "[";
  let rows = 0;
  for await (const line of lines) {
    chunk += format === "json" && rows > 0 ? `,\n${line}` : line;
    if (++rows % CHUNK_ROWS === 0) {
      yield chunk;
      chunk = "";
    }
  }
  yield format === "json" ? `${chunk}]\n` : chunk;
}

/**
 * The de-identified rows, in one pass over the records: each kept row is written without its id,
 * the rows are put in a random order (see `shuffledLines`), and the pseudo id is the row's place
 * in that order, so it says nothing about the id and cannot be turned back.
 */
async function* deidentifiedLines(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  small: Set<string>,
  format: ExportFormat,
): AsyncIterable<string> {
  async function* withoutIds(): AsyncIterable<string> {
    for await (const record of store.stream(userId, filter, { field: "id", direction: "asc" })) {
      if (small.has(groupOf(record))) continue;
      const row: Record<string, string | number | null> = {};
      for (const field of PATIENT_FIELDS) {
        if (field !== "id") row[field] = field === "age" ? ageBand5(record.age) : record[field];
      }
      yield format === "csv"
        ? csvLine(DEIDENTIFIED_FIELDS.slice(1).map((f) => csvValue(row[f] ?? null))).trimEnd()
        : JSON.stringify(row).slice(1);
    }
  }
  let pseudo = 0;
  for await (const rest of shuffledLines(withoutIds())) {
    pseudo++;
    yield format === "csv" ? `${pseudo},${rest}\r\n` : `{"pseudo_id":${pseudo},${rest}`;
  }
}

/**
 * The plain export's chunks, straight from the store's stream: one generator step per record
 * rather than one per line and one per chunk, as every step's promises are garbage.
 */
async function* plainChunks(
  store: PatientStore,
  userId: number,
  filter: PatientFilter,
  sort: PatientSort,
  format: ExportFormat,
): AsyncIterable<string> {
  let chunk = format === "csv" ? CSV_HEADER : "[";
  let rows = 0;
  for await (const record of store.stream(userId, filter, sort)) {
    if (format === "csv") chunk += patientCsvLine(record);
    else chunk += `${rows > 0 ? ",\n" : ""}${JSON.stringify(patientJson(record))}`;
    if (++rows % CHUNK_ROWS === 0) {
      yield chunk;
      chunk = "";
    }
  }
  yield format === "json" ? `${chunk}]\n` : chunk;
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
  const groups = await quasiIdentifierGroups(store, userId, query.filter);
  const { k, suppressed } = anonymity(groups, options.kMin);
  const small = new Set(
    [...groups].filter(([, size]) => size < (options.kMin ?? 1)).map(([key]) => key),
  );
  return {
    k,
    suppressed,
    body: chunked(
      deidentifiedLines(store, userId, query.filter, small, options.format),
      options.format,
      csvLine(DEIDENTIFIED_FIELDS),
    ),
  };
}
