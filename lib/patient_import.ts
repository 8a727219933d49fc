/**
 * Importing patients from a CSV file: the header in any column order, every row checked by
 * the same validator as forms and the API, every bad row reported by line, field and value as
 * written, and the good rows stored in batches — or, in a dry run, only counted.
 */
import type { CsvRecord } from "./csv_rows.ts";
import {
  MAX_PATIENT_ID,
  type NewPatient,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
} from "./patient_fields.ts";
import type { PatientStore } from "./patient_store.ts";
import { parsePatientText, validatePatient } from "./patient_validation.ts";

/** What to do with a row whose id the user already has. */
export type OnConflict = "skip" | "update";

export interface ImportOptions {
  onConflict: OnConflict;
  /** Check and count everything, store nothing. */
  dryRun: boolean;
  /** Rows written per database call. */
  batchSize?: number;
  /** Called after each batch with the number of data rows read so far. */
  onProgress?: (rows: number) => void | Promise<void>;
}

/** One problem of one row: where, which field, what was written and what is wrong. */
export interface ImportRowError {
  line: number;
  field: string;
  value: string;
  message: string;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  skipped: number;
  dry_run: boolean;
  /** Data rows read (the header not counted). */
  rows: number;
  errors: ImportRowError[];
}

/** The file cannot be imported at all: not CSV, or its header is not the dataset's. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportFileError";
  }
}

/** Rows per batch: big enough that FerretDB (which scans per query) is asked rarely. */
const DEFAULT_BATCH = 5000;

/** The header's columns, checked against the dataset's twelve; throws `ImportFileError`. */
export function checkHeader(values: string[]): PatientField[] {
  const names = values.map((v) => v.trim());
  const problems: string[] = [];
  const known = new Set<string>(PATIENT_FIELDS);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problems.push(`the column "${name}" appears twice`);
    seen.add(name);
    if (known.has(name)) continue;
    const meant = PATIENT_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    problems.push(
      meant
        ? `the column "${name}" should be written "${meant}"`
        : `the column "${name}" is not a field of the record`,
    );
  }
  const missing = PATIENT_FIELDS.filter((f) => !seen.has(f));
  if (missing.length) {
    problems.push(
      `the column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${
        missing.length > 1 ? "are" : "is"
      } missing`,
    );
  }
  if (problems.length) {
    throw new ImportFileError(
      `The header row does not match the template: ${
        problems.join("; ")
      }. The header must name the columns ${PATIENT_FIELDS.join(",")} (in any order).`,
    );
  }
  return names as PatientField[];
}

/**
 * The first line of each id in the file: ids (whole numbers from 1) to line numbers, in typed
 * arrays with open addressing. A million ids take 16 MB outside the JavaScript heap, where a
 * `Map` took about 50 MB inside it — and the garbage collector lets the heap grow to a multiple
 * of what is live, so a large `Map` made an import of a million rows peak far higher.
 */
export class IdLines {
  #ids = new Int32Array(1024);
  /** Lines fit: a file of at most IMPORT_MAX_BYTES (under 10⁹) has fewer than 2³¹. */
  #lines = new Int32Array(1024);
  #size = 0;

  /** Where `id` is, or the free slot where it would go (Fibonacci hashing: the top bits). */
  #slot(id: number, ids: Int32Array): number {
    const mask = ids.length - 1;
    let slot = Math.imul(id, 0x9e3779b1) >>> (32 - Math.log2(ids.length));
    while (ids[slot] !== 0 && ids[slot] !== id) slot = (slot + 1) & mask;
    return slot;
  }

  /** The line recorded for `id`, or undefined. */
  get(id: number): number | undefined {
    const slot = this.#slot(id, this.#ids);
    return this.#ids[slot] === id ? this.#lines[slot] : undefined;
  }

  /** Records the line of `id` (not yet recorded). */
  set(id: number, line: number): void {
    if ((this.#size + 1) * 2 > this.#ids.length) this.#grow();
    const slot = this.#slot(id, this.#ids);
    if (this.#ids[slot] === 0) this.#size++;
    this.#ids[slot] = id;
    this.#lines[slot] = line;
  }

  #grow(): void {
    const ids = new Int32Array(this.#ids.length * 2);
    const lines = new Int32Array(ids.length);
    for (let i = 0; i < this.#ids.length; i++) {
      const id = this.#ids[i]!;
      if (id === 0) continue;
      const slot = this.#slot(id, ids);
      ids[slot] = id;
      lines[slot] = this.#lines[i]!;
    }
    this.#ids = ids;
    this.#lines = lines;
  }
}

/** True when every field of the dataset is the same in both. */
function sameFields(a: PatientFields, b: PatientFields): boolean {
  return PATIENT_FIELDS.every((f) => a[f] === b[f]);
}

interface Pending {
  line: number;
  patient: NewPatient;
}

/**
 * Stores the rows that came without an id under the next free ids, after the user's highest
 * (read once), in batches. An id that a concurrent writer took meanwhile (or the end of the id
 * range) leaves its row to `create`, which finds the next free one for each.
 */
async function insertWithNewIds(
  store: PatientStore,
  userId: number,
  pending: Pending[],
  batchSize: number,
  result: ImportResult,
): Promise<void> {
  if (pending.length === 0) return;
  const top = await store.list(userId, {
    filter: {},
    sort: { field: "id", direction: "desc" },
    page: 1,
    perPage: 1,
  });
  let next = (top.items[0]?.id ?? 0) + 1;
  for (let i = 0; i < pending.length; i += batchSize) {
    const part = pending.slice(i, i + batchSize).map((p) => p.patient);
    const room = Math.max(0, Math.min(part.length, MAX_PATIENT_ID - next + 1));
    const numbered = part.slice(0, room).map((patient, k) => ({ ...patient, id: next + k }));
    next += room;
    const { inserted, duplicateIds } = await store.insertMany(userId, numbered);
    result.inserted += inserted;
    const taken = new Set(duplicateIds);
    const left = [...numbered.filter((p) => taken.has(p.id)), ...part.slice(room)];
    for (const { id: _id, ...patient } of left) {
      await store.create(userId, patient);
      result.inserted++;
    }
  }
}

/**
 * Reads `records` (header first) and imports them for `userId`. A file that cannot be read at
 * all throws `ImportFileError`; bad rows are reported in `errors` and never stop the good ones.
 * Rows whose id the user already has are skipped, or updated when they differ; rows without an
 * id get the next free ids, after the others.
 */
export async function importPatients(
  store: PatientStore,
  userId: number,
  records: AsyncIterable<CsvRecord>,
  options: ImportOptions,
): Promise<ImportResult> {
  const result: ImportResult = {
    inserted: 0,
    updated: 0,
    skipped: 0,
    dry_run: options.dryRun,
    rows: 0,
    errors: [],
  };
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const firstLine = new IdLines();
  const withoutId: Pending[] = [];
  let header: PatientField[] | null = null;
  let batch: Pending[] = [];

  /**
   * Stores a batch. New ids are inserted; the database's duplicate-key answers say which ids
   * the user had, and those are left alone or (update) written where they differ — so an
   * import needs no lookup before it writes. A dry run asks which ids exist instead.
   */
  const flush = async () => {
    if (batch.length === 0) return;
    const patients = batch.map((r) => r.patient as PatientFields);
    batch = [];
    if (options.dryRun) {
      const existing = await store.existingIds(userId, patients.map((p) => p.id));
      result.inserted += patients.length - existing.size;
      const owned = patients.filter((p) => existing.has(p.id));
      let changed = 0;
      if (options.onConflict === "update" && owned.length) {
        const current = new Map((await store.getMany(userId, owned.map((p) => p.id)))
          .map((r) => [r.id, r]));
        changed = owned.filter((p) => !sameFields(current.get(p.id)!, p)).length;
      }
      result.updated += changed;
      result.skipped += owned.length - changed;
    } else {
      const { inserted, duplicateIds } = await store.insertMany(userId, patients);
      result.inserted += inserted;
      const taken = new Set(duplicateIds);
      const owned = patients.filter((p) => taken.has(p.id));
      const changed = options.onConflict === "update" && owned.length
        ? await store.updateMany(userId, owned)
        : 0;
      result.updated += changed;
      result.skipped += owned.length - changed;
    }
    await options.onProgress?.(result.rows);
  };

  for await (const record of records) {
    if (header === null) {
      if ("error" in record) {
        throw new ImportFileError(`The file is not a CSV table: ${record.error}.`);
      }
      header = checkHeader(record.values);
      continue;
    }
    result.rows++;
    if ("error" in record) {
      result.errors.push({
        line: record.line,
        field: "",
        value: record.raw,
        message: record.error,
      });
      continue;
    }
    if (record.values.length !== header.length) {
      result.errors.push({
        line: record.line,
        field: "",
        value: record.values.join(","),
        message:
          `This row has ${record.values.length} values; the header has ${header.length} columns`,
      });
      continue;
    }
    const text: Partial<Record<PatientField, string>> = {};
    header.forEach((field, i) => text[field] = record.values[i]!);
    const checked = validatePatient(parsePatientText(text), "create");
    if (!checked.ok) {
      for (const error of checked.errors) {
        const field = error.field as PatientField;
        result.errors.push({
          line: record.line,
          field: error.field,
          value: text[field] ?? "",
          message: error.message,
        });
      }
      continue;
    }
    const { id } = checked.value;
    if (id === undefined) {
      withoutId.push({ line: record.line, patient: checked.value });
      continue;
    }
    const earlier = firstLine.get(id);
    if (earlier !== undefined) {
      result.errors.push({
        line: record.line,
        field: "id",
        value: text.id ?? "",
        message:
          `Patient ID ${id} is already on line ${earlier} of this file; each ID may appear once`,
      });
      continue;
    }
    firstLine.set(id, record.line);
    batch.push({ line: record.line, patient: checked.value });
    if (batch.length >= batchSize) await flush();
  }
  if (header === null) throw new ImportFileError("The file is empty: it has no header row.");
  await flush();
  if (options.dryRun) result.inserted += withoutId.length;
  else await insertWithNewIds(store, userId, withoutId, batchSize, result);
  if (withoutId.length) await options.onProgress?.(result.rows);
  return result;
}
