/**
 * Importing admissions from CSV (`POST /api/admissions/import`): the columns `patient_id` and the
 * admission's fields in any order (`stroke_type` and `arrival_at` required; `admission_id`
 * optional), every row checked by the same rules as the API — a date-time without an offset read
 * as the wall clock of the user's time zone — bad rows reported by file line, field, the value
 * as written (an excerpt) and a message, the good ones stored in batches, each with its audit
 * entry naming the import and the line. An unknown value is an empty cell.
 *
 * A row naming an `admission_id` the patient has already is skipped, or (with
 * `on_conflict=update`) changes that admission, audited as an edit; one naming a number the
 * patient does not have is stored under that number (an export imported into an empty registry
 * keeps its numbers); one without is given the next number. A dry run stores nothing and says
 * what would happen. A new admission for a patient who has `MAX_ADMISSIONS_PER_PATIENT` already
 * (counting the rows before it) is reported at its line, in a dry run too. The report stays small
 * whatever the file (`LISTED_PROBLEMS`), and a file that is mostly bad rows stops early.
 */
import type { AuditEntry } from "./audit.ts";
import { type Actor, entryBy } from "./audit_trail.ts";
import { admissionChanges, fieldsOf } from "./admission_audit.ts";
import { admissionLimitMessage } from "./admission_errors.ts";
import {
  type AdmissionStore,
  MAX_ADMISSION_ID,
  MAX_ADMISSIONS_PER_PATIENT,
  type NewAdmission,
  newAdmissionRevision,
  type StoredAdmission,
} from "./admission_store.ts";
import { formatCount } from "./count_format.ts";
import type { CsvRecord } from "./csv_rows.ts";
import { excerpt } from "./excerpt.ts";
import { ImportReport, type ImportResult, type ImportRowError } from "./import_report.ts";
import { parsePatientId, type PatientRecord } from "./patient_fields.ts";
import {
  ImportFileError,
  type OnConflict,
  readHeaderRow,
  STOP_AFTER_BAD_ROWS,
} from "./patient_import.ts";
import { recordEntryId } from "./import_audit.ts";
import { Pace } from "./work_pace.ts";
import { ADMISSION_INPUT_FIELDS, type AdmissionFields } from "./stroke/admission_fields.ts";
import { ADMISSION_CSV_COLUMNS } from "./stroke/admission_json.ts";
import { parseAdmissionText, validateAdmission } from "./stroke/admission_rules.ts";

/** What an admissions import (or its dry run) did: the API's answer, and the rows with problems. */
export type AdmissionImportResult = Pick<
  ImportResult,
  "inserted" | "updated" | "skipped" | "dry_run" | "rows" | "errors" | "errors_total" | "bad_rows"
>;

export interface AdmissionImportOptions {
  onConflict: OnConflict;
  dryRun: boolean;
  /** The user's time zone: a date-time without an offset is its wall clock. */
  zone: string;
  /** The present (no time may be after it). */
  now: Date;
  /** Rows checked and stored per round. */
  batchSize?: number;
}

/** What the import needs of the use-cases. */
export interface AdmissionImportDeps {
  admissions: AdmissionStore;
  /** The scope's live patients with these ids. */
  patients: (ids: readonly number[]) => Promise<PatientRecord[]>;
  /** Whether an admission belongs to this patient record (not to an earlier one of its id). */
  sameLife: (admission: StoredAdmission, patient: PatientRecord) => boolean;
  /** Changes an admission as an edit would (audited, under its claim); the new admission. */
  update: (
    patientId: number,
    admissionId: number,
    fields: AdmissionFields,
  ) => Promise<StoredAdmission>;
  /** Appends the entries of stored rows (none in a dry run). */
  audit: (entries: AuditEntry[]) => Promise<void>;
}

/** Columns every file must have. */
const REQUIRED = ["patient_id", "stroke_type", "arrival_at"] as const;
const DEFAULT_BATCH = 500;

/** The header's columns, checked; throws `ImportFileError`. */
export function checkAdmissionHeader(values: readonly string[]): string[] {
  const names = values.map((v) => v.trim());
  const known = new Set<string>(ADMISSION_CSV_COLUMNS);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (problems.length >= 5) break;
    if (seen.has(name)) problems.push(`the column "${excerpt(name)}" appears twice`);
    seen.add(name);
    if (known.has(name)) continue;
    const meant = ADMISSION_CSV_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase());
    problems.push(
      meant
        ? `the column "${excerpt(name)}" should be written "${meant}"`
        : `the column "${excerpt(name)}" is not a field of an admission`,
    );
  }
  const missing = REQUIRED.filter((c) => !seen.has(c));
  if (missing.length) {
    problems.push(
      `the column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${
        missing.length > 1 ? "are" : "is"
      } missing`,
    );
  }
  if (problems.length) {
    throw new ImportFileError(
      `The header row is not an admissions file's: ${problems.join("; ")}. The columns are ` +
        `${ADMISSION_CSV_COLUMNS.join(",")} in any order (${REQUIRED.join(", ")} required).`,
      "header",
    );
  }
  return names;
}

/** A row that passed its checks, waiting for its batch. */
interface GoodRow {
  line: number;
  patientId: number;
  admissionId: number | undefined;
  fields: AdmissionFields;
}

const ADMISSION_ID = /^\d{1,10}$/;

/** Reads one data row: a good row, or its problems reported. */
function readRow(
  record: { line: number; values: string[] },
  columns: readonly string[],
  options: AdmissionImportOptions,
  report: ImportReport,
): GoodRow | null {
  const cells: Record<string, string> = {};
  columns.forEach((column, i) => cells[column] = record.values[i] ?? "");
  const { line } = record;
  const problems: ImportRowError[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ line, field, value: excerpt(cells[field] ?? ""), message });

  const patientId = parsePatientId((cells.patient_id ?? "").trim());
  if (patientId === null) {
    problem("patient_id", "patient_id must be a patient's ID, a whole number from 1");
  }
  const idText = (cells.admission_id ?? "").trim();
  let admissionId: number | undefined;
  if (idText !== "") {
    admissionId = ADMISSION_ID.test(idText) ? Number(idText) : NaN;
    if (!(admissionId >= 1 && admissionId <= MAX_ADMISSION_ID)) {
      problem(
        "admission_id",
        `admission_id must be empty (a new admission) or a whole number from 1 to ${MAX_ADMISSION_ID}`,
      );
    }
  }
  const input = parseAdmissionText(
    Object.fromEntries(ADMISSION_INPUT_FIELDS.filter((f) => f in cells).map((f) => [f, cells[f]])),
  );
  const result = validateAdmission(input, "create", { now: options.now, localZone: options.zone });
  if (!result.ok) { for (const e of result.errors) problem(e.field, e.message); }
  if (problems.length > 0) {
    for (const p of problems) report.problem(p);
    return null;
  }
  return {
    line,
    patientId: patientId!,
    admissionId,
    fields: (result as { value: AdmissionFields }).value,
  };
}

/** Whether two admissions' fields are the same. */
function sameFields(a: AdmissionFields, b: AdmissionFields): boolean {
  return Object.keys(admissionChanges(a, b)).length === 0;
}

/**
 * Imports `records` (header first) for `actor` into `scope`; `importEntry` is the import's own
 * audit entry (null in a dry run), which each stored row's entry names.
 */
export async function importAdmissions(
  deps: AdmissionImportDeps,
  actor: Actor,
  scope: number,
  records: AsyncIterable<CsvRecord>,
  options: AdmissionImportOptions,
  importEntry: AuditEntry | null,
): Promise<AdmissionImportResult> {
  const report = new ImportReport(options.dryRun);
  const counts = { inserted: 0, updated: 0, skipped: 0, rows: 0 };
  const iterator = records[Symbol.asyncIterator]();
  const columns = checkAdmissionHeader(await readHeaderRow(iterator));
  const pace = new Pace();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  let batch: GoodRow[] = [];
  /** A dry run's new admissions per patient so far (a real run's are in the store). */
  const planned = new Map<number, number>();

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await storeBatch(deps, actor, scope, rows, options, importEntry, report, counts, planned);
    await pace.breathe();
  };

  for (;;) {
    const step = await iterator.next();
    if (step.done) break;
    const record = step.value;
    counts.rows++;
    if ("error" in record) {
      report.problem({
        line: record.line,
        field: "",
        value: record.raw,
        message: `The row cannot be read: ${record.error}`,
      });
    } else {
      const row = readRow(record, columns, options, report);
      if (row) batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    const bad = report.result.bad_rows;
    if (bad > STOP_AFTER_BAD_ROWS && bad * 2 > counts.rows) {
      const first = report.result.errors[0]!;
      const stored = counts.inserted + counts.updated;
      throw new ImportFileError(
        `The import stopped at line ${formatCount(record.line)}: ${formatCount(bad)} of the ${
          formatCount(counts.rows)
        } rows read have problems (line ${first.line}: ${first.message}), so this does not look ` +
          `like an admissions file. ${
            stored === 0
              ? "Nothing was stored."
              : `${formatCount(stored)} rows stored before the stop are kept.`
          }`,
        "stopped",
      );
    }
    if (counts.rows % 100 === 0) await pace.breathe();
  }
  await flush();
  return {
    ...counts,
    dry_run: options.dryRun,
    // A row's patient is looked up with its batch: its problem is put back in the file's order.
    errors: report.result.errors.map((e, i) => [e, i] as const)
      .sort(([a, i], [b, j]) => a.line - b.line || i - j).map(([e]) => e),
    errors_total: report.result.errors_total,
    bad_rows: report.result.bad_rows,
  };
}

/** Checks a batch against the store and stores it (or, in a dry run, counts what would be). */
async function storeBatch(
  deps: AdmissionImportDeps,
  actor: Actor,
  scope: number,
  rows: GoodRow[],
  options: AdmissionImportOptions,
  importEntry: AuditEntry | null,
  report: ImportReport,
  counts: { inserted: number; updated: number; skipped: number },
  planned: Map<number, number>,
): Promise<void> {
  const patients = new Map(
    (await deps.patients([...new Set(rows.map((r) => r.patientId))])).map((p) => [p.id, p]),
  );
  const fresh: (NewAdmission & { revision: string; line: number })[] = [];
  /** Numbers given by rows of this batch, per patient: a second row naming one is a problem. */
  const named = new Set<string>();
  for (const row of rows) {
    const patient = patients.get(row.patientId);
    const problem = (field: string, value: string, message: string) =>
      report.problem({ line: row.line, field, value, message });
    if (!patient) {
      problem("patient_id", String(row.patientId), `You have no patient with ID ${row.patientId}`);
      continue;
    }
    if (row.admissionId !== undefined) {
      const key = `${row.patientId}:${row.admissionId}`;
      if (named.has(key)) {
        problem(
          "admission_id",
          String(row.admissionId),
          `Admission ${row.admissionId} of patient ${row.patientId} is on an earlier line too`,
        );
        continue;
      }
      named.add(key);
      const existing = await deps.admissions.get(scope, row.patientId, row.admissionId);
      if (existing) {
        if (!deps.sameLife(existing, patient)) {
          problem(
            "admission_id",
            String(row.admissionId),
            `Admission number ${row.admissionId} was used by an earlier patient ${row.patientId}; leave admission_id empty to add it as a new admission`,
          );
        } else if (existing.deleted_at !== null) {
          problem(
            "admission_id",
            String(row.admissionId),
            `Admission ${row.admissionId} of patient ${row.patientId} is deleted: restore it first, or leave admission_id empty`,
          );
        } else if (options.onConflict === "skip" || sameFields(fieldsOf(existing), row.fields)) {
          counts.skipped++;
        } else {
          if (!options.dryRun) await deps.update(row.patientId, row.admissionId, row.fields);
          counts.updated++;
        }
        continue;
      }
    }
    fresh.push({
      line: row.line,
      patient_id: row.patientId,
      patient_created_at: patient.created_at,
      fields: row.fields,
      revision: newAdmissionRevision(),
      ...(row.admissionId !== undefined ? { admission_id: row.admissionId } : {}),
    });
  }
  if (fresh.length === 0) return;
  const full = (row: { line: number; admission_id?: number; patient_id: number }) =>
    report.problem({
      line: row.line,
      field: "admission_id",
      value: row.admission_id === undefined ? "" : String(row.admission_id),
      message: admissionLimitMessage(row.patient_id, MAX_ADMISSIONS_PER_PATIENT),
    });
  const roomy = await withRoom(deps, scope, fresh, options.dryRun ? planned : null, full);
  if (roomy.length === 0) return;
  if (options.dryRun) {
    counts.inserted += roomy.length;
    return;
  }
  const inserted = await deps.admissions.insertMany(scope, roomy);
  const { stored, taken } = inserted;
  // Room another writer took since it was counted (see `admission_numbers.ts`).
  for (const index of inserted.full) full(roomy[index]!);
  for (const index of taken) {
    const row = roomy[index]!;
    report.problem({
      line: row.line,
      field: "admission_id",
      value: String(row.admission_id),
      message:
        `Patient ${row.patient_id} has an admission ${row.admission_id} already; leave admission_id empty to add it as a new admission`,
    });
  }
  counts.inserted += stored.length;
  const lines = new Map(roomy.map((row) => [row.revision, row.line]));
  const template = entryBy(actor, "create", null);
  await deps.audit(stored.map((admission) => {
    const line = lines.get(admission.revision)!;
    return {
      ...template,
      id: recordEntryId(importEntry!.id, line),
      patient_id: admission.patient_id,
      changes: admissionChanges(null, fieldsOf(admission)),
      revision_after: admission.revision,
      details: { admission_id: admission.admission_id, import: importEntry!.id, line },
    };
  }));
}

/**
 * The rows whose patient has room for them (`MAX_ADMISSIONS_PER_PATIENT`), in order: counted from
 * the store, plus (in a dry run, which stores nothing) the rows `planned` before this batch, which
 * it then counts too. The others go to `full`.
 */
async function withRoom<T extends { patient_id: number }>(
  deps: AdmissionImportDeps,
  scope: number,
  rows: T[],
  planned: Map<number, number> | null,
  full: (row: T) => void,
): Promise<T[]> {
  const held = await deps.admissions.countOf(scope, [...new Set(rows.map((r) => r.patient_id))]);
  const added = new Map<number, number>();
  const kept: T[] = [];
  for (const row of rows) {
    const id = row.patient_id;
    const mine = added.get(id) ?? 0;
    if ((held.get(id) ?? 0) + (planned?.get(id) ?? 0) + mine >= MAX_ADMISSIONS_PER_PATIENT) {
      full(row);
      continue;
    }
    added.set(id, mine + 1);
    kept.push(row);
  }
  if (planned) { for (const [id, n] of added) planned.set(id, (planned.get(id) ?? 0) + n); }
  return kept;
}
