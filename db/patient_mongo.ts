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
import type { MongoConfig } from "../config.ts";
import type { PatientRecord } from "../lib/patient_fields.ts";
import { PatientNotFoundError, StaleRevisionError, StoreUnavailableError } from "../lib/errors.ts";
import { onceSucceeded } from "./once.ts";
import {
  categoricalFilters,
  changeableFields,
  freeIdAfter,
  insertWithFreeId,
  newRevision,
  newRow,
} from "./patient_rows.ts";
import type { PatientFilter } from "../lib/patient_query.ts";
import type { PatientStore } from "../lib/patient_store.ts";

interface PatientDocument extends PatientRecord {
  user_id: number;
}

export interface MongoStoreOptions {
  /** How long an operation waits for a reachable server before answering 503 (ms). */
  serverSelectionTimeoutMs?: number | undefined;
}

const DUPLICATE_KEY = 11000;
/** Never sent to the app: the driver's `_id` and the owner. */
const PROJECTION = { _id: 0, user_id: 0 } as const;

/** The record without the server's `_id` and the owner. */
function toRecord(doc: PatientDocument & { _id?: unknown }): PatientRecord {
  const { _id, user_id: _owner, ...record } = doc;
  return record;
}

function isUnavailable(error: unknown): boolean {
  return error instanceof MongoNetworkError || error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError || error instanceof MongoTopologyClosedError ||
    error instanceof MongoOperationTimeoutError;
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
 * Indexes: the unique one the contract names, and one per field the list sorts or ranges on.
 * One command per index: FerretDB v1 drops the connection when a single `createIndexes`
 * names several indexes that already exist.
 */
async function ensureIndexes(collection: Collection<PatientDocument>): Promise<void> {
  await collection.createIndex({ user_id: 1, id: 1 }, { name: "user_id_1_id_1", unique: true });
  for (const field of ["age", "avg_glucose_level", "bmi", "stroke"]) {
    await collection.createIndex({ user_id: 1, [field]: 1, id: 1 }, {
      name: `user_id_1_${field}_1_id_1`,
    });
  }
}

/** Opens a client for the configured server. Connects lazily: an outage never throws here. */
export function openMongoPatientStore(
  config: MongoConfig,
  options: MongoStoreOptions = {},
): PatientStore {
  const timeout = options.serverSelectionTimeoutMs ?? 5000;
  const client = new MongoClient(config.uri, {
    appName: "stroke-patient-management",
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
  });
  const collection = client.db(config.database).collection<PatientDocument>(config.collection);
  const indexed = onceSucceeded(() => ensureIndexes(collection));

  /** Runs `work` once the indexes exist, turning a lost server into `StoreUnavailableError`. */
  async function run<T>(work: () => Promise<T>): Promise<T> {
    try {
      await indexed();
      return await work();
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailableError("patients", { cause: error });
      throw error;
    }
  }

  async function missOrStale(userId: number, id: number): Promise<never> {
    const exists = await collection.countDocuments({ user_id: userId, id }, { limit: 1 });
    if (exists > 0) throw new StaleRevisionError(id);
    throw new PatientNotFoundError(id);
  }

  function update(userId: number, id: number, changes: object, revision?: string) {
    return run(async () => {
      const filter: Filter<PatientDocument> = { user_id: userId, id };
      if (revision !== undefined) filter.revision = revision;
      const after = await collection.findOneAndUpdate(
        filter,
        { $set: { ...changeableFields(changes), updated_at: new Date(), revision: newRevision() } },
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

    create(userId, patient) {
      return run(() =>
        insertWithFreeId(patient, () => nextId(userId), async (id) => {
          const doc: PatientDocument = newRow(userId, patient, id, new Date());
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

    list(userId, { filter, sort, page, perPage }) {
      return run(async () => {
        const order: Sort = sort.field === "id"
          ? { id: sort.direction === "asc" ? 1 : -1 }
          : { [sort.field]: sort.direction === "asc" ? 1 : -1, id: 1 };
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

    replace: (userId, id, fields, revision) => update(userId, id, fields, revision),
    patch: (userId, id, changes, revision) => update(userId, id, changes, revision),

    delete(userId, id, revision) {
      return run(async () => {
        const filter: Filter<PatientDocument> = { user_id: userId, id };
        if (revision !== undefined) filter.revision = revision;
        const result = await collection.deleteOne(filter);
        if (result.deletedCount === 0) await missOrStale(userId, id);
      });
    },

    deleteAllOf(userId) {
      return run(async () => (await collection.deleteMany({ user_id: userId })).deletedCount);
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
