/** The patient store on MongoDB (or a wire-compatible server such as FerretDB), through the official driver. */
import {
  type Collection,
  type Filter,
  MongoBulkWriteError,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Sort,
} from "mongodb";
import { type DatabaseTimeouts, DEFAULT_DATABASE_TIMEOUTS, type MongoConfig } from "../config.ts";
import { FIELD_RULES, PATIENT_FIELDS, type PatientRecord } from "../lib/patient_fields.ts";
import { PatientNotFoundError, StaleRevisionError, StoreUnavailableError } from "../lib/errors.ts";
import { onceSucceeded } from "./once.ts";
import {
  categoricalFilters,
  changeableFields,
  FILTER_INDEX_FIELDS,
  freeIdAfter,
  insertWithFreeId,
  newRevision,
  newRow,
} from "./patient_rows.ts";
import type { PatientFilter, PatientSort } from "../lib/patient_query.ts";
import type {
  GroupCount,
  MeasuredField,
  PatientStore,
  RangeCounts,
  Tally,
} from "../lib/patient_store.ts";
import { type AuditDocument, ensureAuditIndexes, mongoAuditLog } from "./audit_mongo.ts";
import {
  type DeletedDocument,
  ensureDeletedIndexes,
  mongoDeletedRecords,
} from "./deleted_mongo.ts";

interface PatientDocument extends PatientRecord {
  user_id: number;
}

const DUPLICATE_KEY = 11000;
/** The fields a write may change (all but the id). */
const CHANGEABLE_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");
/** Never sent to the app: the driver's `_id` and the owner. */
const PROJECTION = { _id: 0, user_id: 0 } as const;

/** The record without the server's `_id` and the owner. */
function toRecord(doc: PatientDocument & { _id?: unknown }): PatientRecord {
  const { _id, user_id: _owner, ...record } = doc;
  return record;
}

/**
 * Socket errors the driver can let through unwrapped: a command written just after the server
 * closed the connection (a killed server) fails with Node's own `EPIPE` error, "This socket has
 * been ended by the other party", not a `MongoNetworkError`.
 */
const SOCKET_ERROR_CODES = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
]);

/** No connection could be had within `waitQueueTimeoutMS` (the driver does not export it). */
const WAIT_QUEUE_TIMEOUT = "MongoWaitQueueTimeoutError";

/** True when `error` (or what caused it) means the server is not there, not that a query failed. */
export function isMongoUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (
      e instanceof MongoNetworkError || e instanceof MongoServerSelectionError ||
      e instanceof MongoNotConnectedError || e instanceof MongoTopologyClosedError ||
      e instanceof MongoOperationTimeoutError || e.name === WAIT_QUEUE_TIMEOUT ||
      SOCKET_ERROR_CODES.has((e as { code?: unknown }).code as string)
    ) return true;
  }
  return false;
}

function toMongoFilter(userId: number, filter: PatientFilter): Filter<PatientDocument> {
  const query: Record<string, unknown> = { user_id: userId };
  for (const [field, value] of categoricalFilters(filter)) {
    // Values are checked before they get here; this refuses an operator object all the same.
    if (typeof value !== "string" && typeof value !== "number") throw new TypeError(field);
    query[field] = value;
  }
  if (filter.q !== undefined) query.id = filter.q;
  if (filter.age_min !== undefined || filter.age_max !== undefined) {
    query.age = {
      ...(filter.age_min !== undefined ? { $gte: filter.age_min } : {}),
      ...(filter.age_max !== undefined ? { $lte: filter.age_max } : {}),
    };
  }
  return query as Filter<PatientDocument>;
}

/**
 * The sort of a list or export: the field, ties broken by id in the same direction, so that the
 * index `{user_id, field, id}` serves both directions (walked backwards for descending).
 */
function orderOf(sort: PatientSort): Sort {
  const direction = sort.direction === "asc" ? 1 : -1;
  return sort.field === "id" ? { id: direction } : { [sort.field]: direction, id: direction };
}

/**
 * Indexes: the unique one the contract names; one per field, by user then id, so that every
 * sort walks an index (backwards when descending) and every condition can narrow; and one of
 * every filterable field, so that a count over several conditions reads the index alone.
 * One command per index: FerretDB v1 drops the connection when a single `createIndexes`
 * names several indexes that already exist.
 */
async function ensureIndexes(collection: Collection<PatientDocument>): Promise<void> {
  await collection.createIndex({ user_id: 1, id: 1 }, { name: "user_id_1_id_1", unique: true });
  for (const field of PATIENT_FIELDS.filter((f) => f !== "id")) {
    await collection.createIndex({ user_id: 1, [field]: 1, id: 1 }, {
      name: `user_id_1_${field}_1_id_1`,
    });
  }
  await collection.createIndex(
    Object.fromEntries([["user_id", 1], ...FILTER_INDEX_FIELDS.map((f) => [f, 1])]),
    { name: "user_filters" },
  );
}

/** The fields that make two records possible duplicates: all but the id. */
const DUPLICATE_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");

/** The filter narrowed by one more condition (kept apart, so a range on `age` adds to age_min). */
function narrowed(
  userId: number,
  filter: PatientFilter,
  condition: Filter<PatientDocument>,
): Filter<PatientDocument> {
  return { $and: [toMongoFilter(userId, filter), condition] } as Filter<PatientDocument>;
}

/** Records and strokes among those matching `match`: one `$group` by stroke. */
async function tallyOf(
  collection: Collection<PatientDocument>,
  match: Filter<PatientDocument>,
): Promise<Tally> {
  const groups = await collection.aggregate<{ _id: number; n: number }>([
    { $match: match },
    { $group: { _id: "$stroke", n: { $sum: 1 } } },
  ]).toArray();
  return {
    total: groups.reduce((sum, g) => sum + g.n, 0),
    stroke: groups.find((g) => g._id === 1)?.n ?? 0,
  };
}

/**
 * Range counts: one query per cut (`field < cut`, on the indexed field) and one for nulls,
 * all at once. FerretDB v1 has no `$cond`, `$switch` or `$bucket` to band in one pass.
 */
async function countRangesIn(
  collection: Collection<PatientDocument>,
  userId: number,
  filter: PatientFilter,
  field: MeasuredField,
  cuts: readonly number[],
): Promise<RangeCounts> {
  const nullable = "missing" in FIELD_RULES[field];
  const [missing, ...below] = await Promise.all([
    nullable
      ? tallyOf(collection, narrowed(userId, filter, { [field]: null }))
      : Promise.resolve({ total: 0, stroke: 0 }),
    ...cuts.map((cut) => tallyOf(collection, narrowed(userId, filter, { [field]: { $lt: cut } }))),
  ]);
  return { below, missing: missing! };
}

/** The values of `key` shared by more than one record matching `match`: one `$group`. */
async function sharedKeys(
  collection: Collection<PatientDocument>,
  match: Filter<PatientDocument>,
  key: string | Record<string, string>,
): Promise<unknown[]> {
  const groups = await collection.aggregate<{ _id: unknown }>([
    { $match: match },
    { $group: { _id: key, n: { $sum: 1 } } },
    { $match: { n: { $gt: 1 } } },
  ]).toArray();
  return groups.map((g) => g._id);
}

/** `{field: "$field", …}`: a `$group` key of these fields. */
function groupKey(fields: readonly string[]): Record<string, string> {
  return Object.fromEntries(fields.map((field) => [field, `$${field}`]));
}

/**
 * Possible duplicates, narrowed step by step because FerretDB v1 groups by scanning its groups
 * (a `$group` of 5,000 distinct records by eleven fields takes 20 s there, by one number 1 s):
 * glucose levels shared by several records; among those, shared (glucose, age) pairs; among
 * those, records equal in all eleven fields; then their ids (FerretDB v1 has no `$push`).
 * Each step is a `$match` and a `$group` in the database; most data stops after the first.
 */
async function duplicateGroupsIn(
  collection: Collection<PatientDocument>,
  userId: number,
  filter: PatientFilter,
): Promise<number[][]> {
  const glucose = await sharedKeys(collection, toMongoFilter(userId, filter), "$avg_glucose_level");
  if (glucose.length === 0) return [];
  const pairs = await sharedKeys(
    collection,
    narrowed(userId, filter, { avg_glucose_level: { $in: glucose as number[] } }),
    groupKey(["avg_glucose_level", "age"]),
  );
  if (pairs.length === 0) return [];
  const keys = await sharedKeys(
    collection,
    narrowed(userId, filter, { $or: pairs as Filter<PatientDocument>[] }),
    groupKey(DUPLICATE_FIELDS),
  ) as Record<string, unknown>[];
  if (keys.length === 0) return [];
  const equalTo = keys.map((key) =>
    Object.fromEntries(DUPLICATE_FIELDS.map((field) => [field, key[field] ?? null]))
  );
  const docs = collection.find(narrowed(userId, filter, { $or: equalTo }), {
    projection: { _id: 0, user_id: 0, created_at: 0, updated_at: 0, revision: 0 },
  }).sort({ id: 1 });
  const byKey = new Map<string, number[]>();
  for await (const doc of docs) {
    const name = JSON.stringify(DUPLICATE_FIELDS.map((field) => doc[field] ?? null));
    byKey.set(name, [...byKey.get(name) ?? [], doc.id]);
  }
  return [...byKey.values()].filter((ids) => ids.length > 1);
}

/**
 * Opens a client for the configured server. Connects lazily: an outage never throws here.
 * An operation waits `unavailableMs` for a server it can use (a new connection as long) and
 * `queryMs` for the answer of a server that stopped answering; then it is a 503.
 */
export function openMongoPatientStore(
  config: MongoConfig,
  timeouts: Partial<DatabaseTimeouts> = {},
): PatientStore {
  const { unavailableMs, queryMs } = { ...DEFAULT_DATABASE_TIMEOUTS, ...timeouts };
  const client = new MongoClient(config.uri, {
    appName: "stroke-patient-management",
    serverSelectionTimeoutMS: unavailableMs,
    connectTimeoutMS: unavailableMs,
    // Connections to a hung server are made two at a time and each fails only after its
    // connect timeout: an operation waits at most this long for one.
    waitQueueTimeoutMS: unavailableMs,
    socketTimeoutMS: queryMs,
    // A read is not tried again after a network error: against a hung server the retry would
    // wait another `queryMs`, so the 503 (with Retry-After) comes after one timeout, not two.
    retryReads: false,
  });
  const database = client.db(config.database);
  const collection = database.collection<PatientDocument>(config.collection);
  const deleted = database.collection<DeletedDocument>(`${config.collection}_deleted`);
  const audit = database.collection<AuditDocument>(`${config.collection}_audit`);
  const journal = database.collection<AuditDocument>(`${config.collection}_audit_pending`);
  const indexed = onceSucceeded(async () => {
    await ensureIndexes(collection);
    await ensureDeletedIndexes(deleted);
    await ensureAuditIndexes(audit, journal);
  });

  /** The user's records with these ids, asked for 10,000 at a time (each ask is a scan on FerretDB). */
  async function fetchMany(userId: number, ids: readonly number[]): Promise<PatientRecord[]> {
    const out: PatientRecord[] = [];
    for (let i = 0; i < ids.length; i += 10_000) {
      const filter: Filter<PatientDocument> = {
        user_id: userId,
        id: { $in: ids.slice(i, i + 10_000) },
      };
      out.push(...await collection.find(filter, { projection: PROJECTION }).toArray());
    }
    return out;
  }

  /** Runs `work` once the indexes exist, turning a lost server into `StoreUnavailableError`. */
  async function run<T>(work: () => Promise<T>): Promise<T> {
    try {
      await indexed();
      return await work();
    } catch (error) {
      if (isMongoUnavailable(error)) throw new StoreUnavailableError("patients", { cause: error });
      throw error;
    }
  }

  /** A cursor whose lost server becomes `StoreUnavailableError`, as in `run`. */
  async function* guard<T>(cursor: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* cursor;
    } catch (error) {
      if (isMongoUnavailable(error)) throw new StoreUnavailableError("patients", { cause: error });
      throw error;
    }
  }

  async function missOrStale(userId: number, id: number): Promise<never> {
    const exists = await collection.countDocuments({ user_id: userId, id }, { limit: 1 });
    if (exists > 0) throw new StaleRevisionError(id);
    throw new PatientNotFoundError(id);
  }

  function update(
    userId: number,
    id: number,
    changes: object,
    revision?: string,
    next = newRevision(),
  ) {
    return run(async () => {
      const filter: Filter<PatientDocument> = { user_id: userId, id };
      if (revision !== undefined) filter.revision = revision;
      const after = await collection.findOneAndUpdate(
        filter,
        { $set: { ...changeableFields(changes), updated_at: new Date(), revision: next } },
        // No projection here: FerretDB v1 does not implement one on findAndModify.
        { returnDocument: "after" },
      );
      return after ? toRecord(after) : missOrStale(userId, id);
    });
  }

  async function nextId(userId: number): Promise<number> {
    const [last] = await collection.find({ user_id: userId }, { projection: { id: 1 } })
      .sort({ id: -1 }).limit(1).toArray();
    return await freeIdAfter(last?.id ?? 0, async function* () {
      const ids = collection.find({ user_id: userId }, { projection: { _id: 0, id: 1 } })
        .sort({ id: 1 }).batchSize(10_000);
      for await (const { id } of ids) yield id;
    });
  }

  const host = (() => {
    const match = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(config.uri);
    return match?.[2] ?? "configured host";
  })();

  return {
    description: `MongoDB at ${host}/${config.database}.${config.collection}`,
    audit: mongoAuditLog(audit, journal, run, guard),
    ...mongoDeletedRecords(collection, deleted, run, missOrStale),

    create(userId, patient, next) {
      return run(() =>
        insertWithFreeId(patient, () => nextId(userId), async (id) => {
          const doc: PatientDocument = newRow(userId, patient, id, new Date(), next);
          await collection.insertOne({ ...doc });
          return toRecord(doc);
        }, (error) => error instanceof MongoServerError && error.code === DUPLICATE_KEY)
      );
    },

    insertMany(userId, patients) {
      return run(async () => {
        if (patients.length === 0) return { inserted: 0, duplicateIds: [] };
        const now = new Date();
        const docs = patients.map((p) => newRow(userId, p, p.id, now));
        try {
          const result = await collection.insertMany(docs, { ordered: false });
          return { inserted: result.insertedCount, duplicateIds: [] };
        } catch (error) {
          if (!(error instanceof MongoBulkWriteError)) throw error;
          const writeErrors = [error.writeErrors].flat();
          if (writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw error;
          return {
            inserted: error.insertedCount,
            duplicateIds: writeErrors.map((e) => patients[e.index]!.id),
          };
        }
      });
    },

    get(userId, id) {
      return run(() => collection.findOne({ user_id: userId, id }, { projection: PROJECTION }));
    },
    getMany(userId, ids) {
      return run(() => fetchMany(userId, ids));
    },

    updateMany(userId, patients) {
      return run(async () => {
        if (patients.length === 0) return 0;
        // Compared here rather than by a filter per record: FerretDB scans the collection for
        // every update, so only the records that differ are written, each from the revision
        // just read (a record changed meanwhile is left as it is).
        const current = new Map((await fetchMany(userId, patients.map((p) => p.id)))
          .map((record) => [record.id, record]));
        const changed = patients.filter((patient) => {
          const now = current.get(patient.id);
          return now !== undefined && CHANGEABLE_FIELDS.some((f) => now[f] !== patient[f]);
        });
        if (changed.length === 0) return 0;
        const now = new Date();
        const result = await collection.bulkWrite(
          changed.map((patient) => ({
            updateOne: {
              filter: {
                user_id: userId,
                id: patient.id,
                revision: current.get(patient.id)!.revision,
              },
              update: {
                $set: { ...changeableFields(patient), updated_at: now, revision: newRevision() },
              },
            },
          })),
          { ordered: false },
        );
        return result.modifiedCount;
      });
    },

    existingIds(userId, ids) {
      return run(async () => {
        const found = new Set<number>();
        for (let i = 0; i < ids.length; i += 10_000) {
          const filter: Filter<PatientDocument> = {
            user_id: userId,
            id: { $in: ids.slice(i, i + 10_000) },
          };
          const docs = collection.find(filter, { projection: { _id: 0, id: 1 } });
          for await (const { id } of docs) found.add(id);
        }
        return found;
      });
    },

    async *stream(userId, filter, sort) {
      const cursor = await run(() =>
        Promise.resolve(
          collection.find(toMongoFilter(userId, filter), { projection: PROJECTION })
            .sort(orderOf(sort)).batchSize(1000),
        )
      );
      yield* guard(cursor);
    },

    async *streamIds(userId, filter) {
      const cursor = collection.find(toMongoFilter(userId, filter), {
        projection: { _id: 0, id: 1 },
      }).sort({ id: 1 }).batchSize(5000);
      for await (const { id } of guard(cursor)) yield id;
    },

    countGroups(userId, filter, by) {
      return run(async () => {
        // `stroke` is part of the key and the only accumulator counts: FerretDB v1 answers 0
        // for a second `$sum` in the same `$group`, so strokes are folded in here instead.
        const key = Object.fromEntries([...by, "stroke"].map((field) => [field, `$${field}`]));
        const groups = await collection.aggregate<
          { _id: Record<string, string | number | null>; n: number }
        >([
          { $match: toMongoFilter(userId, filter) },
          { $group: { _id: key, n: { $sum: 1 } } },
        ]).toArray();
        const folded = new Map<string, GroupCount>();
        for (const { _id, n } of groups) {
          const values = by.map((field) => _id[field] ?? null);
          const id = JSON.stringify(values);
          const group = folded.get(id) ?? { values, total: 0, stroke: 0 };
          group.total += n;
          if (_id.stroke === 1) group.stroke += n;
          folded.set(id, group);
        }
        return [...folded.values()];
      });
    },

    countRanges(userId, filter, field, cuts) {
      return run(() => countRangesIn(collection, userId, filter, field, cuts));
    },

    duplicateGroups(userId, filter) {
      return run(() => duplicateGroupsIn(collection, userId, filter));
    },

    findAbove(userId, filter, limits, limit) {
      if (limits.length === 0 || limit < 1) return Promise.resolve([]);
      const above = limits.map(({ field, above }) => ({ [field]: { $gt: above } }));
      return run(() =>
        collection.find(narrowed(userId, filter, { $or: above }), { projection: PROJECTION })
          .sort({ id: 1 }).limit(limit).toArray()
      );
    },

    list(userId, { filter, sort, page, perPage }) {
      return run(async () => {
        const order = orderOf(sort);
        const query = toMongoFilter(userId, filter);
        const [items, total] = await Promise.all([
          collection.find(query, { projection: PROJECTION }).sort(order)
            .skip((page - 1) * perPage).limit(perPage).toArray(),
          collection.countDocuments(query),
        ]);
        return { items, total };
      });
    },

    count(userId, filter = {}) {
      return run(() => collection.countDocuments(toMongoFilter(userId, filter)));
    },

    replace: (userId, id, fields, revision, next) => update(userId, id, fields, revision, next),
    patch: (userId, id, changes, revision, next) => update(userId, id, changes, revision, next),

    countsByOwner() {
      return run(async () => {
        const groups = await collection.aggregate<{ _id: number; n: number }>([
          { $group: { _id: "$user_id", n: { $sum: 1 } } },
        ]).toArray();
        return new Map(groups.map((g) => [g._id, g.n]));
      });
    },

    deleteAllOf(userId) {
      return run(async () => {
        await deleted.deleteMany({ user_id: userId });
        return (await collection.deleteMany({ user_id: userId })).deletedCount;
      });
    },

    async ping() {
      try {
        await client.db(config.database).command({ ping: 1 });
      } catch (error) {
        throw new StoreUnavailableError("patients", { cause: error });
      }
    },

    close: () => client.close(),
  };
}
