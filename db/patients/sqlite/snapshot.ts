/**
 * An in-memory read model of one user's records, for users with up to `SNAPSHOT_MAX_ROWS`: the
 * records by id, and per sort field the order of the records (built when first asked for). A
 * page is then a walk over that order, testing the filter on objects in memory — no row is read
 * from disk, which for a list of a few thousand records is several times faster than any SQL
 * plan (each row an index lookup). Totals are exact: the filter is tested on every record.
 *
 * A snapshot is of its user's data version (`patient_versions`, bumped by triggers in every
 * write's transaction, here or in another process): a change to their records makes a new one,
 * a change to another user's does not. Users with more records than the limit are listed from
 * a compact list index (`list_index.ts`), or through SQL (`list.ts`) until it is built.
 */
import {
  CATEGORICAL_FIELDS,
  type PatientField,
  type PatientRecord,
} from "../../../lib/patient_fields.ts";
import type { PatientFilter, PatientListQuery } from "../../../lib/patient_query.ts";
import { unresolvedCriteria } from "../../../lib/admission_filter.ts";
import { shownValue } from "../../../lib/stored_patient.ts";

/** Up to this many records a user's list is served from memory. */
export const SNAPSHOT_MAX_ROWS = 50_000;
/** Snapshots kept at once (the most recently used users'). */
const SNAPSHOTS_KEPT = 8;

type Value = string | number | null;

/** Where a value sorts among the others, as in SQLite: null, then numbers, then text. */
function rankOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? 1 : typeof value === "string" ? 2 : 3;
}

/**
 * The list's order of two values as SQL sorts them: null first, then numbers, then text (a value
 * the original app stored that cannot be read is compared as stored).
 */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const rank = rankOf(a) - rankOf(b);
  if (rank !== 0 || rankOf(a) === 0) return rank;
  return (a as Value)! < (b as Value)! ? -1 : (a as Value)! > (b as Value)! ? 1 : 0;
}

/** The filter as one test of a record. */
function testOf(filter: PatientFilter): (record: PatientRecord) => boolean {
  if (filter.admission) throw unresolvedCriteria();
  const equal: [PatientField, Value][] = [];
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) equal.push([field, value]);
  }
  const { q, age_min: min, age_max: max } = filter;
  const ranged = min !== undefined || max !== undefined;
  const ids = filter.ids && new Set(filter.ids);
  return (record) => {
    if (q !== undefined && record.id !== q) return false;
    if (ids && !ids.has(record.id)) return false;
    // An age that is not a number (the original app's, unreadable) is in no range.
    if (ranged && (record.age === null || record.stored?.age)) return false;
    if (min !== undefined && record.age < min) return false;
    if (max !== undefined && record.age > max) return false;
    for (const [field, value] of equal) if (record[field] !== value) return false;
    return true;
  };
}

/** Totals kept per snapshot (by filter); beyond this many they are counted afresh. */
const TOTALS_KEPT = 4096;

export class Snapshot {
  readonly #orders = new Map<PatientField, Int32Array>();
  readonly #totals = new Map<string, number>();

  /** `records` sorted by id. */
  constructor(readonly records: readonly PatientRecord[]) {}

  /** Positions of the records ascending by `field`, ties by id (descending is its reverse). */
  #order(field: PatientField): Int32Array {
    let order = this.#orders.get(field);
    if (!order) {
      const records = this.records;
      order = Int32Array.from(records.keys());
      if (field !== "id") {
        order.sort((a, b) =>
          compare(shownValue(records[a]!, field), shownValue(records[b]!, field)) ||
          records[a]!.id - records[b]!.id
        );
      }
      this.#orders.set(field, order);
    }
    return order;
  }

  count(filter: PatientFilter): number {
    const key = JSON.stringify(filter);
    let total = this.#totals.get(key);
    if (total === undefined) {
      const test = testOf(filter);
      total = 0;
      for (const record of this.records) if (test(record)) total++;
      if (this.#totals.size >= TOTALS_KEPT) this.#totals.clear();
      this.#totals.set(key, total);
    }
    return total;
  }

  list({ filter, sort, page, perPage }: PatientListQuery): PatientRecord[] {
    const order = this.#order(sort.field);
    const test = testOf(filter);
    const skip = (page - 1) * perPage;
    const out: PatientRecord[] = [];
    let matched = 0;
    const n = order.length;
    for (let i = 0; i < n && out.length < perPage; i++) {
      const record = this.records[order[sort.direction === "asc" ? i : n - 1 - i]!]!;
      if (test(record) && matched++ >= skip) out.push(record);
    }
    return out;
  }
}

/**
 * The snapshots of the users recently listed, each of its user's data version: a write to one
 * user's records (an import's every batch) leaves the others' snapshots alone.
 */
export class Snapshots {
  readonly #kept = new Map<number, { version: number; snapshot: Snapshot | "too big" }>();

  constructor(
    private readonly source: {
      /** The user's data version: changes whenever their records do (here or elsewhere). */
      version(userId: number): number;
      /** The user's number of records (cheap), and all of them by id. */
      size(userId: number): number;
      all(userId: number): PatientRecord[];
    },
    private readonly maxRows = SNAPSHOT_MAX_ROWS,
  ) {}

  /** Forgets every snapshot. */
  clear(): void {
    this.#kept.clear();
  }

  /** The user's snapshot, or null when they have more records than the limit. */
  of(userId: number): Snapshot | null {
    const version = this.source.version(userId);
    let kept = this.#kept.get(userId);
    if (kept?.version !== version) {
      // Read in the same synchronous turn as the version: nothing can change in between.
      kept = {
        version,
        snapshot: this.maxRows === 0 || this.source.size(userId) > this.maxRows
          ? "too big"
          : new Snapshot(this.source.all(userId)),
      };
      if (this.#kept.size >= SNAPSHOTS_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
    } else this.#kept.delete(userId); // most recently used last
    this.#kept.set(userId, kept);
    return kept.snapshot === "too big" ? null : kept.snapshot;
  }
}
