/**
 * The embedded store's bulk writes — an import's batch of new records, and their audit entries
 * — as functions of a connection, so that a big batch runs in a worker (`reader.ts`, opened
 * for writing) while the app's thread goes on answering: 5,000 records into a store of a
 * million take about half a second (thirteen B-trees each), their entries a fifth of that.
 * A batch is written in transactions of `ROWS_PER_TRANSACTION` (an import's batch): a write on
 * the app's own connection (another user's edit) waits for one of them at most; smaller ones
 * would cost the import more (each stops and makes again the triggers a row would fire, and
 * changing the schema has every statement prepared again: 40 % more time in transactions of
 * 2,000).
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { InsertManyResult } from "../../../lib/patient_store.ts";
import type { PatientFields } from "../../../lib/patient_fields.ts";
import { inTransaction } from "../../sqlite.ts";
import { newRow } from "../rows.ts";
import {
  ADD_TO_TALLY,
  BUMP_VERSION,
  DROP_TALLY_TRIGGERS,
  type PatientsTable,
  ROW_COLUMNS,
  tallyKeysOf,
  tallyTriggers,
  VERSION_INSERT_TRIGGER,
  versionInsertTrigger,
} from "./schema.ts";

/**
 * From this many rows on, an insert adds up the tallies and bumps the data version itself
 * instead of triggers per row.
 */
const BULK_TALLY_ROWS = 500;
/** Rows written in one transaction (and so the longest a write of the app's thread waits). */
export const ROWS_PER_TRANSACTION = 5_000;

/** A value as SQLite stores it. */
export function sqlValue(value: unknown): SQLInputValue {
  return value === undefined ? null : value as SQLInputValue;
}

/** Statements prepared once per connection. */
const prepared = new WeakMap<DatabaseSync, Map<string, StatementSync>>();
function statement(database: DatabaseSync, sql: string): StatementSync {
  let statements = prepared.get(database);
  if (!statements) prepared.set(database, statements = new Map());
  let found = statements.get(sql);
  if (!found) statements.set(sql, found = database.prepare(sql));
  return found;
}

const INSERT_PATIENT = `INSERT INTO patients (${ROW_COLUMNS.join(", ")}) VALUES (${
  ROW_COLUMNS.map(() => "?").join(", ")
}) ON CONFLICT DO NOTHING`;

/**
 * Inserts `patients` for the user as new records made at `now` (ISO); an id the user has
 * already is left alone and reported.
 */
export function insertPatients(
  database: DatabaseSync,
  userId: number,
  patients: readonly PatientFields[],
  now: string,
): InsertManyResult {
  const result: InsertManyResult = { inserted: 0, duplicateIds: [] };
  for (let start = 0; start < patients.length; start += ROWS_PER_TRANSACTION) {
    const slice = patients.slice(start, start + ROWS_PER_TRANSACTION);
    inTransaction(database, () => insertSlice(database, userId, slice, now, result));
  }
  return result;
}

function insertSlice(
  database: DatabaseSync,
  userId: number,
  patients: readonly PatientFields[],
  now: string,
  result: InsertManyResult,
): void {
  const insert = statement(database, INSERT_PATIENT);
  // Many rows: the tallies are added up here and written once, not adjusted row by row.
  const bulk = patients.length >= BULK_TALLY_ROWS;
  const added = new Map<string, [string, string, number]>();
  if (bulk) {
    for (const drop of DROP_TALLY_TRIGGERS) database.exec(drop);
    database.exec(`DROP TRIGGER IF EXISTS ${VERSION_INSERT_TRIGGER}`);
  }
  const before = result.inserted;
  for (const patient of patients) {
    const row = newRow(userId, patient, patient.id, now);
    const done = insert.run(...ROW_COLUMNS.map((column) => sqlValue(row[column])));
    if (Number(done.changes) !== 1) {
      result.duplicateIds.push(patient.id);
      continue;
    }
    result.inserted++;
    if (!bulk) continue;
    for (const [field, value] of tallyKeysOf(row as unknown as PatientsTable)) {
      const key = `${field}\u0000${value}`;
      const entry = added.get(key);
      if (entry) entry[2]++;
      else added.set(key, [field, value, 1]);
    }
  }
  if (bulk) {
    const add = statement(database, ADD_TO_TALLY);
    for (const [field, value, n] of added.values()) add.run(userId, field, value, n);
    if (result.inserted > before) statement(database, BUMP_VERSION).run(userId);
    for (const create of tallyTriggers()) database.exec(create);
    database.exec(versionInsertTrigger());
  }
}

/** Appends audit entries, each as its row's values in `columns` order, to `audit_log`. */
export function appendAuditRows(
  database: DatabaseSync,
  columns: readonly string[],
  rows: readonly SQLInputValue[][],
): void {
  const insert = statement(
    database,
    `INSERT INTO audit_log (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
  );
  for (let start = 0; start < rows.length; start += ROWS_PER_TRANSACTION) {
    inTransaction(database, () => {
      for (const row of rows.slice(start, start + ROWS_PER_TRANSACTION)) insert.run(...row);
    });
  }
}

/** Copies what the WAL holds into the file, as far as readers let it (`wal_checkpoints.ts`). */
export function checkpoint(database: DatabaseSync): void {
  database.exec("PRAGMA wal_checkpoint(PASSIVE)");
}

/** The writes a worker opened for writing makes (each given its connection first). */
export const BULK_WRITES = {
  insertPatients,
  appendAuditRows,
  checkpoint,
};
export type BulkWrite = keyof typeof BULK_WRITES;
