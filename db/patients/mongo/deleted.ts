/**
 * "Recently deleted" on MongoDB: a collection beside the patients (`<collection>_deleted`).
 * Without transactions, every move copies first and removes second, so that a server that dies
 * between the two steps leaves the record in both places, never in none; the audit log's
 * pending entry tells the housekeeping which copy to keep (see `lib/audit_trail.ts`). A deleted
 * copy has an `_id` of its own (an id may be deleted more than once); a restored record is stored
 * under its keyed `_id` like a new one, whoever wrote it first.
 */
import { type Collection, MongoServerError } from "mongodb";
import {
  PatientIdTakenError,
  PatientNotFoundError,
  StaleRevisionError,
} from "../../../lib/errors.ts";
import type { DeletedRecord, DeletedRecordMethods } from "../../../lib/patient_store.ts";
import { readStoredPatient } from "../../../lib/stored_patient.ts";
import { findLive, firstWrite, keyOf, type StoredDocument, unchanged } from "./stored.ts";
import type { MongoHighestIds } from "./highest_ids.ts";
import { newRevision } from "../rows.ts";

export interface DeletedDocument extends DeletedRecord {
  user_id: number;
  /** The revision the live record had when it was deleted. */
  from_revision: string;
}

const DUPLICATE_KEY = 11000;
/** Never sent to the app. */
const HIDDEN = { _id: 0, user_id: 0, from_revision: 0 } as const;

/** The deleted collection's indexes: one copy per revision, by id, by time. */
export async function ensureDeletedIndexes(
  collection: Collection<DeletedDocument>,
): Promise<void> {
  await collection.createIndex({ user_id: 1, revision: 1 }, {
    name: "user_id_1_revision_1",
    unique: true,
  });
  await collection.createIndex({ user_id: 1, id: 1, deleted_at: -1 }, {
    name: "user_id_1_id_1_deleted_at_-1",
  });
  await collection.createIndex({ user_id: 1, deleted_at: -1 }, {
    name: "user_id_1_deleted_at_-1",
  });
  await collection.createIndex({ deleted_at: 1 }, { name: "deleted_at_1" });
}

/** A deleted copy as stored (whoever wrote the record) as a deleted record. */
function toDeletedRecord(doc: object): DeletedRecord {
  const stored = doc as Record<string, unknown>;
  const by = stored.deleted_by;
  return {
    ...readStoredPatient(stored),
    deleted_at: stored.deleted_at as Date,
    deleted_by: typeof by === "number" ? by : null,
  };
}

/**
 * The deleted-records half of the MongoDB store, over its live documents as stored and its
 * highest ids. `run` waits for the indexes and turns a lost server into `StoreUnavailableError`;
 * `missOrStale` throws the error for a write that matched no live record.
 */
export function mongoDeletedRecords(
  live: Collection<StoredDocument>,
  deleted: Collection<DeletedDocument>,
  ids: MongoHighestIds,
  run: <T>(work: () => Promise<T>) => Promise<T>,
  missOrStale: (userId: number, id: number) => Promise<never>,
): DeletedRecordMethods {
  return {
    delete(userId, id, revision, options = {}) {
      return run(async () => {
        const current = await findLive(live, userId, id);
        if (!current) throw new PatientNotFoundError(id);
        const record = readStoredPatient(current);
        if (revision !== undefined && record.revision !== revision) {
          throw new StaleRevisionError(id);
        }
        const { _id, ...fields } = current;
        const next = options.next ?? newRevision();
        // 1. The copy (in the app's shape, for a document the app never wrote): from here on the
        // record cannot be lost.
        await (deleted as unknown as Collection<Record<string, unknown>>).insertOne({
          ...fields,
          ...firstWrite(current, record),
          updated_at: fields.updated_at ?? null,
          revision: next,
          from_revision: record.revision,
          deleted_at: new Date(),
          deleted_by: options.by ?? null,
        });
        // 2. The live record leaves, unless it changed since it was read.
        const removed = await live.deleteOne(unchanged(current, record));
        if (removed.deletedCount === 1) {
          // The highest record left: the next new id is derived from the documents again.
          await ids.forget(userId, id);
          return;
        }
        await deleted.deleteOne({ user_id: userId, revision: next });
        await missOrStale(userId, id);
      });
    },

    listDeleted(userId, { page, perPage }) {
      return run(async () => {
        const [docs, total] = await Promise.all([
          deleted.find({ user_id: userId }, { projection: HIDDEN })
            .sort({ deleted_at: -1, id: 1 }).skip((page - 1) * perPage).limit(perPage).toArray(),
          deleted.countDocuments({ user_id: userId }),
        ]);
        return { items: docs.map(toDeletedRecord), total };
      });
    },

    getDeleted(userId, id) {
      return run(async () => {
        const [doc] = await deleted.find({ user_id: userId, id }, { projection: HIDDEN })
          .sort({ deleted_at: -1 }).limit(1).toArray();
        return doc ? toDeletedRecord(doc) : null;
      });
    },

    restore(userId, id, revision, next = newRevision()) {
      return run(async () => {
        const copy = await deleted.findOne({ user_id: userId, id, revision });
        if (!copy) throw new PatientNotFoundError(id);
        const { deleted_at: _at, deleted_by: _by, ...rest } = copy;
        const { _id, from_revision: _from, user_id: _owner, ...record } = rest as typeof rest & {
          _id: unknown;
        };
        const restored = { ...record, updated_at: new Date(), revision: next };
        // The unique indexes do not see an id the original app stored as text meanwhile.
        if ((await ids.takenAsText(userId, [id])).size) throw new PatientIdTakenError(id);
        // 1. The live record: from here on the record cannot be lost.
        try {
          await live.insertOne({ _id: keyOf(userId, id), ...restored, user_id: userId });
        } catch (error) {
          if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
            throw new PatientIdTakenError(id);
          }
          throw error;
        }
        await ids.raise(userId, id);
        // 2. The copy leaves (a purge racing with this restore may have removed it already).
        await deleted.deleteOne({ user_id: userId, revision });
        return readStoredPatient(restored);
      });
    },

    purge(userId, revision) {
      return run(async () =>
        (await deleted.deleteOne({ user_id: userId, revision })).deletedCount === 1
      );
    },

    expiredDeleted(before, limit) {
      return run(async () => {
        const docs = await deleted.find({ deleted_at: { $lt: before } })
          .sort({ deleted_at: 1 }).limit(limit).toArray();
        return docs.map((doc) => ({ userId: doc.user_id, record: toDeletedRecord(doc) }));
      });
    },

    findRevision(userId, revision) {
      return run(async () => {
        const found = await live.findOne({ user_id: userId, revision }, {
          projection: { _id: 0, user_id: 0 },
        });
        if (found) return { place: "live" as const, record: readStoredPatient(found) };
        const copy = await deleted.findOne({ user_id: userId, revision }, { projection: HIDDEN });
        return copy ? { place: "deleted" as const, record: toDeletedRecord(copy) } : null;
      });
    },
  };
}
