/**
 * Admissions on MongoDB (or FerretDB): a collection of their own beside the patients
 * (`<collection>_admissions`, `Patient_data_admissions` by default), so that the original
 * documents keep exactly the seed's fields. One document per admission, live or deleted
 * (`deleted_at`), times as dates (UTC). Indexes are made before the first operation, one
 * command each (FerretDB v1 drops the connection when one `createIndexes` names several that
 * exist already): the unique number per patient, the unique revision, arrival (the quality
 * indicators' period) and deletion time (the purge).
 */
import {
  type Collection,
  type Document,
  type FindCursor,
  MongoBulkWriteError,
  MongoServerError,
} from "mongodb";
import { AdmissionLimitError } from "../../../lib/admission_errors.ts";
import type {
  AdmissionStore,
  InsertedAdmissions,
  NewAdmission,
  StoredAdmission,
} from "../../../lib/admission_store.ts";
import { ADMISSION_INPUT_FIELDS } from "../../../lib/stroke/admission_fields.ts";
import { hasRoom, insertNumbered, nextAdmissionId } from "../admission_numbers.ts";
import { admissionWrites, type ConditionalWrite, missOrStale } from "../admission_writes.ts";
import { READ_BATCH } from "../batches.ts";

/** An admission as stored; `user_id` is the scope, as in the patients' collection. */
export interface AdmissionDocument extends StoredAdmission {
  user_id: number;
}

const DUPLICATE_KEY = 11000;
/** Never sent to the app. */
const HIDDEN = { _id: 0, user_id: 0 } as const;

const isDuplicate = (error: unknown) =>
  error instanceof MongoServerError && error.code === DUPLICATE_KEY;

/** The collection's indexes, one command each. */
export async function ensureAdmissionIndexes(
  collection: Collection<AdmissionDocument>,
): Promise<void> {
  await collection.createIndex({ user_id: 1, patient_id: 1, admission_id: 1 }, {
    name: "user_id_1_patient_id_1_admission_id_1",
    unique: true,
  });
  await collection.createIndex({ user_id: 1, revision: 1 }, {
    name: "user_id_1_revision_1",
    unique: true,
  });
  await collection.createIndex({ user_id: 1, arrival_at: 1 }, { name: "user_id_1_arrival_at_1" });
  await collection.createIndex({ deleted_at: 1 }, { name: "deleted_at_1" });
}

/** A stored document (without `_id` and `user_id`) as an admission, every field present. */
function toAdmission(doc: Record<string, unknown>): StoredAdmission {
  const out: Record<string, unknown> = {
    admission_id: doc.admission_id,
    patient_id: doc.patient_id,
    patient_created_at: doc.patient_created_at ?? null,
  };
  for (const field of ADMISSION_INPUT_FIELDS) out[field] = doc[field] ?? null;
  return {
    ...out,
    revision: doc.revision,
    created_at: doc.created_at,
    updated_at: doc.updated_at,
    deleted_at: doc.deleted_at ?? null,
    deleted_by: doc.deleted_by ?? null,
  } as StoredAdmission;
}

function documentOf(
  scope: number,
  admission: NewAdmission,
  id: number,
  revision: string,
  now: Date,
): AdmissionDocument {
  return {
    user_id: scope,
    patient_id: admission.patient_id,
    admission_id: id,
    patient_created_at: admission.patient_created_at,
    ...admission.fields,
    revision,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    deleted_by: null,
  };
}

/**
 * The admissions of the MongoDB patient store, in `collection`. `run` (the patient store's)
 * turns a lost server into `StoreUnavailableError`; `guard` does the same for a cursor.
 */
export function mongoAdmissionStore(
  collection: Collection<AdmissionDocument>,
  run: <T>(work: () => Promise<T>) => Promise<T>,
  guard: <T>(cursor: AsyncIterable<T>) => AsyncIterable<T>,
): AdmissionStore {
  let indexes: Promise<void> | null = null;
  /** The indexes, made once (tried again after a failure). */
  const indexed = () =>
    indexes ??= ensureAdmissionIndexes(collection).catch((error) => {
      indexes = null;
      throw error;
    });
  const use = <T>(work: () => Promise<T>) =>
    run(async () => {
      await indexed();
      return await work();
    });
  const key = (scope: number, patientId: number, admissionId: number) => ({
    user_id: scope,
    patient_id: patientId,
    admission_id: admissionId,
  });
  const takenNumbers = async (scope: number, patientId: number) =>
    (await collection.find({ user_id: scope, patient_id: patientId }, {
      projection: { _id: 0, admission_id: 1 },
    }).toArray()).map((doc) => doc.admission_id);

  /** One conditional write of a document at `revision`, in the state `live` says. */
  const write: ConditionalWrite = (scope, patientId, admissionId, revision, live, set) =>
    use(async () => {
      const after = await collection.findOneAndUpdate(
        {
          ...key(scope, patientId, admissionId),
          revision,
          deleted_at: live ? null : { $ne: null },
        },
        { $set: set },
        // No projection here: FerretDB v1 does not implement one on findAndModify.
        { returnDocument: "after" },
      );
      if (after) return toAdmission(after as unknown as Record<string, unknown>);
      const found = await collection.findOne(key(scope, patientId, admissionId));
      return missOrStale(found, patientId, admissionId, live);
    });

  /** A query's admissions, read by the driver's cursor `READ_BATCH` at a time. */
  async function* streamed(
    find: () => FindCursor<Document>,
  ): AsyncIterable<StoredAdmission> {
    await use(() => Promise.resolve());
    for await (const doc of guard(find().batchSize(READ_BATCH))) yield toAdmission(doc);
  }

  const store: AdmissionStore = {
    list(scope, patientId, state = "live") {
      return use(async () => {
        const live = state === "live";
        const docs = await collection.find(
          { user_id: scope, patient_id: patientId, deleted_at: live ? null : { $ne: null } },
          { projection: HIDDEN },
        ).sort(live ? { arrival_at: 1, admission_id: 1 } : { deleted_at: -1, admission_id: 1 })
          .toArray();
        return docs.map((doc) => toAdmission(doc));
      });
    },

    countOf(scope, patientIds) {
      return use(async () => {
        const counts = new Map<number, number>();
        // Counted here rather than by `$group`: the documents read are the numbers only.
        const docs = collection.find({ user_id: scope, patient_id: { $in: [...patientIds] } }, {
          projection: { _id: 0, patient_id: 1 },
        });
        for await (const { patient_id } of docs) {
          counts.set(patient_id, (counts.get(patient_id) ?? 0) + 1);
        }
        return counts;
      });
    },

    get(scope, patientId, admissionId) {
      return use(async () => {
        const doc = await collection.findOne(key(scope, patientId, admissionId), {
          projection: HIDDEN,
        });
        return doc ? toAdmission(doc) : null;
      });
    },

    create(scope, admission, next) {
      return use(() =>
        insertNumbered(
          admission,
          () => takenNumbers(scope, admission.patient_id),
          async (id) => {
            const doc = documentOf(scope, admission, id, next, new Date());
            await collection.insertOne({ ...doc });
            return toAdmission(doc as unknown as Record<string, unknown>);
          },
          isDuplicate,
        )
      );
    },

    insertMany(scope, admissions) {
      return use(async () => {
        const result: InsertedAdmissions = { stored: [], taken: [], full: [] };
        if (admissions.length === 0) return result;
        const patientIds = [...new Set(admissions.map((a) => a.patient_id))];
        const numbers = new Map<number, number[]>(patientIds.map((id) => [id, []]));
        const existing = collection.find({ user_id: scope, patient_id: { $in: patientIds } }, {
          projection: { _id: 0, patient_id: 1, admission_id: 1 },
        });
        for await (const doc of existing) numbers.get(doc.patient_id)!.push(doc.admission_id);
        // Rows that name their number first, so that a number given later is not taken by one
        // assigned earlier in the same batch.
        const order = admissions.map((_, i) => i).sort((a, b) =>
          Number(admissions[a]!.admission_id === undefined) -
          Number(admissions[b]!.admission_id === undefined)
        );
        const now = new Date();
        const docs: AdmissionDocument[] = new Array(admissions.length);
        const full = new Set<number>();
        for (const i of order) {
          const admission = admissions[i]!;
          const taken = numbers.get(admission.patient_id)!;
          if (!hasRoom(taken)) {
            full.add(i);
            continue;
          }
          const id = admission.admission_id ?? nextAdmissionId(taken);
          taken.push(id);
          docs[i] = documentOf(scope, admission, id, admission.revision, now);
        }
        const failed = new Set<number>();
        const writing = docs.flatMap((doc, i) => doc === undefined ? [] : [i]);
        try {
          if (writing.length > 0) {
            await collection.insertMany(writing.map((i) => ({ ...docs[i]! })), { ordered: false });
          }
        } catch (error) {
          if (!(error instanceof MongoBulkWriteError)) throw error;
          const writeErrors = [error.writeErrors].flat();
          if (writeErrors.some((e) => e.code !== DUPLICATE_KEY)) throw error;
          for (const e of writeErrors) failed.add(writing[e.index]!);
        }
        for (let i = 0; i < admissions.length; i++) {
          const admission = admissions[i]!;
          if (full.has(i)) {
            result.full.push(i);
          } else if (!failed.has(i)) {
            result.stored.push(toAdmission(docs[i] as unknown as Record<string, unknown>));
          } else if (admission.admission_id !== undefined) {
            result.taken.push(i);
          } else {
            // Its number was taken meanwhile by another create: it takes the next one (if the
            // patient still has room for it).
            try {
              result.stored.push(await store.create(scope, admission, admission.revision));
            } catch (error) {
              if (!(error instanceof AdmissionLimitError)) throw error;
              result.full.push(i);
            }
          }
        }
        return result;
      });
    },

    ...admissionWrites(write, { now: () => new Date(), field: (_, value) => value }),

    purge(scope, revision) {
      return use(async () =>
        (await collection.deleteOne({ user_id: scope, revision, deleted_at: { $ne: null } }))
          .deletedCount === 1
      );
    },

    expiredDeleted(before, limit) {
      return use(async () => {
        const docs = await collection.find({ deleted_at: { $ne: null, $lt: before } })
          .sort({ deleted_at: 1 }).limit(limit).toArray();
        return docs.map(({ _id, user_id, ...doc }) => ({
          scope: user_id,
          admission: toAdmission(doc),
        }));
      });
    },

    findRevision(scope, revision) {
      return use(async () => {
        const doc = await collection.findOne({ user_id: scope, revision }, { projection: HIDDEN });
        if (!doc) return null;
        const admission = toAdmission(doc);
        return { place: admission.deleted_at === null ? "live" : "deleted", admission };
      });
    },

    iterate(scope, from, to) {
      const arrival: Record<string, Date> = {};
      if (from) arrival.$gte = from;
      if (to) arrival.$lt = to;
      return streamed(() =>
        collection.find({
          user_id: scope,
          deleted_at: null,
          ...(from || to ? { arrival_at: arrival } : {}),
        }, { projection: HIDDEN })
      );
    },

    exportAll(scope) {
      return streamed(() =>
        collection.find({ user_id: scope, deleted_at: null }, { projection: HIDDEN })
          .sort({ patient_id: 1, admission_id: 1 })
      );
    },

    deleteAllOf(scope) {
      return use(async () => (await collection.deleteMany({ user_id: scope })).deletedCount);
    },
  };
  return store;
}
