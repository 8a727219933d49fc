/**
 * The one CSV writer of every download (exports, problems, codebook, template, the admins' audit
 * log): RFC 4180 quoting, CRLF line ends, and formula injection neutralised — a text cell that a
 * spreadsheet would run as a formula gets a leading apostrophe, while a plain number stays one.
 */

/** The characters that make a spreadsheet read a cell as a formula (or a DDE command). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A number as the app writes one (`-2.5`, `67`, `0.08`, `1e-7`): safe in any spreadsheet. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * A number as `String` writes it, without V8's number-string cache: `String` keeps each result in
 * an old-space cache, so an export of a million ids, ages and glucose levels moved its strings
 * into old space as fast as it wrote them, to wait there for a full collection (old space grew by
 * 40 MB a million rows). `JSON.stringify` writes a finite number the same way, into a string of
 * its own.
 */
export function numberText(value: number): string {
  return Number.isFinite(value) ? JSON.stringify(value) : String(value);
}

/**
 * One value as a CSV cell: `null` is empty, numbers are written as they are, and text is
 * prefixed with `'` when it would start a formula, then quoted when it holds a comma, quote or
 * line break.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return numberText(value);
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line of cells, ended by CRLF. */
export function csvLine(values: readonly (string | number | null)[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) line += (i ? "," : "") + csvCell(values[i]!);
  return line + "\r\n";
}
