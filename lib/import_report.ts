/**
 * What an import (or its dry run) found, kept within bounds whatever the file: counts of
 * everything, but only the first problems, the first rows that differ from the stored records
 * and the first ids given to rows without one — so that a file of half a million bad rows yields
 * a report of a few hundred kilobytes, not fifty megabytes.
 */
import type { AuditChanges } from "./audit.ts";
import { formatCount } from "./count_format.ts";

/** Problems kept and returned (the rest are counted). */
export const LISTED_PROBLEMS = 1000;
/** Rows that differ from the stored record kept, with their changes (the rest are counted). */
export const LISTED_DIFFERENCES = 100;
/** Ids given to rows without one kept (the rest are counted). */
export const LISTED_ASSIGNED_IDS = 1000;

/** One problem of one row: where, which field, what was written (an excerpt) and what is wrong. */
export interface ImportRowError {
  line: number;
  field: string;
  value: string;
  message: string;
}

/** A row whose id is already the user's with other values: each differing field, stored → file. */
export interface RowDifference {
  line: number;
  id: number;
  changes: AuditChanges;
}

/** The id given to a row that had none. */
export interface AssignedId {
  line: number;
  id: number;
}

export interface ImportResult {
  inserted: number;
  updated: number;
  skipped: number;
  dry_run: boolean;
  /** Data rows read (the header not counted). */
  rows: number;
  /** The first `LISTED_PROBLEMS` problems, in the file's order. */
  errors: ImportRowError[];
  /** Problems in all. */
  errors_total: number;
  /** Rows with at least one problem. */
  bad_rows: number;
  /**
   * Rows already the user's whose values differ from the stored record: updated, or skipped
   * under `skip` (never "unchanged"). The first `LISTED_DIFFERENCES`, with their changes.
   */
  differences: RowDifference[];
  differences_total: number;
  /** The ids given to rows without one (the first `LISTED_ASSIGNED_IDS`). */
  assigned_ids: AssignedId[];
  assigned_ids_total: number;
}

/** An empty result. */
export function emptyResult(dryRun: boolean): ImportResult {
  return {
    inserted: 0,
    updated: 0,
    skipped: 0,
    dry_run: dryRun,
    rows: 0,
    errors: [],
    errors_total: 0,
    bad_rows: 0,
    differences: [],
    differences_total: 0,
    assigned_ids: [],
    assigned_ids_total: 0,
  };
}

/** Collects a result: every count, the first items of each list. */
export class ImportReport {
  readonly result: ImportResult;
  #lastBadLine = 0;

  constructor(dryRun: boolean) {
    this.result = emptyResult(dryRun);
  }

  /** A problem of the row on `line` (rows come in order, so each bad row is counted once). */
  problem(problem: ImportRowError): void {
    const result = this.result;
    if (problem.line !== this.#lastBadLine) result.bad_rows++;
    this.#lastBadLine = problem.line;
    result.errors_total++;
    if (result.errors.length < LISTED_PROBLEMS) result.errors.push(problem);
  }

  /** A row that differs from the stored record. */
  difference(difference: RowDifference): void {
    this.result.differences_total++;
    if (this.result.differences.length < LISTED_DIFFERENCES) {
      this.result.differences.push(difference);
    }
  }

  /** The id given to a row that had none. */
  assigned(assigned: AssignedId): void {
    this.result.assigned_ids_total++;
    if (this.result.assigned_ids.length < LISTED_ASSIGNED_IDS) {
      this.result.assigned_ids.push(assigned);
    }
  }
}

/** "and 499,000 more" for a list that shows `shown` of `total`, or "" when it shows them all. */
export function andMore(total: number, shown: number, noun: string): string {
  const more = total - shown;
  return more > 0 ? `and ${formatCount(more)} more ${noun}${more === 1 ? "" : "s"}` : "";
}
