/**
 * The embedded store's list and count, planned by the app rather than left to SQLite's guess.
 *
 * Every field has an index `(user_id, field, id)` and `patient_tallies` keeps, per user, how many
 * records have each categorical value, each combination of them and each whole year of age,
 * updated by triggers. A page
 * is then read one of two ways, whichever visits fewer rows:
 *
 * - walk the sort field's index in order, skipping rows the filter rejects, until the page is
 *   full: about `(offset + limit) × all / matching` rows (ties go by id in the same direction,
 *   so the index serves both directions without a sort);
 * - read the rows of the most selective filter condition through its index and sort only those.
 *
 * Totals are exact: categorical conditions (any number) are summed from the tallies; with an age
 * range or an id the records are counted, through one covering index of the filterable fields.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { statementCache } from "../../sqlite.ts";
import { keysetBatches } from "../batches.ts";
import { CATEGORICAL_FIELDS, type PatientRecord } from "../../../lib/patient_fields.ts";
import type { PatientFilter, PatientListQuery, PatientSort } from "../../../lib/patient_query.ts";
import { unresolvedCriteria } from "../../../lib/admission_filter.ts";
import { categoricalFilters } from "../rows.ts";
import {
  AGE_YEARS,
  ALL,
  COMBINATION,
  fieldIndex,
  FILTER_INDEX,
  type PatientsTable,
  ROW_COLUMNS,
  toRecord,
} from "./schema.ts";

/**
 * One condition of a filter on a column; `in` takes a JSON array of numbers (one parameter,
 * however many: read with `json_each`).
 */
export type Condition = [column: string, op: "=" | ">=" | "<=" | "in", value: string | number];

/** The conditions a filter puts on a user's records, in a canonical order (user first). */
export function conditionsOfFilter(userId: number, filter: PatientFilter): Condition[] {
  if (filter.admission) throw unresolvedCriteria();
  const out: Condition[] = [["user_id", "=", userId]];
  for (const [field, value] of categoricalFilters(filter)) out.push([field, "=", value]);
  if (filter.q !== undefined) out.push(["id", "=", filter.q]);
  if (filter.ids !== undefined) out.push(["id", "in", JSON.stringify(filter.ids)]);
  if (filter.age_min !== undefined) out.push(["age", ">=", filter.age_min]);
  // SQLite sorts text after every number: a bound above keeps out an age the original app
  // stored as text that cannot be read (a text age is in no range).
  const max = filter.age_max ?? (filter.age_min !== undefined ? Number.MAX_VALUE : undefined);
  if (max !== undefined) out.push(["age", "<=", max]);
  return out;
}

/** The filter as a WHERE clause and its parameters. */
export function whereOf(userId: number, filter: PatientFilter): {
  sql: string;
  params: SQLInputValue[];
} {
  const conditions = conditionsOfFilter(userId, filter);
  return {
    sql: conditions.map(([column, op]) =>
      op === "in" ? `${column} IN (SELECT value FROM json_each(?))` : `${column} ${op} ?`
    ).join(" AND "),
    params: conditions.map(([, , value]) => value),
  };
}

/** `ORDER BY` of a list or export: the field, ties by id in the same direction. */
export function orderByOf(sort: PatientSort): string {
  const direction = sort.direction === "asc" ? "ASC" : "DESC";
  return sort.field === "id" ? `id ${direction}` : `${sort.field} ${direction}, id ${direction}`;
}

const COLUMNS = ROW_COLUMNS.join(", ");

export interface SqliteLister {
  /** One page of records and the exact number matching. */
  list(userId: number, query: PatientListQuery, total: number): PatientRecord[];
  /** All of the user's records, by id. */
  all(userId: number): PatientRecord[];
  /** The user's records of `ids`, in that order (an id they do not have is left out). */
  byIds(userId: number, ids: readonly number[]): PatientRecord[];
  /** The exact number of the user's records that match. */
  count(userId: number, filter: PatientFilter): number;
  /** How the page would be read first (for tests and the README). */
  plan(userId: number, query: PatientListQuery, total: number): Plan;
}

/** A page read through `index`; a walk is `cap`ped at so many rows, before the other conditions. */
export interface Plan {
  index: string;
  cap: number | null;
  /** The walk's index answers the whole filter (no condition but on the sort field). */
  covered?: boolean;
  /** The condition the capped walk applies itself (on the sort field). */
  onSort?: string | null;
}

/** The filter split into the condition on `field` (age for the age range) and the rest. */
function splitFilter(filter: PatientFilter, field: string | null): [PatientFilter, PatientFilter] {
  const walked: PatientFilter = {};
  const rest: PatientFilter = { ...filter };
  if (field === "age") {
    for (const key of ["age_min", "age_max"] as const) {
      if (filter[key] !== undefined) walked[key] = filter[key];
      delete rest[key];
    }
  } else if (field !== null) {
    Object.assign(walked, { [field]: (filter as Record<string, unknown>)[field] });
    delete (rest as Record<string, unknown>)[field];
  }
  return [walked, rest];
}

export function sqliteLister(database: DatabaseSync): SqliteLister {
  /** Prepared statements by their SQL: a list's shapes are few, so parsing happens once each. */
  const prepare = statementCache(database);

  const tally = (userId: number, field: string, value: string | number): number => {
    const row = prepare(
      "SELECT n FROM patient_tallies WHERE user_id = ? AND field = ? AND value = ?",
    ).get(userId, field, String(value)) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  };

  const ageYears = (userId: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const row = prepare(
      `SELECT COALESCE(SUM(n), 0) AS n FROM patient_tallies
       WHERE user_id = ? AND field = '${AGE_YEARS}' AND CAST(value AS INTEGER) BETWEEN ? AND ?`,
    ).get(userId, Math.floor(min), Math.floor(max)) as { n: number };
    return Number(row.n);
  };

  /** The filter's conditions (the age range as one) and about how many rows each has. */
  function conditionsOf(userId: number, filter: PatientFilter): [string, number][] {
    const conditions: [string, number][] = categoricalFilters(filter).map((
      [field, value],
    ) => [field, tally(userId, field, value)]);
    if (filter.age_min !== undefined || filter.age_max !== undefined) {
      conditions.push(["age", ageYears(userId, filter.age_min, filter.age_max)]);
    }
    return conditions;
  }

  /** The filter's condition with the fewest rows (a walk that fell short has some). */
  function narrowestOf(userId: number, filter: PatientFilter): [string, number] {
    return conditionsOf(userId, filter).reduce((a, b) => (b[1] < a[1] ? b : a));
  }

  function count(userId: number, filter: PatientFilter): number {
    if (filter.admission) throw unresolvedCriteria();
    const conditions = categoricalFilters(filter);
    // An id or a set of ids is counted from the records, as an age range is.
    const ranged = filter.age_min !== undefined || filter.age_max !== undefined ||
      filter.ids !== undefined;
    if (filter.q === undefined && !ranged) {
      if (conditions.length === 0) return tally(userId, ALL, ALL);
      if (conditions.length === 1) return tally(userId, ...conditions[0]!);
    }
    if (filter.q === undefined && !ranged) {
      // Several conditions: the tallies of the combinations that meet them all.
      const pattern = CATEGORICAL_FIELDS.map((f) => filter[f] ?? "*").join("|");
      const row = prepare(
        `SELECT COALESCE(SUM(n), 0) AS n FROM patient_tallies
         WHERE user_id = ? AND field = '${COMBINATION}' AND value GLOB ?`,
      ).get(userId, pattern) as { n: number };
      return Number(row.n);
    }
    const where = whereOf(userId, filter);
    const row = prepare(
      `SELECT count(*) AS n FROM patients INDEXED BY ${FILTER_INDEX} WHERE ${where.sql}`,
    )
      .get(...where.params) as { n: number };
    return Number(row.n);
  }

  /**
   * How to read a page. Walking the sort index is capped at a few times the rows it should need
   * (filters can correlate with the order: children are at the end of an age sort), and a walk
   * that comes back short is done again the other way.
   */
  function planOf(userId: number, query: PatientListQuery, total: number): Plan {
    const { filter, sort, page, perPage } = query;
    const walkIndex = fieldIndex(sort.field);
    if (filter.admission) throw unresolvedCriteria();
    // An id, or a set of them (an admission filter's): read those rows by id and sort them.
    if (filter.q !== undefined || filter.ids !== undefined) {
      return { index: fieldIndex("id"), cap: null };
    }
    const all = tally(userId, ALL, ALL);
    const wanted = Math.min(total, page * perPage);
    const conditions = conditionsOf(userId, filter);
    // A condition on the sort field narrows the walk to its own rows.
    const onSort = conditions.find(([field]) => field === sort.field);
    const others = conditions.filter((c) => c !== onSort);
    if (others.length === 0) return { index: walkIndex, cap: null, covered: true };
    const walkRows = wanted * (onSort?.[1] ?? all) / Math.max(total, 1);
    const [narrowest, rows] = others.reduce((a, b) => (b[1] < a[1] ? b : a));
    // Reading one condition's rows and sorting them costs a little more per row than a walk.
    if (rows * (1 + Math.log2(rows + 1) / 20) <= walkRows) {
      return { index: fieldIndex(narrowest), cap: null };
    }
    return { index: walkIndex, cap: Math.ceil(walkRows * 4) + 2_000, onSort: onSort?.[0] ?? null };
  }

  /** The page's SQL: one query, or a capped walk filtered outside. */
  function sqlOf(userId: number, query: PatientListQuery, plan: Plan) {
    const order = orderByOf(query.sort);
    if (plan.covered) {
      // The walk's own index answers the filter: skip through it alone (no row is read for the
      // rows skipped, which makes page 10,000 cheap), then fetch the page's rows by id.
      const where = whereOf(userId, query.filter);
      return {
        sql: `SELECT ${COLUMNS} FROM patients INDEXED BY ${
          fieldIndex("id")
        } WHERE user_id = ? AND id IN (
            SELECT id FROM patients INDEXED BY ${plan.index} WHERE ${where.sql}
            ORDER BY ${order} LIMIT ? OFFSET ?
          ) ORDER BY ${order}`,
        params: [userId, ...where.params],
      };
    }
    if (plan.cap === null) {
      const where = whereOf(userId, query.filter);
      return {
        sql: `SELECT ${COLUMNS} FROM patients INDEXED BY ${plan.index} WHERE ${where.sql}
          ORDER BY ${order} LIMIT ? OFFSET ?`,
        params: where.params,
      };
    }
    const [walked, rest] = splitFilter(query.filter, plan.onSort ?? null);
    const inner = whereOf(userId, walked);
    const outer = whereOf(userId, rest);
    return {
      sql: `SELECT ${COLUMNS} FROM (
          SELECT ${COLUMNS} FROM patients INDEXED BY ${plan.index} WHERE ${inner.sql}
          ORDER BY ${order} LIMIT ?
        ) WHERE ${outer.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      params: [...inner.params, plan.cap, ...outer.params],
    };
  }

  function read(userId: number, query: PatientListQuery, plan: Plan): PatientsTable[] {
    const { sql, params } = sqlOf(userId, query, plan);
    const offset = (query.page - 1) * query.perPage;
    return prepare(sql).all(...params, query.perPage, offset) as unknown as PatientsTable[];
  }

  return {
    count,
    all(userId) {
      const rows = prepare(`SELECT ${COLUMNS} FROM patients WHERE user_id = ? ORDER BY id`)
        .all(userId) as unknown as PatientsTable[];
      return rows.map(toRecord);
    },
    byIds(userId, ids) {
      if (ids.length === 0) return [];
      const rows = prepare(
        `SELECT ${COLUMNS} FROM patients WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))`,
      ).all(userId, JSON.stringify(ids)) as unknown as PatientsTable[];
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      return ids.flatMap((id) => {
        const row = byId.get(id);
        return row ? [toRecord(row)] : [];
      });
    },
    list(userId, query, total) {
      const offset = (query.page - 1) * query.perPage;
      if (total === 0 || offset >= total) return [];
      const plan = planOf(userId, query, total);
      const full = Math.min(query.perPage, total - offset);
      let rows = read(userId, query, plan);
      if (plan.cap !== null && rows.length < full) {
        // The walk ran out before the page filled (the filter correlates with the order): walk
        // sixteen times further while that is still cheaper than the narrowest condition's rows,
        // else read those.
        const narrowest = narrowestOf(userId, query.filter);
        if (plan.cap * 16 < narrowest[1]) {
          rows = read(userId, query, { ...plan, cap: plan.cap * 16 });
        }
        if (rows.length < full) {
          rows = read(userId, query, { index: fieldIndex(narrowest[0]), cap: null });
        }
      }
      return rows.map(toRecord);
    },
    plan: planOf,
  };
}

/**
 * Rows read per query of a stream: enough to make each query cheap, few enough to be small. A
 * batch is alive at nearly every collection of V8's young generation; 500 rows of it (300 KB)
 * surviving each one made V8 grow its semi-spaces to their most (32 MB); with 100, a CSV export
 * of a million rows in process kept them at 16 MB.
 */
const STREAM_BATCH = 100;

/**
 * The rows of the user's records that match `filter`, in `sort`'s order, in batches: each batch
 * one query walking the sort field's index from after the last row read (its sort value and
 * id — nulls first ascending, last descending, as SQLite orders them), rows handed over as
 * arrays. Reading a million rows this
 * way takes a second and little memory; one statement stepped row by row, 3.5 s and a V8 object
 * per row of sixteen properties.
 */
export async function* streamBatches(
  database: DatabaseSync,
  userId: number,
  filter: PatientFilter,
  sort: PatientSort,
): AsyncIterable<PatientsTable[]> {
  const where = whereOf(userId, filter);
  const order = orderByOf(sort);
  const byId = sort.field === "id";
  const after = sort.direction === "asc" ? ">" : "<";
  // Prepared once each (of this stream's own: they hand rows over as arrays): a statement holds
  // native memory until V8 collects its object, which a long export's thousands of them would
  // leave piling up.
  const prepare = statementCache(database);
  const read = (condition: string, params: SQLInputValue[]) => {
    const statement = prepare(
      `SELECT ${COLUMNS} FROM patients INDEXED BY ${fieldIndex(sort.field)}
       WHERE ${where.sql} AND (${condition}) ORDER BY ${order} LIMIT ${STREAM_BATCH}`,
    );
    // Rows as arrays, not objects (a method some of node:sqlite's type declarations lack).
    (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
    return (statement.all(...where.params, ...params) as unknown as unknown[][]).map((values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < ROW_COLUMNS.length; i++) row[ROW_COLUMNS[i]!] = values[i];
      return row as unknown as PatientsTable;
    });
  };
  const field = sort.field;
  const id = (row: PatientsTable) => row.id as SQLInputValue;
  // Walks of one stretch of the order each, from after the last row read: by id; or, for a
  // field, the records without a value (first ascending, last descending) and those with one.
  const stretches: {
    first: string;
    next: string;
    from: (row: PatientsTable) => SQLInputValue[];
  }[] = byId ? [{ first: "1", next: `id ${after} ?`, from: (row) => [id(row)] }] : [];
  if (!byId) {
    const nulls = {
      first: `${field} IS NULL`,
      next: `${field} IS NULL AND id ${after} ?`,
      from: (row: PatientsTable) => [id(row)],
    };
    const values = {
      first: `${field} IS NOT NULL`,
      next: `${field} IS NOT NULL AND (${field}, id) ${after} (?, ?)`,
      from: (row: PatientsTable) => [row[field as keyof PatientsTable] as SQLInputValue, id(row)],
    };
    stretches.push(...(sort.direction === "asc" ? [nulls, values] : [values, nulls]));
  }
  for (const stretch of stretches) {
    yield* keysetBatches<PatientsTable>(
      STREAM_BATCH,
      (last) => last ? read(stretch.next, stretch.from(last)) : read(stretch.first, []),
    );
  }
}
