/** The embedded patient store: a SQLite file in DATA_DIR that behaves like the MongoDB store. */
import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { join } from "node:path";
import { PATIENT_FIELDS, type PatientFields, type PatientRecord } from "../lib/patient_fields.ts";
import { PatientNotFoundError, StaleRevisionError, StoreUnavailableError } from "../lib/errors.ts";
import { migrate } from "./migrate.ts";
import { onceSucceeded } from "./once.ts";
import {
  changeableFields,
  freeIdAfter,
  insertWithFreeId,
  newRevision,
  newRow,
} from "./patient_rows.ts";
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";
import type {
  MeasuredField,
  PatientPage,
  PatientStore,
  RangeCounts,
  RangeLimit,
} from "../lib/patient_store.ts";
import { ReadCache } from "./read_cache.ts";
import { conditionsOfFilter, orderByOf, sqliteLister, whereOf } from "./patient_sqlite_list.ts";
import { Snapshots } from "./patient_snapshot.ts";
import type { SQLInputValue, StatementSync } from "node:sqlite";
import { sqliteAuditLog } from "./audit_sqlite.ts";
import { sqliteDeletedRecords } from "./deleted_sqlite.ts";
import {
  ADD_TO_TALLY,
  DROP_TALLY_TRIGGERS,
  migrations,
  type PatientsTable,
  ROW_COLUMNS,
  type Schema,
  tallyKeysOf,
  tallyTriggers,
  toRecord,
} from "./patient_sqlite_schema.ts";
import {
  inTransaction as transaction,
  isSqliteUniqueViolation,
  kyselyOver,
  openSqliteDatabase,
} from "./sqlite.ts";

type Row = PatientsTable;

/** From this many rows on, an insert adds up the tallies itself instead of a trigger per row. */
const BULK_TALLY_ROWS = 500;

const CHANGEABLE_COLUMNS = PATIENT_FIELDS.filter((f) => f !== "id");

/** A value as SQLite stores it. */
function sqlValue(value: unknown): SQLInputValue {
  return value === undefined ? null : value as SQLInputValue;
}

function where<O>(
  query: SelectQueryBuilder<Schema, "patients", O>,
  userId: number,
  filter: PatientFilter,
): SelectQueryBuilder<Schema, "patients", O> {
  let q = query;
  for (const [column, op, value] of conditionsOfFilter(userId, filter)) {
    q = q.where(column as keyof PatientsTable, op, value as never);
  }
  return q;
}

/** The fields that make two records possible duplicates: all but the id. */
const DUPLICATE_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");

/** Range counts in one query: a conditional sum per cut (and for nulls), records and strokes. */
async function countRangesIn(
  handle: Kysely<Schema>,
  userId: number,
  filter: PatientFilter,
  field: MeasuredField,
  cuts: readonly number[],
): Promise<RangeCounts> {
  const column = sql.ref(field);
  const sums = (condition: ReturnType<typeof sql>, name: string) => [
    sql<number>`COALESCE(SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END), 0)`.as(`t_${name}`),
    sql<number>`COALESCE(SUM(CASE WHEN ${condition} THEN stroke ELSE 0 END), 0)`.as(`s_${name}`),
  ];
  const row = await where(
    handle.selectFrom("patients").select([
      ...cuts.flatMap((cut, i) => sums(sql`${column} < ${cut}`, String(i))),
      ...sums(sql`${column} IS NULL`, "null"),
    ]),
    userId,
    filter,
  ).executeTakeFirstOrThrow() as Record<string, number>;
  const tally = (name: string) => ({
    total: Number(row[`t_${name}`]),
    stroke: Number(row[`s_${name}`]),
  });
  return { below: cuts.map((_, i) => tally(String(i))), missing: tally("null") };
}

/** Possible duplicates in one query: the ids of each group of equal records. */
async function duplicateGroupsIn(
  handle: Kysely<Schema>,
  userId: number,
  filter: PatientFilter,
): Promise<number[][]> {
  const rows = await where(
    handle.selectFrom("patients").select(sql<string>`group_concat(id)`.as("ids")),
    userId,
    filter,
  ).groupBy([...DUPLICATE_FIELDS]).having((eb) => eb.fn.countAll(), ">", 1).execute();
  return rows.map((row) => row.ids.split(",").map(Number).sort((a, b) => a - b))
    .sort((a, b) => a[0]! - b[0]!);
}

/** Records with a value above one of the limits, by id. */
async function findAboveIn(
  handle: Kysely<Schema>,
  userId: number,
  filter: PatientFilter,
  limits: readonly RangeLimit[],
  limit: number,
): Promise<PatientRecord[]> {
  if (limits.length === 0 || limit < 1) return [];
  const rows = await where(handle.selectFrom("patients").selectAll(), userId, filter)
    .where((eb) => eb.or(limits.map(({ field, above }) => eb(field, ">", above))))
    .orderBy("id").limit(limit).execute();
  return rows.map(toRecord);
}

/** Opens (creating when needed) `patients.db` in `dataDir`; `":memory:"` as dataDir for a throw-away store. */
export function openSqlitePatientStore(
  dataDir: string,
  options: { snapshotMaxRows?: number } = {},
): PatientStore {
  const path = dataDir === ":memory:" ? ":memory:" : join(dataDir, "patients.db");
  if (path !== ":memory:") Deno.mkdirSync(dataDir, { recursive: true });
  const database = openSqliteDatabase(path);
  const kysely = kyselyOver<Schema>(database);
  const dataVersion = database.prepare("PRAGMA data_version");
  // Lists and counts are served from memory until the data changes (here or in another process).
  const dataVersionNow = () => Number((dataVersion.get() as { data_version: number }).data_version);
  const cache = new ReadCache(dataVersionNow);
  /** A write: whatever it did, cached reads are forgotten. */
  const write = <T>(work: Promise<T>): Promise<T> =>
    work.finally(() => {
      cache.clear();
      totals.clear();
      snapshots.clear();
    });
  const prepared = onceSucceeded(() => migrate(kysely, migrations));
  const db = async () => {
    try {
      await prepared();
    } catch (error) {
      throw new StoreUnavailableError("patients", { cause: error });
    }
    return kysely;
  };

  /** Bulk writes: prepared once (after the migration), run in one synchronous transaction. */
  let statements: { insert: StatementSync; update: StatementSync } | null = null;
  const bulkStatements = () =>
    statements ??= {
      insert: database.prepare(
        `INSERT INTO patients (${ROW_COLUMNS.join(", ")}) VALUES (${
          ROW_COLUMNS.map(() => "?").join(", ")
        }) ON CONFLICT DO NOTHING`,
      ),
      update: database.prepare(
        `UPDATE patients SET ${
          CHANGEABLE_COLUMNS.map((c) => `${c} = ?`).join(", ")
        }, updated_at = ?, revision = ? WHERE user_id = ? AND id = ? AND NOT (${
          CHANGEABLE_COLUMNS.map((c) => `${c} IS ?`).join(" AND ")
        })`,
      ),
    };
  const inTransaction = (work: () => void) => transaction(database, work);

  const select = (handle: Kysely<Schema>, userId: number, id: number) =>
    handle.selectFrom("patients").selectAll().where("user_id", "=", userId).where("id", "=", id)
      .executeTakeFirst();

  /** After a write matched nothing: was the record gone, or had it changed? */
  async function missOrStale(handle: Kysely<Schema>, userId: number, id: number): Promise<never> {
    if (await select(handle, userId, id)) throw new StaleRevisionError(id);
    throw new PatientNotFoundError(id);
  }

  async function update(
    userId: number,
    id: number,
    changes: Partial<Omit<PatientFields, "id">>,
    revision?: string,
    next = newRevision(),
  ): Promise<PatientRecord> {
    const handle = await db();
    let query = handle.updateTable("patients")
      .set({
        ...changeableFields(changes),
        updated_at: new Date().toISOString(),
        revision: next,
      })
      .where("user_id", "=", userId).where("id", "=", id);
    if (revision !== undefined) query = query.where("revision", "=", revision);
    const row = await query.returningAll().executeTakeFirst();
    return row ? toRecord(row) : missOrStale(handle, userId, id);
  }

  async function nextId(handle: Kysely<Schema>, userId: number): Promise<number> {
    const row = await handle.selectFrom("patients").select((eb) => eb.fn.max("id").as("max"))
      .where("user_id", "=", userId).executeTakeFirst();
    return await freeIdAfter(Number(row?.max ?? 0), async function* () {
      const rows = handle.selectFrom("patients").select("id").where("user_id", "=", userId)
        .orderBy("id").stream();
      for await (const { id } of rows) yield Number(id);
    });
  }

  const lister = sqliteLister(database);
  /** Totals by filter: small, asked for again by every page of the same filter. */
  const totals = new ReadCache(dataVersionNow, 4096);

  // Users with a few thousand records are listed from memory; bigger ones through SQL.
  const snapshots = new Snapshots({
    dataVersion: dataVersionNow,
    size: (userId) => lister.count(userId, {}),
    all: (userId) => lister.all(userId),
  }, options.snapshotMaxRows);

  /** The exact total through SQL (tallies or a count), kept until the data changes. */
  const sqlTotal = (userId: number, filter: PatientFilter): Promise<number> =>
    totals.get(
      `${userId} ${JSON.stringify(filter)}`,
      () => Promise.resolve(lister.count(userId, filter)),
    );

  async function countNow(userId: number, filter: PatientFilter): Promise<number> {
    await db();
    return snapshots.of(userId)?.count(filter) ?? await sqlTotal(userId, filter);
  }

  async function listNow(userId: number, query: PatientListQuery): Promise<PatientPage> {
    await db();
    const snapshot = snapshots.of(userId);
    if (snapshot) return { items: snapshot.list(query), total: snapshot.count(query.filter) };
    const total = await sqlTotal(userId, query.filter);
    return { items: lister.list(userId, query, total), total };
  }

  const store: PatientStore = {
    description: `embedded store at ${path}`,
    audit: sqliteAuditLog(database, kysely, db),
    ...sqliteDeletedRecords(database, db),

    async create(userId, patient, next) {
      const handle = await db();
      return await insertWithFreeId(patient, () => nextId(handle, userId), async (id) => {
        const row: Row = newRow(userId, patient, id, new Date().toISOString(), next);
        await handle.insertInto("patients").values(row).execute();
        return toRecord(row);
      }, isSqliteUniqueViolation);
    },

    async insertMany(userId, patients) {
      await db();
      const now = new Date().toISOString();
      const duplicateIds: number[] = [];
      let inserted = 0;
      const insert = bulkStatements().insert;
      // Many rows: the tallies are added up here and written once, not adjusted row by row.
      const bulk = patients.length >= BULK_TALLY_ROWS;
      const added = new Map<string, [string, string, number]>();
      inTransaction(() => {
        if (bulk) { for (const statement of DROP_TALLY_TRIGGERS) database.exec(statement); }
        for (const patient of patients) {
          const row = newRow(userId, patient, patient.id, now);
          const result = insert.run(...ROW_COLUMNS.map((column) => sqlValue(row[column])));
          if (Number(result.changes) !== 1) {
            duplicateIds.push(patient.id);
            continue;
          }
          inserted++;
          if (!bulk) continue;
          for (const [field, value] of tallyKeysOf(row as unknown as Row)) {
            const key = `${field}\u0000${value}`;
            const entry = added.get(key);
            if (entry) entry[2]++;
            else added.set(key, [field, value, 1]);
          }
        }
        if (bulk) {
          const add = database.prepare(ADD_TO_TALLY);
          for (const [field, value, n] of added.values()) add.run(userId, field, value, n);
          for (const statement of tallyTriggers()) database.exec(statement);
        }
      });
      return { inserted, duplicateIds };
    },

    async getMany(userId, ids) {
      const handle = await db();
      const out: PatientRecord[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await handle.selectFrom("patients").selectAll().where("user_id", "=", userId)
          .where("id", "in", ids.slice(i, i + 500)).execute();
        out.push(...rows.map(toRecord));
      }
      return out;
    },

    async updateMany(userId, patients) {
      await db();
      const now = new Date().toISOString();
      const update = bulkStatements().update;
      let changed = 0;
      inTransaction(() => {
        for (const patient of patients) {
          const values = CHANGEABLE_COLUMNS.map((column) => sqlValue(patient[column]));
          const result = update.run(...values, now, newRevision(), userId, patient.id, ...values);
          changed += Number(result.changes);
        }
      });
      return changed;
    },

    async existingIds(userId, ids) {
      const handle = await db();
      const found = new Set<number>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await handle.selectFrom("patients").select("id").where("user_id", "=", userId)
          .where("id", "in", ids.slice(i, i + 500)).execute();
        for (const row of rows) found.add(Number(row.id));
      }
      return found;
    },

    async *stream(userId, filter, sort) {
      await db();
      const where = whereOf(userId, filter);
      const rows = database.prepare(
        `SELECT ${ROW_COLUMNS.join(", ")} FROM patients WHERE ${where.sql} ORDER BY ${
          orderByOf(sort)
        }`,
      ).iterate(...where.params);
      for (const row of rows) yield toRecord(row as unknown as Row);
    },

    async *streamIds(userId, filter) {
      const handle = await db();
      const query = where(handle.selectFrom("patients").select("id"), userId, filter).orderBy("id");
      for await (const row of query.stream()) yield Number(row.id);
    },

    async countGroups(userId, filter, by) {
      const handle = await db();
      const rows = await where(
        handle.selectFrom("patients").select((eb) => [
          ...by.map((field) => eb.ref(field).as(field)),
          eb.fn.countAll<number>().as("total"),
          eb.fn.sum<number>("stroke").as("stroke"),
        ]),
        userId,
        filter,
      ).groupBy([...by]).execute();
      return rows.map((row) => {
        const values = row as unknown as Record<string, string | number | null>;
        return {
          values: by.map((field) => values[field] ?? null),
          total: Number(row.total),
          stroke: Number(row.stroke),
        };
      });
    },

    countRanges: async (userId, filter, field, cuts) =>
      countRangesIn(await db(), userId, filter, field, cuts),
    duplicateGroups: async (userId, filter) => duplicateGroupsIn(await db(), userId, filter),
    findAbove: async (userId, filter, limits, limit) =>
      findAboveIn(await db(), userId, filter, limits, limit),

    async get(userId, id) {
      const row = await select(await db(), userId, id);
      return row ? toRecord(row) : null;
    },

    list(userId, query) {
      return cache.get(`list ${userId} ${JSON.stringify(query)}`, () => listNow(userId, query));
    },

    count: (userId, filter = {}) => countNow(userId, filter),

    replace: (userId, id, fields, revision, next) => update(userId, id, fields, revision, next),
    patch: (userId, id, changes, revision, next) => update(userId, id, changes, revision, next),

    async countsByOwner() {
      const rows = await (await db()).selectFrom("patients")
        .select((eb) => ["user_id", eb.fn.countAll<number>().as("n")]).groupBy("user_id")
        .execute();
      return new Map(rows.map((row) => [Number(row.user_id), Number(row.n)]));
    },

    async deleteAllOf(userId) {
      const handle = await db();
      await handle.deleteFrom("deleted_patients").where("user_id", "=", userId).execute();
      const result = await handle.deleteFrom("patients").where("user_id", "=", userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async ping() {
      await (await db()).selectFrom("patients").select("id").limit(1).execute();
    },

    close: () => kysely.destroy(),
  };
  for (
    const name of [
      "create",
      "insertMany",
      "updateMany",
      "replace",
      "patch",
      "delete",
      "restore",
      "purge",
      "deleteAllOf",
    ] as const
  ) {
    const original = store[name] as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      write(original.apply(store, args));
  }
  return store;
}
