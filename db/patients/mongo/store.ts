/** The patient store on MongoDB (or a wire-compatible server such as FerretDB), through the official driver. */
import {
  type Collection,
  type CreateIndexesOptions,
  type Filter,
  type IndexSpecification,
  MongoBulkWriteError,
  MongoClient,
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Sort,
} from "mongodb";
import {
  type DatabaseTimeouts,
  DEFAULT_DATABASE_TIMEOUTS,
  type MongoConfig,
} from "../../../config.ts";
import {
  FIELD_RULES,
  PATIENT_FIELDS,
  type PatientRecord,
  ruleOf,
} from "../../../lib/patient_fields.ts";
import { readStoredPatient, readStoredValue } from "../../../lib/stored_patient.ts";
import {
  PatientIdTakenError,
  PatientNotFoundError,
  StaleRevisionError,
  StoreUnavailableError,
} from "../../../lib/errors.ts";
import {
  findLive,
  firstWrite,
  idIn,
  idIs,
  keyOf,
  type StoredDocument,
  unchanged,
} from "./stored.ts";
import { unresolvedCriteria } from "../../../lib/admission_filter.ts";
import { onceSucceeded } from "../../once.ts";
import {
  categoricalFilters,
  changeableFields,
  FILTER_INDEX_FIELDS,
  foldGroups,
  insertWithFreeId,
  newRevision,
  newRow,
  withOtherValues,
} from "../rows.ts";
import type { PatientFilter, PatientSort } from "../../../lib/patient_query.ts";
import type {
  GroupCount,
  MeasuredField,
  PatientStore,
  RangeCounts,
  Tally,
} from "../../../lib/patient_store.ts";
import { type AuditDocument, ensureAuditIndexes, mongoAuditLog } from "./audit.ts";
import { bumpingVersions, readVersion, type VersionDocument } from "./data_versions.ts";
import { type DeletedDocument, ensureDeletedIndexes, mongoDeletedRecords } from "./deleted.ts";
import { type AdmissionDocument, mongoAdmissionStore } from "./admissions.ts";
import { type HighestIdDocument, mongoHighestIds } from "./highest_ids.ts";
import { OutageMemory, WAIT_QUEUE_TIMEOUT } from "./outage.ts";

interface PatientDocument extends PatientRecord {
  user_id: number;
}

const DUPLICATE_KEY = 11000;
/** The fields a write may change (all but the id). */
const CHANGEABLE_FIELDS = PATIENT_FIELDS.filter((f) => f !== "id");
/** Ids asked for in one query (`$in`): each ask is a scan on FerretDB, so few and large. */
const IDS_PER_QUERY = 10_000;
/** Documents per batch of an export's stream. */
const STREAM_BATCH = 1000;
/** Ids per batch of `streamIds`. */
const ID_STREAM_BATCH = 5000;
/** Never sent to the app: the driver's `_id` and the owner. */
const PROJECTION = { _id: 0, user_id: 0 } as const;

/** Whether `error` is the server's "duplicate key" (a unique index refused the write). */
function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/** A stored document (whoever wrote it) as a record. */
function toRecord(doc: object): PatientRecord {
  return readStoredPatient(doc as Record<string, unknown>);
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

/** True when `error` (or what caused it) means the server is not there, not that a query failed. */
export function isMongoUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (
      e instanceof MongoNetworkError || e instanceof MongoServerSelectionError ||
      e instanceof MongoNotConnectedError || e instanceof MongoTopologyClosedError ||
      // A request still running while the app shuts down: the store has gone, the query is fine.
      e instanceof MongoClientClosedError ||
      e instanceof MongoOperationTimeoutError || e.name === WAIT_QUEUE_TIMEOUT ||
      SOCKET_ERROR_CODES.has((e as { code?: unknown }).code as string)
    ) return true;
  }
  return false;
}

function toMongoFilter(userId: number, filter: PatientFilter): Filter<PatientDocument> {
  if (filter.admission) throw unresolvedCriteria();
  const query: Record<string, unknown> = { user_id: userId };
  for (const [field, value] of categoricalFilters(filter)) {
    // Values are checked before they get here; this refuses an operator object all the same.
    if (typeof value !== "string" && typeof value !== "number") throw new TypeError(field);
    // A 0/1 flag the original app stored as text ("1") is that flag.
    query[field] = typeof value === "number" ? { $in: [value, String(value)] } : value;
  }
  if (filter.q !== undefined) query.id = idIs(filter.q);
  if (filter.ids !== undefined) {
    // With an id as well, that id if it is one of them (else none).
    const ids = filter.q === undefined ? filter.ids : filter.ids.filter((id) => id === filter.q);
    query.id = idIn(ids);
  }
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
  await createIndex(collection, { user_id: 1, id: 1 }, { name: "user_id_1_id_1", unique: true });
  for (const field of PATIENT_FIELDS.filter((f) => f !== "id")) {
    await createIndex(collection, { user_id: 1, [field]: 1, id: 1 }, {
      name: `user_id_1_${field}_1_id_1`,
    });
  }
  await createIndex(
    collection,
    Object.fromEntries([["user_id", 1], ...FILTER_INDEX_FIELDS.map((f) => [f, 1])]),
    { name: "user_filters" },
  );
}

/**
 * Creates one index. An index that is there already is no error: MongoDB says nothing, but
 * FerretDB, restarted after being killed, can answer "index … already exists" for one it holds.
 */
async function createIndex(
  collection: Collection<PatientDocument>,
  keys: IndexSpecification,
  options: CreateIndexesOptions,
): Promise<void> {
  try {
    await collection.createIndex(keys, options);
  } catch (error) {
    if (!/index \S+ already exists/.test((error as Error).message)) throw error;
  }
}

/**
 * A document holding a value the field rules do not allow as stored: not a number (BMI: nor
 * null), out of range, or not one of a category's values (a missing field is none of these).
 */
const IRREGULAR: Filter<PatientDocument> = {
  $or: PATIENT_FIELDS.flatMap((field): Record<string, unknown>[] => {
    const rule = ruleOf(field);
    if (rule.kind === "category") return [{ [field]: { $nin: [...rule.values] } }];
    const notNumber = { [field]: { $not: { $type: "number" } } };
    return [
      rule.missing === undefined ? notNumber : { $and: [{ [field]: { $ne: null } }, notNumber] },
      { [field]: { [rule.minExclusive ? "$lte" : "$lt"]: rule.min } },
      { [field]: { $gt: rule.max } },
    ];
  }),
} as Filter<PatientDocument>;

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
    // A stroke the original app stored as text ("1") is a stroke.
    stroke: groups.filter((g) => readStoredValue("stroke", g._id) === 1)
      .reduce((sum, g) => sum + g.n, 0),
  };
}

/**
 * Range counts: one query per cut (`field < cut`, on the indexed field) and one for nulls,
 * all at once, and the values that are neither numbers nor null (documents of the original app)
 * read here. FerretDB v1 has no `$cond`, `$switch` or `$bucket` to band in one pass.
 */
async function countRangesIn(
  collection: Collection<PatientDocument>,
  userId: number,
  filter: PatientFilter,
  field: MeasuredField,
  cuts: readonly number[],
): Promise<RangeCounts> {
  const nullable = "missing" in FIELD_RULES[field];
  const notNumbers = {
    $and: [{ [field]: { $ne: null } }, { [field]: { $not: { $type: "number" } } }],
  };
  const [others, missing, ...below] = await Promise.all([
    collection.find(narrowed(userId, filter, notNumbers), {
      projection: { _id: 0, [field]: 1, stroke: 1 },
    }).toArray(),
    nullable
      ? tallyOf(collection, narrowed(userId, filter, { [field]: null }))
      : Promise.resolve({ total: 0, stroke: 0 }),
    ...cuts.map((cut) => tallyOf(collection, narrowed(userId, filter, { [field]: { $lt: cut } }))),
  ]);
  const stored = (others as Record<string, unknown>[]).map((doc) => ({
    value: doc[field],
    stroke: doc.stroke,
  }));
  return withOtherValues({ below, missing: missing! }, field, cuts, stored);
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
    // A record whose id cannot be read (the original app's) cannot be pointed to: left out.
    const id = readStoredValue("id", doc.id);
    if (typeof id !== "number") continue;
    const name = JSON.stringify(DUPLICATE_FIELDS.map((field) => doc[field] ?? null));
    byKey.set(name, [...byKey.get(name) ?? [], id]);
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
  /** The same collection, its documents as stored (whoever wrote them). */
  const raw = collection as unknown as Collection<StoredDocument>;
  const deleted = database.collection<DeletedDocument>(`${config.collection}_deleted`);
  const audit = database.collection<AuditDocument>(`${config.collection}_audit`);
  const journal = database.collection<AuditDocument>(`${config.collection}_audit_pending`);
  const versions = database.collection<VersionDocument>(`${config.collection}_versions`);
  const outage = new OutageMemory(unavailableMs);
  const ids = mongoHighestIds(
    raw,
    database.collection<HighestIdDocument>(`${config.collection}_highest_ids`),
    outage,
  );
  const indexed = onceSucceeded(async () => {
    await ensureIndexes(collection);
    await ensureDeletedIndexes(deleted);
    await ensureAuditIndexes(audit, journal);
  });

  /** The user's documents with these ids, as stored, asked for `IDS_PER_QUERY` at a time. */
  async function fetchDocs(userId: number, ids: readonly number[]): Promise<StoredDocument[]> {
    const out: StoredDocument[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const filter = { user_id: userId, id: idIn(ids.slice(i, i + IDS_PER_QUERY)) };
      out.push(...await raw.find(filter, { projection: { user_id: 0 } }).toArray());
    }
    return out;
  }

  /**
   * Runs `work` once the indexes exist, turning a lost server into `StoreUnavailableError` —
   * at once while the server was not reached a moment ago (see OutageMemory).
   */
  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (outage.recent) throw new StoreUnavailableError("patients");
    try {
      await indexed();
      const result = await work();
      outage.reached();
      return result;
    } catch (error) {
      outage.note(error);
      if (isMongoUnavailable(error)) throw new StoreUnavailableError("patients", { cause: error });
      throw error;
    }
  }

  /** A cursor whose lost server becomes `StoreUnavailableError`, as in `run`. */
  async function* guard<T>(cursor: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* cursor;
    } catch (error) {
      outage.note(error);
      if (isMongoUnavailable(error)) throw new StoreUnavailableError("patients", { cause: error });
      throw error;
    }
  }

  async function missOrStale(userId: number, id: number): Promise<never> {
    if (await findLive(raw, userId, id)) throw new StaleRevisionError(id);
    throw new PatientNotFoundError(id);
  }

  /**
   * Writes `changes` into the record at `revision`: read first (by its keyed `_id` when it has
   * one), compared with the revision the caller saw, and written on the condition that it is
   * still as read — at its revision, or, for a document the app never wrote, with every field as
   * read (the first write gives it the app's shape).
   */
  function update(
    userId: number,
    id: number,
    changes: object,
    revision?: string,
    next = newRevision(),
  ) {
    return run(async () => {
      const doc = await findLive(raw, userId, id);
      if (!doc) throw new PatientNotFoundError(id);
      const current = toRecord(doc);
      if (revision !== undefined && current.revision !== revision) {
        throw new StaleRevisionError(id);
      }
      const set = { ...changeableFields(changes), updated_at: new Date(), revision: next };
      const after = await raw.findOneAndUpdate(
        unchanged(doc, current),
        { $set: { ...firstWrite(doc, current), ...set } },
        // No projection here: FerretDB v1 does not implement one on findAndModify.
        { returnDocument: "after" },
      );
      return after ? toRecord(after) : missOrStale(userId, id);
    });
  }

  const host = (() => {
    const match = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(config.uri);
    return match?.[2] ?? "configured host";
  })();

  const recentlyDeleted = mongoDeletedRecords(raw, deleted, ids, run, missOrStale);
  const admissions = mongoAdmissionStore(
    database.collection<AdmissionDocument>(`${config.collection}_admissions`),
    run,
    guard,
  );
  return bumpingVersions(
    {
      description: `MongoDB at ${host}/${config.database}.${config.collection}`,
      audit: mongoAuditLog(audit, journal, run, guard, outage),
      admissions,

      create(userId, patient, next) {
        return run(async () => {
          // The unique indexes do not see an id the original app stored as text.
          if (patient.id !== undefined && (await ids.takenAsText(userId, [patient.id])).size) {
            throw new PatientIdTakenError(patient.id);
          }
          const created = await insertWithFreeId(patient, ids.nextIds(userId), async (id) => {
            const doc: PatientDocument = newRow(userId, patient, id, new Date(), next);
            await raw.insertOne({ _id: keyOf(userId, id), ...doc });
            return toRecord(doc);
          }, isDuplicateKey);
          await ids.raise(userId, created.id);
          return created;
        });
      },

      insertMany(userId, patients) {
        return run(async () => {
          const asText = await ids.takenAsText(userId, patients.map((p) => p.id));
          const fresh = patients.filter((p) => !asText.has(p.id));
          const duplicateIds = patients.filter((p) => asText.has(p.id)).map((p) => p.id);
          if (fresh.length === 0) return { inserted: 0, duplicateIds };
          const now = new Date();
          const docs = fresh.map((p) => ({
            _id: keyOf(userId, p.id),
            ...newRow(userId, p, p.id, now),
          }));
          let inserted = docs.length;
          try {
            await raw.insertMany(docs, { ordered: false });
          } catch (error) {
            if (!(error instanceof MongoBulkWriteError)) throw error;
            const writeErrors = [error.writeErrors].flat();
            if (writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw error;
            inserted = error.insertedCount;
            duplicateIds.push(...writeErrors.map((e) => fresh[e.index]!.id));
          }
          await ids.raise(userId, fresh.reduce((highest, p) => Math.max(highest, p.id), 0));
          return { inserted, duplicateIds };
        });
      },

      highestId(userId) {
        return run(() => ids.highest(userId));
      },

      get(userId, id) {
        return run(async () => {
          const doc = await findLive(raw, userId, id);
          return doc ? toRecord(doc) : null;
        });
      },
      getMany(userId, ids) {
        return run(async () => (await fetchDocs(userId, ids)).map(toRecord));
      },

      updateMany(userId, patients) {
        return run(async () => {
          if (patients.length === 0) return 0;
          // Compared here rather than by a filter per record: FerretDB scans the collection for
          // every update, so only the records that differ are written, each from the revision
          // just read (a record changed meanwhile is left as it is).
          const current = new Map(
            (await fetchDocs(userId, patients.map((p) => p.id))).map((doc) => {
              const record = toRecord(doc);
              return [record.id, { doc, record }];
            }),
          );
          const changed = patients.filter((patient) => {
            const now = current.get(patient.id)?.record;
            return now !== undefined &&
              (now.stored !== undefined || CHANGEABLE_FIELDS.some((f) => now[f] !== patient[f]));
          });
          if (changed.length === 0) return 0;
          const now = new Date();
          const result = await raw.bulkWrite(
            changed.map((patient) => {
              const { doc, record } = current.get(patient.id)!;
              const set = {
                ...changeableFields(patient),
                updated_at: now,
                revision: newRevision(),
              };
              return {
                updateOne: {
                  filter: unchanged(doc, record),
                  update: { $set: { ...firstWrite(doc, record), ...set } },
                },
              };
            }),
            { ordered: false },
          );
          return result.modifiedCount;
        });
      },

      existingIds(userId, ids) {
        return run(async () => {
          const found = new Set<number>();
          for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
            const filter = { user_id: userId, id: idIn(ids.slice(i, i + IDS_PER_QUERY)) };
            const docs = raw.find(filter, { projection: { _id: 0, id: 1 } });
            for await (const { id } of docs) found.add(readStoredValue("id", id) as number);
          }
          return found;
        });
      },

      async *stream(userId, filter, sort) {
        const cursor = await run(() =>
          Promise.resolve(
            raw.find(toMongoFilter(userId, filter) as Filter<StoredDocument>, {
              projection: PROJECTION,
            }).sort(orderOf(sort)).batchSize(STREAM_BATCH),
          )
        );
        for await (const doc of guard(cursor)) yield toRecord(doc);
      },

      async *streamIds(userId, filter) {
        const cursor = collection.find(toMongoFilter(userId, filter), {
          projection: { _id: 0, id: 1 },
        }).sort({ id: 1 }).batchSize(ID_STREAM_BATCH);
        for await (const { id } of guard(cursor)) {
          const read = readStoredValue("id", id);
          if (typeof read === "number") yield read;
        }
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
          return foldGroups(
            groups.map(({ _id, n }): GroupCount => ({
              values: by.map((field) => _id[field] ?? null),
              total: n,
              stroke: readStoredValue("stroke", _id.stroke) === 1 ? n : 0,
            })),
            by,
          );
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
        return run(async () =>
          (await collection.find(narrowed(userId, filter, { $or: above }), {
            projection: PROJECTION,
          })
            .sort({ id: 1 }).limit(limit).toArray()).map(toRecord)
        );
      },

      findIrregular(userId, filter, limit) {
        return run(async () => {
          const query = narrowed(userId, filter, IRREGULAR);
          const [docs, total] = await Promise.all([
            raw.find(query as Filter<StoredDocument>, { projection: PROJECTION }).sort({ id: 1 })
              .limit(limit).toArray(),
            collection.countDocuments(query),
          ]);
          return { total, records: docs.map(toRecord) };
        });
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
          return { items: items.map(toRecord), total };
        });
      },

      count(userId, filter = {}) {
        return run(() => collection.countDocuments(toMongoFilter(userId, filter)));
      },

      replace: (userId, id, fields, revision, next) => update(userId, id, fields, revision, next),
      patch: (userId, id, changes, revision, next) => update(userId, id, changes, revision, next),

      delete: recentlyDeleted.delete,
      listDeleted: recentlyDeleted.listDeleted,
      getDeleted: recentlyDeleted.getDeleted,
      restore: recentlyDeleted.restore,
      purge: recentlyDeleted.purge,
      expiredDeleted: recentlyDeleted.expiredDeleted,
      findRevision: recentlyDeleted.findRevision,

      dataVersion(userId) {
        return run(() => readVersion(versions, userId));
      },

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
          await admissions.deleteAllOf(userId);
          await deleted.deleteMany({ user_id: userId });
          const removed = (await collection.deleteMany({ user_id: userId })).deletedCount;
          await ids.forget(userId);
          return removed;
        });
      },

      // Always asks the server, even during an outage: the health check sees its return first.
      async ping() {
        try {
          await client.db(config.database).command({ ping: 1 });
          outage.reached();
        } catch (error) {
          outage.note(error);
          throw new StoreUnavailableError("patients", { cause: error });
        }
      },

      async serverWarnings() {
        let info;
        try {
          info = await client.db(config.database).command({ buildInfo: 1 });
        } catch (error) {
          throw new StoreUnavailableError("patients", { cause: error });
        }
        return typeof info.ferretdbVersion === "string"
          ? [ferretDbWarning(info.ferretdbVersion)]
          : [];
      },

      close: () => client.close(),
    },
    versions,
    outage,
  );
}

/** The start-up warning for a patient server that says it is FerretDB (in `buildInfo`). */
export function ferretDbWarning(version: string): string {
  return `The patient database is FerretDB ${version.slice(0, 40)}. FerretDB v1 is supported ` +
    "for development and tests, not production: it does not apply a conditional update " +
    "atomically and it sorts and counts in memory. Use MongoDB 6+ or Atlas in production.";
}
