/** The embedded patient store: a SQLite file in DATA_DIR that behaves like the MongoDB store. */
import { type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { join } from "node:path";
import {
  MAX_PATIENT_ID,
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  type PatientRecord,
  ruleOf,
} from "../../../lib/patient_fields.ts";
import {
  PatientNotFoundError,
  StaleRevisionError,
  StoreUnavailableError,
} from "../../../lib/errors.ts";
import { migrate } from "../../migrate.ts";
import { patientMigrations } from "../../migrations/patients/index.ts";
import { onceSucceeded } from "../../once.ts";
import {
  changeableFields,
  foldGroups,
  freeIdAfter,
  highestOf,
  insertWithFreeId,
  newRevision,
  newRow,
  withOtherValues,
} from "../rows.ts";
import { appShape, isContentRevision } from "../../../lib/stored_patient.ts";
import type { PatientFilter, PatientListQuery } from "../../../lib/patient_query.ts";
import {
  type GroupCount,
  type InsertManyResult,
  type MeasuredField,
  type PatientPage,
  type PatientStore,
  type RangeCounts,
  type RangeLimit,
  type StoreWrite,
} from "../../../lib/patient_store.ts";
import { ReadCache } from "../../read_cache.ts";
import { SqliteReader } from "./reader.ts";
import { conditionsOfFilter, sqliteLister, streamBatches } from "./list.ts";
import { Snapshots } from "./snapshot.ts";
import {
  LIST_INDEX_MIN_ROWS,
  LIST_INDEX_READS,
  type ListColumns,
  ListIndexes,
  readVersion,
} from "./list_index.ts";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { sqliteAuditLog } from "./audit.ts";
import { insertPatients, sqlValue } from "./bulk_writes.ts";
import { sqliteDeletedRecords } from "./deleted.ts";
import { BULK_WAL_PAGES, BulkCheckpoints } from "./wal_checkpoints.ts";
import { sqliteAdmissionStore } from "./admissions.ts";
import { type PatientsTable, ROW_COLUMNS, type Schema, toRecord } from "./schema.ts";
import {
  inTransaction as transaction,
  isSqliteUniqueViolation,
  kyselyOver,
  openSqliteDatabase,
} from "../../sqlite.ts";

type Row = PatientsTable;

/** Marks a method made to clear the store's cached reads once it has settled. */
const CLEARS_CACHES = Symbol("clears cached reads");
type ClearingCaches<F> = F & { readonly [CLEARS_CACHES]: true };

/**
 * The store as this module builds it: each write (`STORE_WRITES`) must be made by
 * `clearingCaches`, or it does not compile, so no write can leave a cached read stale.
 */
type EmbeddedStore = {
  [M in keyof PatientStore]: M extends StoreWrite ? ClearingCaches<PatientStore[M]>
    : PatientStore[M];
};

/**
 * How long a list waits for a list index being built before it is read through SQL (ms): a
 * million records take about 2 s of a core; this long only on a machine far too busy, where
 * SQL plans piling up on the app's one thread would be worse still.
 */
const INDEX_WAIT_MS = 15_000;
/** The writing worker's CPU priority (Linux nice value). */
const WRITER_NICE = 5;
/** From this many rows on, an insert (or audit entries) is written by the writing worker. */
export const WORKER_WRITE_ROWS = 500;
/** Ids asked for in one query (`IN (…)`, one parameter each). */
const IDS_PER_QUERY = 500;

const CHANGEABLE_COLUMNS = PATIENT_FIELDS.filter((f) => f !== "id");

function where<O>(
  query: SelectQueryBuilder<Schema, "patients", O>,
  userId: number,
  filter: PatientFilter,
): SelectQueryBuilder<Schema, "patients", O> {
  let q = query;
  for (const [column, op, value] of conditionsOfFilter(userId, filter)) {
    q = op === "in"
      ? q.where(sql<boolean>`${sql.ref(column)} IN (SELECT value FROM json_each(${value}))`)
      : q.where(column as keyof PatientsTable, op, value as never);
  }
  return q;
}

/** The fields that make two records possible duplicates: all but the id. */
const DUPLICATE_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");

/** Records and strokes per combination of the `by` fields' values, in one query. */
async function countGroupsIn(
  handle: Kysely<Schema>,
  userId: number,
  filter: PatientFilter,
  by: readonly PatientField[],
): Promise<GroupCount[]> {
  const rows = await where(
    handle.selectFrom("patients").select((eb) => [
      ...by.map((field) => eb.ref(field).as(field)),
      eb.fn.countAll<number>().as("total"),
      sql<number>`COALESCE(SUM(CASE WHEN stroke = 1 THEN 1 ELSE 0 END), 0)`.as("stroke"),
    ]),
    userId,
    filter,
  ).groupBy([...by]).execute();
  return foldGroups(
    rows.map((row) => {
      const values = row as unknown as Record<string, string | number | null>;
      return {
        values: by.map((field) => values[field] ?? null),
        total: Number(row.total),
        stroke: Number(row.stroke),
      };
    }),
    by,
  );
}

/**
 * Range counts in one query: a conditional sum per cut (and for nulls), records and strokes;
 * and the values that are neither numbers nor null (rows of the original app's), read here.
 */
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
  const others = await where(
    handle.selectFrom("patients").select([sql<unknown>`${column}`.as("value"), "stroke"]),
    userId,
    filter,
  ).where(sql<boolean>`typeof(${column}) NOT IN ('integer', 'real', 'null')`).execute();
  const counts = { below: cuts.map((_, i) => tally(String(i))), missing: tally("null") };
  return withOtherValues(counts, field, cuts, others);
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

/**
 * A row holding a value the field rules do not allow as stored: not a number (BMI: nor NULL),
 * out of range, or not one of a category's values (NULL is none of them).
 */
const IRREGULAR = sql.join(
  PATIENT_FIELDS.flatMap((field) => {
    const column = sql.ref(field);
    const rule = ruleOf(field);
    if (rule.kind === "category") {
      return [sql`${column} IS NULL OR ${column} NOT IN (${sql.join([...rule.values])})`];
    }
    const notNumber = sql`typeof(${column}) NOT IN ('integer', 'real')`;
    return [
      rule.missing === undefined ? notNumber : sql`(${column} IS NOT NULL AND ${notNumber})`,
      rule.minExclusive ? sql`${column} <= ${rule.min}` : sql`${column} < ${rule.min}`,
      sql`${column} > ${rule.max}`,
    ];
  }),
  sql` OR `,
);

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

/**
 * The summary queries (statistics, data quality, k-anonymity groups): each reads every record of
 * the view, which on a big registry holds a thread for a quarter of a second, so a store on a
 * file runs them on a connection of its own in a worker (see `reader.ts`).
 */
export const SUMMARY_READS = {
  countGroups: countGroupsIn,
  countRanges: countRangesIn,
  duplicateGroups: duplicateGroupsIn,
  findAbove: findAboveIn,
};

export type SummaryRead = keyof typeof SUMMARY_READS;

/** Opens (creating when needed) `patients.db` in `dataDir`; `":memory:"` as dataDir for a throw-away store. */
export function openSqlitePatientStore(
  dataDir: string,
  options: {
    snapshotMaxRows?: number;
    /** From this many records on, lists are read through a list index once built (`list_index.ts`). */
    listIndexMinRows?: number;
    /** How long a user's data must stand still before an index of it is built (ms). */
    listIndexQuietMs?: number;
    /** Told when a list index (or one of its orders) is ready (for tests). */
    listIndexBuilt?: (userId: number, part: "columns" | PatientField) => void;
  } = {},
): PatientStore {
  const path = dataDir === ":memory:" ? ":memory:" : join(dataDir, "patients.db");
  if (path !== ":memory:") Deno.mkdirSync(dataDir, { recursive: true });
  const database = openSqliteDatabase(path);
  const kysely = kyselyOver<Schema>(database);
  const dataVersion = database.prepare("PRAGMA data_version");
  // Lists and counts are served from memory until the data changes (here or in another process).
  const dataVersionNow = () => Number((dataVersion.get() as { data_version: number }).data_version);
  const cache = new ReadCache(dataVersionNow);
  /** After a write, whatever it did, cached reads are forgotten. */
  const forgetReads = () => {
    cache.clear();
    totals.clear();
  };
  /** `method`, forgetting cached reads once it has settled: the store's writes must be made so. */
  const clearingCaches = <F extends (...args: never[]) => Promise<unknown>>(
    method: F,
  ): ClearingCaches<F> =>
    Object.assign(((...args) => method(...args).finally(forgetReads)) as F, {
      [CLEARS_CACHES]: true as const,
    });
  const prepared = onceSucceeded(() => migrate(kysely, patientMigrations(database)));
  const db = async () => {
    try {
      await prepared();
    } catch (error) {
      throw new StoreUnavailableError("patients", { cause: error });
    }
    return kysely;
  };

  /** Bulk writes: prepared once (after the migration), run in one synchronous transaction. */
  let statements: { update: StatementSync } | null = null;
  const bulkStatements = () =>
    statements ??= {
      update: database.prepare(
        `UPDATE patients SET ${
          CHANGEABLE_COLUMNS.map((c) => `${c} = ?`).join(", ")
        }, updated_at = ?, revision = ? WHERE user_id = ? AND id = ? AND NOT (${
          CHANGEABLE_COLUMNS.map((c) => `${c} IS ?`).join(" AND ")
        })`,
      ),
    };
  const inTransaction = <T>(work: () => T) => transaction(database, work);
  // Big batches (an import's) are written by a worker of their own: the app's thread answers
  // other requests meanwhile, and wins a busy core from it (nice 5: a quarter of the share of a
  // thread at the usual priority; at 19 an import would stall on a busy machine).
  const writer = path === ":memory:" ? null : new SqliteReader(path, {
    writes: true,
    nice: WRITER_NICE,
    walAutocheckpoint: BULK_WAL_PAGES,
  });
  const checkpoints = writer && new BulkCheckpoints(database, writer);
  let selectStatement: StatementSync | null = null;
  /** The row of (user id, id), as stored (after the migrations). */
  const selectRow = {
    get: (userId: number, id: number) =>
      (selectStatement ??= database.prepare(
        `SELECT ${ROW_COLUMNS.join(", ")} FROM patients WHERE user_id = ? AND id = ?`,
      )).get(userId, id),
  };

  const select = (handle: Kysely<Schema>, userId: number, id: number) =>
    handle.selectFrom("patients").selectAll().where("user_id", "=", userId).where("id", "=", id)
      .executeTakeFirst();

  /** After a write matched nothing: was the record gone, or had it changed? */
  async function missOrStale(handle: Kysely<Schema>, userId: number, id: number): Promise<never> {
    if (await select(handle, userId, id)) throw new StaleRevisionError(id);
    throw new PatientNotFoundError(id);
  }

  /**
   * Writes `changes` into the record at `revision` (whatever it holds when none is named). A row
   * the app never wrote (its revision derived from its content) is read, compared and written in
   * the app's shape in one transaction.
   */
  async function update(
    userId: number,
    id: number,
    changes: Partial<Omit<PatientFields, "id">>,
    revision?: string,
    next = newRevision(),
  ): Promise<PatientRecord> {
    const handle = await db();
    const set = {
      ...changeableFields(changes),
      updated_at: new Date().toISOString(),
      revision: next,
    };
    if (revision === undefined || isContentRevision(revision)) {
      // Read and written in one transaction: nothing can change the row in between.
      const row = inTransaction(() => {
        const current = selectRow.get(userId, id) as PatientsTable | undefined;
        if (!current) throw new PatientNotFoundError(id);
        const record = toRecord(current);
        if (revision !== undefined && record.revision !== revision) {
          throw new StaleRevisionError(id);
        }
        const all = { ...appShape(record), ...set } as Record<string, unknown>;
        const columns = Object.keys(all);
        return database.prepare(
          `UPDATE patients SET ${columns.map((c) => `${c} = ?`).join(", ")}
           WHERE user_id = ? AND id = ? RETURNING *`,
        ).get(...columns.map((c) => sqlValue(all[c])), userId, id) as unknown as
          | PatientsTable
          | undefined;
      });
      if (!row) throw new StaleRevisionError(id);
      return toRecord(row);
    }
    let query = handle.updateTable("patients").set(set)
      .where("user_id", "=", userId).where("id", "=", id);
    if (revision !== undefined) query = query.where("revision", "=", revision);
    const row = await query.returningAll().executeTakeFirst();
    return row ? toRecord(row) : missOrStale(handle, userId, id);
  }

  /** The user's highest id (see `highestOf`): an id stored as text is stored as its number. */
  async function highestId(handle: Kysely<Schema>, userId: number): Promise<number> {
    const row = await handle.selectFrom("patients").select((eb) => eb.fn.max("id").as("max"))
      .where("user_id", "=", userId).where("id", ">=", 1).where("id", "<=", MAX_PATIENT_ID)
      .executeTakeFirst();
    return highestOf([Number(row?.max ?? 0)]);
  }

  async function nextId(handle: Kysely<Schema>, userId: number): Promise<number> {
    return await freeIdAfter(await highestId(handle, userId), async function* () {
      const rows = handle.selectFrom("patients").select("id").where("user_id", "=", userId)
        .where("id", ">=", 1).where("id", "<=", MAX_PATIENT_ID).orderBy("id").stream();
      for await (const { id } of rows) yield Number(id);
    });
  }

  // Summary queries: in the worker's connection when the store is a file, else here.
  // The main thread answers requests: it wins a busy core.
  const reader = path === ":memory:" ? null : new SqliteReader(path, { nice: 19 });
  const summary = (name: SummaryRead) => async (...args: unknown[]): Promise<unknown> => {
    const handle = await db();
    if (reader) return await reader.call(name, args);
    const read = SUMMARY_READS[name] as (h: Kysely<Schema>, ...a: unknown[]) => Promise<unknown>;
    return await read(handle, ...args);
  };

  const lister = sqliteLister(database);
  /** Prepared once the migration has made its table. */
  let versionOf: StatementSync | null = null;
  /** The user's data version (`patient_versions`), after the migration. */
  const userVersionNow = (userId: number) =>
    readVersion(
      versionOf ??= database.prepare("SELECT version FROM patient_versions WHERE user_id = ?"),
      userId,
    );
  /** Totals by filter: small, asked for again by every page of the same filter. */
  const totals = new ReadCache(dataVersionNow, 4096);

  // Users with up to 50,000 records are listed from memory; bigger ones from a list index, or
  // through SQL until it is built.
  const snapshots = new Snapshots({
    version: userVersionNow,
    size: (userId) => lister.count(userId, {}),
    all: (userId) => lister.all(userId),
  }, options.snapshotMaxRows);

  /** The exact total through SQL (tallies or a count), kept until the data changes. */
  const sqlTotal = (userId: number, filter: PatientFilter): Promise<number> =>
    totals.get(
      `${userId} ${JSON.stringify(filter)}`,
      () => Promise.resolve(lister.count(userId, filter)),
    );

  const indexMinRows = options.listIndexMinRows ?? LIST_INDEX_MIN_ROWS;
  // Big users' lists from an index read in a worker of its own (here for a store in memory), at
  // the usual priority: at the lowest a busy machine would starve it, and SQL would answer
  // meanwhile at many times the cost. It reads in order: a small page cache does.
  const indexReader = path === ":memory:" ? null : new SqliteReader(path, { cacheKib: 8 * 1024 });
  const indexRead = <T>(name: keyof typeof LIST_INDEX_READS, args: unknown[]): Promise<T> => {
    if (indexReader) return indexReader.call(name, args) as Promise<T>;
    const read = LIST_INDEX_READS[name] as (d: typeof database, ...a: unknown[]) => T;
    return Promise.resolve().then(() => read(database, ...args));
  };
  const listIndexes = new ListIndexes({
    version: userVersionNow,
    columns: (userId) => indexRead<ListColumns | null>("listColumns", [userId]),
    order: (userId, field, version, ids) =>
      indexRead<Int32Array | null>("listOrder", [userId, field, version, ids]),
    built: options.listIndexBuilt,
  }, options.listIndexQuietMs);

  /** A big user's index with `field`'s order, when built at their current data version. */
  const bigIndexOf = (userId: number, field: PatientField) =>
    lister.count(userId, {}) >= indexMinRows ? listIndexes.of(userId, field) : null;

  async function countNow(userId: number, filter: PatientFilter): Promise<number> {
    await db();
    return snapshots.of(userId)?.count(filter) ??
      bigIndexOf(userId, "id")?.count(filter, (f) => lister.count(userId, f)) ??
      await sqlTotal(userId, filter);
  }

  async function listNow(userId: number, query: PatientListQuery): Promise<PatientPage> {
    await db();
    const snapshot = snapshots.of(userId);
    if (snapshot) return { items: snapshot.list(query), total: snapshot.count(query.filter) };
    const field = query.sort.field;
    let index = bigIndexOf(userId, field);
    // Wait for the index being built (then for its order by the sort's field) rather than add
    // a SQL plan to the thread's queue: a burst of big lists would fill it for seconds (and a
    // client that gave up leaves its plan in the queue all the same).
    const deadline = Date.now() + INDEX_WAIT_MS;
    for (let pending; !index && (pending = listIndexes.pending(userId, field));) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([pending, new Promise((go) => timer = setTimeout(go, left))]);
      clearTimeout(timer);
      index = bigIndexOf(userId, field);
    }
    // Everything from here to the answer is synchronous: the index and the rows read by id are
    // of the same data version.
    if (index) {
      const items = listIndexes.records(
        index,
        index.page(query),
        (ids) => lister.byIds(userId, ids),
      );
      return { items, total: index.count(query.filter, (filter) => lister.count(userId, filter)) };
    }
    const total = await sqlTotal(userId, query.filter);
    return { items: lister.list(userId, query, total), total };
  }

  const deleted = sqliteDeletedRecords(database, db);
  const store: EmbeddedStore = {
    description: `embedded store at ${path}`,
    audit: sqliteAuditLog(
      database,
      kysely,
      db,
      checkpoints && (async (columns, rows) => {
        await checkpoints.around(() => checkpoints.writer.call("appendAuditRows", [columns, rows]));
      }),
    ),
    admissions: sqliteAdmissionStore(database, db),

    create: clearingCaches(async (userId, patient, next) => {
      const handle = await db();
      return await insertWithFreeId(patient, () => nextId(handle, userId), async (id) => {
        const row: Row = newRow(userId, patient, id, new Date().toISOString(), next);
        await handle.insertInto("patients").values(row).execute();
        return toRecord(row);
      }, isSqliteUniqueViolation);
    }),

    insertMany: clearingCaches(async (userId, patients) => {
      await db();
      const now = new Date().toISOString();
      if (checkpoints && patients.length >= WORKER_WRITE_ROWS) {
        return await checkpoints.around(() =>
          checkpoints.writer.call("insertPatients", [userId, patients, now])
        ) as InsertManyResult;
      }
      return insertPatients(database, userId, patients, now);
    }),

    async highestId(userId) {
      return await highestId(await db(), userId);
    },

    async get(userId, id) {
      const row = await select(await db(), userId, id);
      return row ? toRecord(row) : null;
    },

    async getMany(userId, ids) {
      const handle = await db();
      const out: PatientRecord[] = [];
      for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
        const rows = await handle.selectFrom("patients").selectAll().where("user_id", "=", userId)
          .where("id", "in", ids.slice(i, i + IDS_PER_QUERY)).execute();
        out.push(...rows.map(toRecord));
      }
      return out;
    },

    updateMany: clearingCaches(async (userId, patients) => {
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
    }),

    async existingIds(userId, ids) {
      const handle = await db();
      const found = new Set<number>();
      for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
        const rows = await handle.selectFrom("patients").select("id").where("user_id", "=", userId)
          .where("id", "in", ids.slice(i, i + IDS_PER_QUERY)).execute();
        for (const row of rows) found.add(Number(row.id));
      }
      return found;
    },

    async *stream(userId, filter, sort) {
      await db();
      // A connection of its own, with a small page cache: a scan of a million rows would fill
      // (and so grow) the app's connection's 64 MB, and push out the indexes lists need. One
      // read transaction: the export is of one moment, however long it takes.
      const scan = path === ":memory:" ? database : new DatabaseSync(path, { readOnly: true });
      const own = scan !== database;
      if (own) scan.exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192; BEGIN");
      try {
        for await (const batch of streamBatches(scan, userId, filter, sort)) {
          for (const row of batch) yield toRecord(row);
        }
      } finally {
        if (own) {
          scan.exec("COMMIT");
          scan.close();
        }
      }
    },

    async *streamIds(userId, filter) {
      const handle = await db();
      const query = where(handle.selectFrom("patients").select("id"), userId, filter).orderBy("id");
      for await (const row of query.stream()) yield Number(row.id);
    },

    countGroups: summary("countGroups") as PatientStore["countGroups"],
    countRanges: summary("countRanges") as PatientStore["countRanges"],
    duplicateGroups: summary("duplicateGroups") as PatientStore["duplicateGroups"],
    findAbove: summary("findAbove") as PatientStore["findAbove"],

    async findIrregular(userId, filter, limit) {
      const handle = await db();
      const irregular = sql<boolean>`(${IRREGULAR})`;
      const [rows, count] = await Promise.all([
        where(handle.selectFrom("patients").selectAll(), userId, filter).where(irregular)
          .orderBy("id").limit(limit).execute(),
        where(
          handle.selectFrom("patients").select((eb) => eb.fn.countAll<number>().as("n")),
          userId,
          filter,
        ).where(irregular).executeTakeFirstOrThrow(),
      ]);
      return { total: Number(count.n), records: rows.map(toRecord) };
    },

    list(userId, query) {
      return cache.get(`list ${userId} ${JSON.stringify(query)}`, () => listNow(userId, query));
    },

    count: (userId, filter = {}) => countNow(userId, filter),

    replace: clearingCaches((userId, id, fields, revision, next) =>
      update(userId, id, fields, revision, next)
    ),
    patch: clearingCaches((userId, id, changes, revision, next) =>
      update(userId, id, changes, revision, next)
    ),

    delete: clearingCaches(deleted.delete),
    listDeleted: deleted.listDeleted,
    getDeleted: deleted.getDeleted,
    restore: clearingCaches(deleted.restore),
    purge: clearingCaches(deleted.purge),
    expiredDeleted: deleted.expiredDeleted,
    findRevision: deleted.findRevision,

    async dataVersion(userId) {
      await db();
      return String(userVersionNow(userId));
    },

    async countsByOwner() {
      const rows = await (await db()).selectFrom("patients")
        .select((eb) => ["user_id", eb.fn.countAll<number>().as("n")]).groupBy("user_id")
        .execute();
      return new Map(rows.map((row) => [Number(row.user_id), Number(row.n)]));
    },

    deleteAllOf: clearingCaches(async (userId) => {
      const handle = await db();
      await store.admissions.deleteAllOf(userId);
      await handle.deleteFrom("deleted_patients").where("user_id", "=", userId).execute();
      const result = await handle.deleteFrom("patients").where("user_id", "=", userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }),

    async ping() {
      await (await db()).selectFrom("patients").select("id").limit(1).execute();
    },

    serverWarnings: () => Promise.resolve([]),

    async close() {
      listIndexes.clear();
      checkpoints?.close();
      await Promise.all([writer?.close(), indexReader?.close(), reader?.close()]);
      await kysely.destroy();
    },
  };
  return store;
}
