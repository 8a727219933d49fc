/**
 * An in-memory read model of one user's records, for users with up to `SNAPSHOT_MAX_ROWS`: the
 * records by id, and per sort field the order of the records (built when first asked for). A
 * page is then a walk over that order, testing the filter on objects in memory — no row is read
 * from disk, which for a list of a few thousand records is several times faster than any SQL
 * plan (each row an index lookup). Totals are exact: the filter is tested on every record.
 *
 * Snapshots are dropped whenever the data changes (the store's writes, and other processes'
 * commits through `PRAGMA data_version`), like the read cache; users with more records than the
 * limit are listed through SQL (see `patient_sqlite_list.ts`).
 */
import {
  CATEGORICAL_FIELDS,
  type PatientField,
  type PatientRecord,
} from "../lib/patient_fields.ts";
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";

/** Up to this many records a user's list is served from memory. */
export const SNAPSHOT_MAX_ROWS = 50_000;
/** Snapshots kept at once (the most recently used users'). */
const SNAPSHOTS_KEPT = 8;

type Value = string | number | null;

/** The list's order of two values: null first, then by value. */
function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** The filter as one test of a record. */
function testOf(filter: PatientFilter): (record: PatientRecord) => boolean {
  const equal: [PatientField, Value][] = [];
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) equal.push([field, value]);
  }
  const { q, age_min: min, age_max: max } = filter;
  return (record) => {
    if (q !== undefined && record.id !== q) return false;
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
          compare(records[a]![field], records[b]![field]) || records[a]!.id - records[b]!.id
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

/** The snapshots of the users recently listed, forgotten on any change. */
export class Snapshots {
  readonly #kept = new Map<number, Snapshot | "too big">();
  #version = -1;

  constructor(
    private readonly source: {
      /** Changes whenever the data does (here or in another process). */
      dataVersion(): number;
      /** The user's number of records (cheap), and all of them by id. */
      size(userId: number): number;
      all(userId: number): PatientRecord[];
    },
    private readonly maxRows = SNAPSHOT_MAX_ROWS,
  ) {}

  /** Forgets every snapshot: called after each write. */
  clear(): void {
    this.#kept.clear();
  }

  /** The user's snapshot, or null when they have more records than the limit. */
  of(userId: number): Snapshot | null {
    const version = this.source.dataVersion();
    if (version !== this.#version) {
      this.clear();
      this.#version = version;
    }
    let snapshot = this.#kept.get(userId);
    if (snapshot === undefined) {
      snapshot = this.maxRows === 0 || this.source.size(userId) > this.maxRows
        ? "too big"
        : new Snapshot(this.source.all(userId));
      if (this.#kept.size >= SNAPSHOTS_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
    } else this.#kept.delete(userId); // most recently used last
    this.#kept.set(userId, snapshot);
    return snapshot === "too big" ? null : snapshot;
  }
}
