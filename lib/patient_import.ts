/**
 * Importing patients from a CSV file: the header in any column order, every row checked by
 * the same validator as forms and the API, bad rows reported by line, field and an excerpt of
 * the value, and the good rows stored in batches (see `import_batches.ts`) — or, in a dry run,
 * only counted. Whatever the file, the report stays small (`import_report.ts`), and a file
 * that is mostly bad rows stops early with one message.
 */
import { formatCount } from "./count_format.ts";
import { type CsvRecord, HeaderTooLongError, NotTextError } from "./csv_rows.ts";
import { excerpt, EXCERPT_CHARS } from "./excerpt.ts";
import {
  BatchWriter,
  type NewIdsProgress,
  type PendingRow,
  type StoredRow,
} from "./import_batches.ts";
import { ImportReport, type ImportResult } from "./import_report.ts";
import { PATIENT_FIELDS, type PatientField } from "./patient_fields.ts";
import type { PatientStore } from "./patient_store.ts";
import { parsePatientText, validatePatient } from "./patient_validation.ts";

export type { ImportResult, StoredRow };

/** What to do with a row whose id the user already has. */
export type OnConflict = "skip" | "update";

/** What an import has stored so far: enough for another run to go on from there. */
export interface ImportCheckpoint {
  /** Data rows read whose rows with ids are all stored. */
  rowsDone: number;
  /** The counts and lists so far (problems are found again by reading the file again). */
  result: Omit<ImportResult, "errors" | "errors_total" | "bad_rows" | "rows" | "dry_run">;
  /** Rows without an id: null until they are being stored. */
  newIds: NewIdsProgress | null;
}

export interface ImportOptions {
  onConflict: OnConflict;
  /** Check and count everything, store nothing. */
  dryRun: boolean;
  /** Rows written per database call. */
  batchSize?: number;
  /** Told of the records of each batch once they are stored (their audit entries). */
  onStored?: (rows: StoredRow[]) => Promise<void>;
  /** Called once each batch is stored and told, with what a later run needs to go on. */
  onCheckpoint?: (checkpoint: ImportCheckpoint) => Promise<void>;
  /**
   * Go on from an interrupted run of this import, which began at `since` and left `checkpoint`
   * (null: it stopped before its first batch was stored, or in it).
   */
  resume?: { checkpoint: ImportCheckpoint | null; since: Date };
  /** Stops the import between batches (its run was taken over by another instance). */
  signal?: AbortSignal;
}

/** Why a file could not be imported at all, in a word an audit entry may keep (no values). */
export type ImportFileProblem = "empty" | "not_text" | "not_csv" | "header" | "stopped";

/** The file cannot be imported at all: not CSV, or its header is not the dataset's. */
export class ImportFileError extends Error {
  constructor(message: string, readonly problem: ImportFileProblem) {
    super(message);
    this.name = "ImportFileError";
  }
}

/**
 * The import stopped early: more than half of its rows were bad. `result` is what was read
 * and stored until then.
 */
export class ImportStoppedError extends ImportFileError {
  constructor(message: string, readonly result: ImportResult) {
    super(message, "stopped");
    this.name = "ImportStoppedError";
  }
}

/**
 * Lets the event loop run other requests. The embedded store writes synchronously, so an import
 * of rows held in memory would otherwise be one chain of promises that holds every other
 * request up until its end (a list waited 31 s behind 300,000 rows).
 */
const otherRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Rows per batch: big enough that FerretDB (which scans per query) is asked rarely. */
const DEFAULT_BATCH = 5000;
/**
 * An import stops once more than this many rows are bad and they are more than half of the
 * rows read: such a file is not the dataset, and reading on would only count its problems.
 */
export const STOP_AFTER_BAD_ROWS = 1000;

/** Problems of a header a message names (the rest are counted). */
const HEADER_PROBLEMS_SHOWN = 5;

/** The header's columns, checked against the dataset's twelve; throws `ImportFileError`. */
export function checkHeader(values: string[]): PatientField[] {
  const names = values.map((v) => v.trim());
  const problems: string[] = [];
  let more = 0;
  const problem = (text: () => string) => {
    if (problems.length < HEADER_PROBLEMS_SHOWN) problems.push(text());
    else more++;
  };
  const known = new Set<string>(PATIENT_FIELDS);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problem(() => `the column "${excerpt(name)}" appears twice`);
    seen.add(name);
    if (known.has(name)) continue;
    const meant = PATIENT_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    problem(() =>
      meant
        ? `the column "${excerpt(name)}" should be written "${meant}"`
        : `the column "${excerpt(name)}" is not a field of the record`
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
  if (more) problems.push(`${formatCount(more)} more`);
  if (problems.length) {
    throw new ImportFileError(
      `The header row does not match the template: ${problems.join("; ")}. The header must ` +
        `name the columns ${PATIENT_FIELDS.join(",")} (in any order).`,
      "header",
    );
  }
  return names as PatientField[];
}

/**
 * The header of `records` (the file's first record), checked; throws `ImportFileError` for a
 * file that is empty, not text or not CSV, or whose header is not the dataset's.
 */
export async function readHeader(
  records: AsyncIterator<CsvRecord>,
): Promise<PatientField[]> {
  return checkHeader(await readHeaderRow(records));
}

/**
 * The values of the file's first record, its header (not yet checked against any template);
 * throws `ImportFileError` for a file that is empty, not text or not CSV.
 */
export async function readHeaderRow(records: AsyncIterator<CsvRecord>): Promise<string[]> {
  let first: IteratorResult<CsvRecord>;
  try {
    first = await records.next();
  } catch (error) {
    if (error instanceof NotTextError) throw new ImportFileError(error.message, "not_text");
    if (error instanceof HeaderTooLongError) throw new ImportFileError(error.message, "not_csv");
    throw error;
  }
  if (first.done) throw new ImportFileError("The file is empty: it has no header row.", "empty");
  if ("error" in first.value) {
    throw new ImportFileError(`The file is not a CSV table: ${first.value.error}.`, "not_csv");
  }
  return first.value.values;
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

/** The message of an import stopped at `line` (see `STOP_AFTER_BAD_ROWS`). */
function stoppedMessage(result: ImportResult, line: number): string {
  const first = result.errors[0]!;
  const stored = result.inserted + result.updated;
  return `The import stopped at line ${formatCount(line)}: ${formatCount(result.bad_rows)} of the ${
    formatCount(result.rows)
  } rows read have problems (line ${first.line}: ${first.message}), so this does not look like ` +
    `the dataset's table. ${
      stored === 0
        ? "Nothing was stored."
        : `${formatCount(stored)} rows stored before the stop are kept (importing the file ` +
          "again skips them)."
    }`;
}

/**
 * Reads `records` (header first) and imports them for `userId`. A file that cannot be read at
 * all throws `ImportFileError`, one that is mostly bad rows `ImportStoppedError`; otherwise bad
 * rows are reported and never stop the good ones. Rows whose id the user already has are
 * skipped, or updated when they differ; rows without an id get the next free ids, after the
 * others.
 */
export async function importPatients(
  store: PatientStore,
  userId: number,
  records: AsyncIterable<CsvRecord>,
  options: ImportOptions,
): Promise<ImportResult> {
  const report = new ImportReport(options.dryRun);
  const result = report.result;
  const resume = options.resume;
  const resumed = resume?.checkpoint;
  if (resumed) Object.assign(result, structuredClone(resumed.result));
  const rowsDone = resumed?.rowsDone ?? 0;
  const writer = new BatchWriter(store, userId, report, {
    onConflict: options.onConflict,
    dryRun: options.dryRun,
    ...(options.onStored ? { onStored: options.onStored } : {}),
    ...(resume ? { since: resume.since } : {}),
  });
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const firstLine = new IdLines();
  const withoutId = new WaitingRows(options.dryRun);
  let batch: PendingRow[] = [];
  const checkpoint = async (newIds: NewIdsProgress | null, rowsDone = result.rows) => {
    const { errors: _e, errors_total: _t, bad_rows: _b, rows: _r, dry_run: _d, ...counts } = result;
    await options.onCheckpoint?.({ rowsDone, result: counts, newIds });
  };
  // One batch is stored while the next is read: a store that writes elsewhere (the embedded
  // store's worker, a database server) leaves this thread free to parse meanwhile.
  let storing: Promise<void> | null = null;
  /** The line a stop was called at (its message is written once the stored batch is done). */
  let stoppedAt: number | null = null;
  const settled = async () => {
    const pending = storing;
    storing = null;
    await pending;
  };
  const flush = async () => {
    if (batch.length === 0) return;
    options.signal?.throwIfAborted();
    const rows = batch;
    batch = [];
    // What a later run goes on from: the rows read up to the end of this batch.
    const rowsRead = result.rows;
    await settled();
    storing = (async () => {
      await writer.write(rows);
      await checkpoint(null, rowsRead);
    })();
    // Handled when awaited (the next batch, or the end): not an unhandled rejection meanwhile.
    storing.catch(() => {});
    await otherRequests();
  };
  const problem = (line: number, field: string, value: string, message: string) => {
    report.problem({ line, field, value: excerpt(value), message });
    if (result.bad_rows > STOP_AFTER_BAD_ROWS && result.bad_rows * 2 > result.rows) {
      stoppedAt = line;
      throw new ImportStoppedError(stoppedMessage(result, line), result);
    }
  };

  const reader = records[Symbol.asyncIterator]();
  try {
    await readRows(reader);
  } catch (error) {
    // The batch being stored is done (or has failed) before the import answers, and a stop
    // says how many rows that left stored.
    await settled().catch(() => {});
    if (error instanceof ImportStoppedError && stoppedAt !== null) {
      throw new ImportStoppedError(stoppedMessage(result, stoppedAt), result);
    }
    throw error;
  } finally {
    // Stopped early (or failed): the rest of the file is not read, and the parser is let go.
    await reader.return?.();
  }
  await flush();
  await settled();
  if (withoutId.count) await storeWithoutIds(writer, withoutId, batchSize, options, checkpoint);
  return result;

  async function readRows(reader: AsyncIterator<CsvRecord>): Promise<void> {
    const header = await readHeader(reader);
    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      const record = next.value;
      result.rows++;
      if ("error" in record) {
        problem(record.line, "", record.raw, record.error);
        continue;
      }
      if (record.values.length !== header.length) {
        const count = record.values.length;
        problem(
          record.line,
          "",
          record.values.slice(0, EXCERPT_CHARS).join(","),
          `This row has ${formatCount(count)} value${
            count === 1 ? "" : "s"
          }; the header has ${header.length} columns`,
        );
        continue;
      }
      const text: Partial<Record<PatientField, string>> = {};
      header.forEach((field, i) => text[field] = record.values[i]!);
      const checked = validatePatient(parsePatientText(text), "create");
      if (!checked.ok) {
        for (const error of checked.errors) {
          problem(
            record.line,
            error.field,
            text[error.field as PatientField] ?? "",
            error.message,
          );
        }
        continue;
      }
      const { id } = checked.value;
      if (id === undefined) {
        withoutId.add({ line: record.line, patient: checked.value });
        continue;
      }
      const earlier = firstLine.get(id);
      if (earlier !== undefined) {
        problem(
          record.line,
          "id",
          text.id ?? "",
          `Patient ID ${id} is already on line ${earlier} of this file; each ID may appear once`,
        );
        continue;
      }
      firstLine.set(id, record.line);
      // Rows an interrupted run stored already are only read again.
      if (result.rows <= rowsDone) continue;
      batch.push({ line: record.line, patient: checked.value });
      if (batch.length >= batchSize) await flush();
    }
  }
}

/**
 * The rows without an id, kept until the rows with ids are stored: as one short string each
 * (about 80 bytes, where an object took about 400), and in a dry run only counted — so that a
 * file of 300,000 such rows adds tens of megabytes at most.
 */
class WaitingRows {
  #rows: string[] = [];
  count = 0;

  constructor(readonly countOnly: boolean) {}

  add(row: PendingRow): void {
    this.count++;
    if (this.countOnly) return;
    const { id: _id, ...patient } = row.patient;
    this.#rows.push(JSON.stringify([row.line, ...WAITING_FIELDS.map((f) => patient[f])]));
  }

  /** The rows from `start` on, at most `n`, as they were added. */
  slice(start: number, n: number): PendingRow[] {
    return this.#rows.slice(start, start + n).map((text) => {
      const [line, ...values] = JSON.parse(text) as [number, ...unknown[]];
      const patient = Object.fromEntries(WAITING_FIELDS.map((f, i) => [f, values[i]]));
      return { line, patient: patient as PendingRow["patient"] };
    });
  }
}

const WAITING_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");

/**
 * Stores the rows that came without an id under the next free ids, after the user's highest
 * (read once all rows with ids are stored), in batches; the ids a batch will take are kept in a
 * checkpoint before it is stored, so that a run that goes on from an interruption gives them
 * again and recognises the rows already stored. A dry run counts them.
 */
async function storeWithoutIds(
  writer: BatchWriter,
  rows: WaitingRows,
  batchSize: number,
  options: ImportOptions,
  checkpoint: (newIds: NewIdsProgress) => Promise<void>,
): Promise<void> {
  if (options.dryRun) {
    writer.report.result.inserted += rows.count;
    return;
  }
  const progress = options.resume?.checkpoint?.newIds;
  let next = progress?.next ?? await writer.firstFreeId();
  for (let done = progress?.done ?? 0; done < rows.count; done += batchSize) {
    options.signal?.throwIfAborted();
    await checkpoint({ next, done });
    next = await writer.writeNumbered(rows.slice(done, batchSize), next);
    await otherRequests();
  }
  await checkpoint({ next, done: rows.count });
}
