/**
 * A compact in-memory read model of a big registry's records (more than the snapshot's limit,
 * `snapshot.ts`), for lists. Each record is one 32-bit word — its categorical values' codes and
 * a key of its age — in id order, beside its id and exact age; per sort field the records'
 * order is kept as positions, read from SQLite's own index of that field (so it is exactly the
 * order SQL gives, nulls and stored text included), with the words copied into that order. A
 * page is then a walk reading words in turn (a nanosecond or two a record, no row read), and
 * only the page's rows are read, by id; a total tests every word once per filter and is kept
 * (a filter of categorical values alone is summed from the tallies). A million records take
 * 16 MB, and 8 MB more per field sorted on.
 *
 * SQL needs a row read for every record a walk passes (1–3 µs each): a page of the bench's
 * random mix over 204,400 records took 3 ms at the median and 180 ms at the 99th percentile,
 * all on the app's one thread. From the index: 0.07 ms on average; at a million, 0.17 ms
 * (99th percentile 3 ms).
 *
 * The columns and orders are read in a worker of their own (`reader.ts`; a million records'
 * columns take about 1.5 s of a core, an order 0.2 s), inside one read transaction with the
 * user's data version (`patient_versions`, bumped by triggers in the transaction of every write
 * to their records): an index is used only while that version is still the current one, so no
 * write — here or by another process on the same file — is ever hidden. Until a new one has
 * been built, lists are planned in SQL (`list.ts`).
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  type PatientField,
  type PatientRecord,
} from "../../../lib/patient_fields.ts";
import type { PatientFilter, PatientListQuery } from "../../../lib/patient_query.ts";
import { unresolvedCriteria } from "../../../lib/admission_filter.ts";
import { fieldIndex } from "./schema.ts";

/** From this many records on, a user's lists are read through an index (when it is built). */
export const LIST_INDEX_MIN_ROWS = 50_001;
/** Indexes kept at once (the most recently used users'). */
const INDEXES_KEPT = 4;
/** Totals kept per index (by filter); beyond this many they are counted afresh. */
const TOTALS_KEPT = 4096;
/**
 * A user's data must have stood still this long before an index of it is built: during an import
 * every batch changes it, and a build would be stale before it is done.
 */
export const QUIET_MS = 1_000;

/** A categorical value's code when it is none of the field's values (the original app's). */
const NO_CODE = -1;

/** Bits enough for a field's codes and one more, all ones, for none of them. */
const FIELD_BITS = CATEGORICAL_FIELDS.map((field) =>
  Math.ceil(Math.log2((CATEGORICAL_VALUES[field] as readonly unknown[]).length + 1))
);
/** Where each field's code sits in a record's word. */
const FIELD_SHIFTS = FIELD_BITS.map((_, f) => FIELD_BITS.slice(0, f).reduce((a, b) => a + b, 0));
/** Where the age's key sits: above the codes (18 bits for the dataset's fields). */
const AGE_SHIFT = FIELD_BITS.reduce((a, b) => a + b, 0);
/**
 * The key of an age that is not a number from 0 to below 127 (not in the app's range: the
 * original app's): tested against the age itself.
 */
const AGE_ODD = 255;
if (AGE_SHIFT + 8 > 31) throw new Error("a record's codes and age key do not fit 31 bits");

/**
 * An age's key, ordered as ages are: twice its whole years, plus one when it has a fraction (so
 * a key stands for one whole age, or for the ages strictly between two).
 */
function ageKey(age: number): number {
  if (!(age >= 0 && age < 127)) return AGE_ODD;
  const years = Math.floor(age);
  return 2 * years + (age > years ? 1 : 0);
}

/** A user's filterable columns, in id order, at one data version. */
export interface ListColumns {
  userId: number;
  version: number;
  /** Ascending. */
  ids: Int32Array;
  /** NaN where the age is not a number (null, or text the original app stored). */
  age: Float64Array;
  /**
   * Per record, one word: each categorical field's code (its value's place among the field's
   * values) in `FIELD_BITS` bits from `FIELD_SHIFTS`, and the age's key from `AGE_SHIFT`. A
   * walk reads one word per record: a filter on any fields is a mask, a comparison and, with
   * an age range, a comparison of keys (the age itself only at the range's edges).
   */
  words: Int32Array;
}

/** The user's data version: 0 before their first record. */
export function readVersion(statement: StatementSync, userId: number): number {
  const row = statement.get(userId) as { version: number } | undefined;
  return Number(row?.version ?? 0);
}

const VERSION_SQL = "SELECT version FROM patient_versions WHERE user_id = ?";

/** Runs `work` in one read transaction: everything it reads is of the same moment. */
function inReadTransaction<T>(database: DatabaseSync, work: () => T): T {
  database.exec("BEGIN");
  try {
    return work();
  } finally {
    database.exec("COMMIT");
  }
}

/**
 * The whole numbers of `text` (`12,7,…`; empty: none), or null when it holds anything else (an
 * id the original app stored as text, or one beyond 32 bits). Read by hand: a million records'
 * ids are one string, not a million.
 */
function wholeNumbers(text: string | null, count: number): Int32Array | null {
  const out = new Int32Array(count);
  if (!text) return count === 0 ? out : null;
  let n = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 44 && digits > 0 && value <= 2 ** 31 - 1 && n < count) {
      out[n++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  return n === count ? out : null;
}

/** `CASE` giving a categorical field's value its place in the field's values (else `NO_CODE`). */
function codeOf(field: (typeof CATEGORICAL_FIELDS)[number]): string {
  const values = CATEGORICAL_VALUES[field] as readonly (string | number)[];
  const when = values.map((value, code) =>
    `WHEN ${typeof value === "number" ? value : `'${value.replaceAll("'", "''")}'`} THEN ${code}`
  );
  return `(CASE ${field} ${when.join(" ")} ELSE ${NO_CODE} END)`;
}

/** Codes are sent as characters from `A` (one per field and record). */
const CODE_BASE = 65;

/**
 * One scan of the user's records in id order, each column concatenated in SQL into one string
 * (handing a million rows to JavaScript one by one costs seconds): the ids, the ages (exact:
 * 17 significant digits; `n` for one that is not a number) and a character per categorical field.
 */
const COLUMNS_SQL = `SELECT count(*) AS n, group_concat(id) AS ids,
  group_concat(CASE WHEN typeof(age) IN ('integer', 'real') THEN printf('%!.17g', age) ELSE 'n' END)
    AS ages,
  group_concat(char(${
  CATEGORICAL_FIELDS.map((f) => `${CODE_BASE} + ${codeOf(f)}`).join(", ")
}), '') AS codes
  FROM (SELECT * FROM patients WHERE user_id = ? ORDER BY id)`;

/**
 * The user's filterable columns and data version, read in one transaction (in a worker); null
 * when an id is not a whole number, which only SQL orders.
 */
export function readListColumns(database: DatabaseSync, userId: number): ListColumns | null {
  return inReadTransaction(database, () => {
    const version = readVersion(database.prepare(VERSION_SQL), userId);
    const row = database.prepare(COLUMNS_SQL).get(userId) as {
      n: number;
      ids: string | null;
      ages: string | null;
      codes: string | null;
    };
    const n = Number(row.n);
    const ids = wholeNumbers(row.ids, n);
    if (!ids) return null;
    for (let i = 1; i < n; i++) if (ids[i - 1]! >= ids[i]!) return null;
    const age = new Float64Array(n);
    const ages = row.ages ?? "";
    let start = 0;
    for (let i = 0; i < n; i++) {
      let end = ages.indexOf(",", start);
      if (end < 0) end = ages.length;
      age[i] = ages.charCodeAt(start) === 110 ? NaN : Number(ages.slice(start, end));
      start = end + 1;
    }
    const fields = CATEGORICAL_FIELDS.length;
    const text = row.codes ?? "";
    if (text.length !== n * fields) return null;
    const words = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let word = ageKey(age[i]!) << AGE_SHIFT;
      for (let f = 0; f < fields; f++) {
        const code = text.charCodeAt(i * fields + f) - CODE_BASE;
        word |= (code === NO_CODE ? (1 << FIELD_BITS[f]!) - 1 : code) << FIELD_SHIFTS[f]!;
      }
      words[i] = word;
    }
    return { userId, version, ids, age, words };
  });
}

/** Where `id` is in the ascending `ids` (-1: not there). */
function positionOf(ids: Int32Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const here = ids[mid]!;
    if (here === id) return mid;
    if (here < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The positions (in `ids`, the user's ids at `version`) of the user's records ascending by
 * `field`, ties by id: the order of the field's index, read in one string (in a worker); null
 * when the data has changed since `version`.
 */
export function readListOrder(
  database: DatabaseSync,
  userId: number,
  field: PatientField,
  version: number,
  ids: Int32Array,
): Int32Array | null {
  return inReadTransaction(database, () => {
    if (readVersion(database.prepare(VERSION_SQL), userId) !== version) return null;
    const row = database.prepare(
      `SELECT group_concat(id) AS ids FROM (
         SELECT id FROM patients INDEXED BY ${fieldIndex(field)} WHERE user_id = ?
         ORDER BY ${field}, id
       )`,
    ).get(userId) as { ids: string | null };
    const ordered = wholeNumbers(row.ids, ids.length);
    if (!ordered) return null;
    for (let i = 0; i < ordered.length; i++) {
      const position = positionOf(ids, ordered[i]!);
      if (position < 0) return null;
      ordered[i] = position;
    }
    return ordered;
  });
}

/** The reads the reader worker makes for indexes (each given its connection first). */
export const LIST_INDEX_READS = {
  listColumns: readListColumns,
  listOrder: readListOrder,
};
export type ListIndexRead = keyof typeof LIST_INDEX_READS;

/**
 * A filter as the walks test a record's word, inline: the categorical conditions as one mask
 * and the codes it must find; the age range as the keys it may have, those at an edge that
 * holds ages on both sides (a fraction) tested against the age itself; anything else (an id, a
 * set of ids) as a test of the record's position of its own.
 */
interface Compiled {
  /** Whether every record matches. */
  all: boolean;
  mask: number;
  want: number;
  ranged: boolean;
  /** Keys from `low` to `high` may match; at `low` (`high`) only if `lowExact` (`highExact`) says. */
  low: number;
  high: number;
  lowExact: boolean;
  highExact: boolean;
  min: number;
  max: number;
  other: ((at: number) => boolean) | null;
}

function compile(columns: ListColumns, filter: PatientFilter): Compiled {
  if (filter.admission) throw unresolvedCriteria();
  let mask = 0;
  let want = 0;
  let none = false;
  CATEGORICAL_FIELDS.forEach((field, f) => {
    const value = filter[field];
    if (value === undefined) return;
    const code = (CATEGORICAL_VALUES[field] as readonly unknown[]).indexOf(value);
    if (code < 0) none = true;
    mask |= ((1 << FIELD_BITS[f]!) - 1) << FIELD_SHIFTS[f]!;
    want |= code << FIELD_SHIFTS[f]!;
  });
  const { ids } = columns;
  const { q } = filter;
  const only = filter.ids && new Set(filter.ids);
  const other = none
    ? () => false
    : q !== undefined || only
    ? (at: number) => (q === undefined || ids[at] === q) && (!only || only.has(ids[at]!))
    : null;
  // An age that is not a number (NaN) is in no range, as in SQL (`list.ts`).
  const min = filter.age_min ?? -Infinity;
  const max = filter.age_max ?? Infinity;
  const ranged = filter.age_min !== undefined || filter.age_max !== undefined;
  // Keys are ordered as ages; an even key is one whole age, an odd one the ages between two.
  const low = min <= 0 ? 0 : ageKey(min);
  const high = max >= 127 ? AGE_ODD - 1 : ageKey(max);
  return {
    all: mask === 0 && !ranged && !other,
    mask,
    want,
    ranged,
    low,
    high,
    lowExact: min > 0 && low % 2 === 1,
    highExact: max < 127 && high % 2 === 1,
    min,
    max,
    other,
  };
}

/** Whether a record's age key is in the compiled range: `OUT`, `IN`, or `EXACT` (test the age). */
function ageRange(c: Compiled, word: number): number {
  const key = word >>> AGE_SHIFT;
  if (key === AGE_ODD || (key === c.low && c.lowExact) || (key === c.high && c.highExact)) {
    return EXACT;
  }
  return key >= c.low && key <= c.high ? IN : OUT;
}
const OUT = 0;
const IN = 1;
const EXACT = 2;

/** Whether the record at `at` passes the compiled filter, its word being `word`. */
function passes(c: Compiled, word: number, age: Float64Array, at: number): boolean {
  if ((word & c.mask) !== c.want) return false;
  if (c.ranged) {
    const range = ageRange(c, word);
    if (range === OUT) return false;
    if (range === EXACT && !(age[at]! >= c.min && age[at]! <= c.max)) return false;
  }
  return !c.other || c.other(at);
}

/** A sort's order: the records' positions, and their words in that order (read in turn). */
interface Order {
  positions: Int32Array;
  words: Int32Array;
}

/** One user's index: pages and totals of their lists, at one data version. */
export class ListIndex {
  readonly #orders = new Map<PatientField, Order>();
  readonly #unordered = new Set<PatientField>();
  readonly #totals = new Map<string, number>();

  constructor(readonly columns: ListColumns) {}

  get version(): number {
    return this.columns.version;
  }

  /** Whether a walk in `field`'s order can be made (the id's order is the columns' own). */
  hasOrder(field: PatientField): boolean {
    return field === "id" || this.#orders.has(field);
  }

  /** Keeps `field`'s order (the positions of the records in it); false if it does not fit. */
  addOrder(field: PatientField, positions: Int32Array): boolean {
    const { words } = this.columns;
    if (positions.length !== words.length) return false;
    const ordered = new Int32Array(positions.length);
    for (let i = 0; i < positions.length; i++) ordered[i] = words[positions[i]!]!;
    this.#orders.set(field, { positions, words: ordered });
    return true;
  }

  /** Notes that `field`'s order cannot be had at this version (SQL sorts by it). */
  noOrder(field: PatientField): void {
    this.#unordered.add(field);
  }

  lacksOrder(field: PatientField): boolean {
    return this.#unordered.has(field);
  }

  /**
   * The number of records that match, kept per filter. `tally`, when given, counts a filter of
   * categorical fields alone (from the tallies, in well under a millisecond, where a count here
   * tests every record: 5 ms for a million).
   */
  count(filter: PatientFilter, tally?: (filter: PatientFilter) => number): number {
    const key = JSON.stringify(filter);
    let total = this.#totals.get(key);
    const categorical = filter.age_min === undefined && filter.age_max === undefined &&
      filter.q === undefined && filter.ids === undefined && !filter.admission;
    if (total === undefined && tally && categorical) {
      if (this.#totals.size >= TOTALS_KEPT) this.#totals.clear();
      this.#totals.set(key, total = tally(filter));
    }
    if (total === undefined) {
      const c = compile(this.columns, filter);
      const { words, age } = this.columns;
      const n = words.length;
      let matched = c.all ? n : 0;
      for (let at = 0; at < n && !c.all; at++) if (passes(c, words[at]!, age, at)) matched++;
      if (this.#totals.size >= TOTALS_KEPT) this.#totals.clear();
      this.#totals.set(key, total = matched);
    }
    return total;
  }

  /** The ids of the page, in the list's order (the sort's order must be there: `hasOrder`). */
  page({ filter, sort, page, perPage }: PatientListQuery): number[] {
    const { ids, age } = this.columns;
    const n = ids.length;
    const order = sort.field === "id" ? null : this.#orders.get(sort.field)!;
    const positions = order?.positions ?? null;
    const words = order?.words ?? this.columns.words;
    const c = compile(this.columns, filter);
    const skip = (page - 1) * perPage;
    const out: number[] = [];
    const last = n - 1;
    const ascending = sort.direction === "asc";
    let matched = c.all ? skip : 0;
    // Every record matches: the page starts where it is.
    for (let i = c.all ? skip : 0; i < n && out.length < perPage; i++) {
      const k = ascending ? i : last - i;
      const word = words[k]!;
      // Most records fail on their word: the position is looked up only for the others.
      if ((word & c.mask) !== c.want) continue;
      if (c.ranged && ageRange(c, word) === OUT) continue;
      const at = positions ? positions[k]! : k;
      if (passes(c, word, age, at) && matched++ >= skip) out.push(ids[at]!);
    }
    return out;
  }
}

/**
 * Records kept, most recently listed (20,000 to 40,000 of all big users', about 800 bytes each
 * with their JSON): a list's first pages are asked for again and again, and reading a record
 * (its row by id, the record, its JSON) costs about 10 µs. Two generations, not a Map kept in
 * order of use: moving an entry to the end leaves a hole at the start, which every later
 * eviction walks over.
 */
const RECORDS_PER_GENERATION = 20_000;

/** Where indexes come from: the current data version, and reads made in the reader worker. */
export interface ListIndexSource {
  /** The user's data version now (read on the app's connection). */
  version(userId: number): number;
  columns(userId: number): Promise<ListColumns | null>;
  /** The positions of the records in `field`'s order. */
  order(
    userId: number,
    field: PatientField,
    version: number,
    ids: Int32Array,
  ): Promise<Int32Array | null>;
  /** Told when an index, or one of its orders, is ready. */
  built?: ((userId: number, part: "columns" | PatientField) => void) | undefined;
}

/**
 * The indexes of the big users recently listed. `of` answers only with an index of the user's
 * current data version; otherwise it has a new one built (once the data has been quiet for
 * `QUIET_MS`) and answers null, and the list is read through SQL meanwhile.
 */
export class ListIndexes {
  readonly #kept = new Map<number, ListIndex>();
  /** Builds under way, by user (one at a time each), settled when done. */
  readonly #building = new Map<number, Promise<void>>();
  /** Orders being read, by `user field`, settled when done. */
  readonly #ordering = new Map<string, Promise<void>>();
  /**
   * Per user: the last version seen, since when (ms), and whether an index of it cannot be made
   * (an id the original app stored as text): only SQL lists that version.
   */
  readonly #seen = new Map<number, { version: number; since: number; unbuildable?: true }>();
  /** Records listed, by user and id, with their data version (records never change once read). */
  #records = new Map<number, [version: number, record: PatientRecord]>();
  #olderRecords = new Map<number, [version: number, record: PatientRecord]>();

  constructor(
    private readonly source: ListIndexSource,
    private readonly quietMs = QUIET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The user's index at their current data version, with `field`'s order, or null (one is then
   * being built, or will be once the data has stood still).
   */
  of(userId: number, field: PatientField): ListIndex | null {
    const version = this.source.version(userId);
    const seen = this.#seen.get(userId);
    if (!seen) {
      // First seen: however long it has stood still, it can be built now.
      this.#seen.set(userId, { version, since: -Infinity });
      if (this.#seen.size > INDEXES_KEPT * 4) this.#seen.delete(this.#seen.keys().next().value!);
    } else if (seen.version !== version) this.#seen.set(userId, { version, since: this.now() });
    const index = this.#kept.get(userId);
    if (index && index.version === version) {
      this.#kept.delete(userId); // most recently used last
      this.#kept.set(userId, index);
      if (index.hasOrder(field)) return index;
      if (!index.lacksOrder(field)) this.#readOrder(index, field);
      return null;
    }
    if (index) this.#kept.delete(userId);
    this.#build(userId);
    return null;
  }

  /**
   * Settles when the build of the user's index, or of its order by `field`, that is under way
   * is done; null when none is.
   */
  pending(userId: number, field: PatientField): Promise<void> | null {
    return this.#building.get(userId) ?? this.#ordering.get(`${userId} ${field}`) ?? null;
  }

  /** Forgets every index (closing the store). */
  clear(): void {
    this.#kept.clear();
    this.#seen.clear();
    this.#records.clear();
    this.#olderRecords.clear();
  }

  /**
   * The records of `ids` at `index`'s version (the current one: see `of`), those not kept read
   * with `read` (by id, in any order).
   */
  records(
    index: ListIndex,
    ids: readonly number[],
    read: (ids: number[]) => PatientRecord[],
  ): PatientRecord[] {
    const { userId, version } = index.columns;
    // Ids are below 2^31, users far below 2^21: the key is an exact double.
    const key = (id: number) => userId * 2 ** 31 + id;
    const found = new Map<number, PatientRecord>();
    const missing: number[] = [];
    for (const id of ids) {
      const kept = this.#records.get(key(id)) ?? this.#olderRecords.get(key(id));
      if (kept && kept[0] === version) found.set(id, kept[1]);
      else missing.push(id);
    }
    for (const record of missing.length ? read(missing) : []) found.set(record.id, record);
    const out: PatientRecord[] = [];
    for (const id of ids) {
      const record = found.get(id);
      if (!record) continue;
      out.push(record);
      if (this.#records.get(key(id))?.[0] === version) continue;
      if (this.#records.size >= RECORDS_PER_GENERATION) {
        this.#olderRecords = this.#records;
        this.#records = new Map();
      }
      this.#records.set(key(id), [version, record]);
    }
    return out;
  }

  #build(userId: number): void {
    const seen = this.#seen.get(userId)!;
    if (this.#building.has(userId) || seen.unbuildable) return;
    if (this.now() - seen.since < this.quietMs) return;
    this.#building.set(
      userId,
      this.source.columns(userId).then((columns) => {
        if (!columns) {
          if (this.#seen.get(userId) === seen) seen.unbuildable = true;
          return;
        }
        // Kept only if nothing has changed since it was read.
        if (columns.version !== this.source.version(userId)) return;
        this.#kept.set(userId, new ListIndex(columns));
        if (this.#kept.size > INDEXES_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
        this.source.built?.(userId, "columns");
      }).catch(() => {
        // The reader failed (an outage, the store closed): lists go on through SQL, and the
        // next build waits as after a write.
        if (this.#seen.get(userId) === seen) seen.since = this.now();
      }).finally(() => this.#building.delete(userId)),
    );
  }

  #readOrder(index: ListIndex, field: PatientField): void {
    const key = `${index.columns.userId} ${field}`;
    if (this.#ordering.has(key)) return;
    const { userId, ids } = index.columns;
    this.#ordering.set(
      key,
      this.source.order(userId, field, index.version, ids).then((order) => {
        if (order && index.addOrder(field, order)) this.source.built?.(userId, field);
        // Else the data has changed since (a new index will be built), or the order could not
        // be read: this index is never asked for it again, and SQL sorts by that field.
        else index.noOrder(field);
      }).catch(() => index.noOrder(field)).finally(() => this.#ordering.delete(key)),
    );
  }
}
