/**
 * The audit log on MongoDB: a collection beside the patients (`<collection>_audit`). The app
 * only inserts entries and settles pending ones (an update that matches `status: "pending"`
 * only); nothing removes one.
 */
import type { Collection, Filter } from "mongodb";
import type { AuditEntry, AuditLog, AuditSearch } from "../lib/audit.ts";

type AuditDocument = Omit<AuditEntry, "id"> & { _id: string };

/** Newest first; entries of the same millisecond in the order they were written. */
const NEWEST_FIRST = { at: -1, _id: -1 } as const;

/** Indexes: by owner and patient (history), by owner (the admins' filter), by time, pending ones. */
export async function ensureAuditIndexes(collection: Collection<AuditDocument>): Promise<void> {
  const indexes: [Record<string, 1 | -1>, string][] = [
    [{ owner_id: 1, patient_id: 1, at: -1 }, "owner_patient_at"],
    [{ owner_id: 1, at: -1 }, "owner_at"],
    [{ at: -1 }, "at"],
    [{ status: 1, at: 1 }, "status_at"],
  ];
  for (const [keys, name] of indexes) await collection.createIndex(keys, { name });
}

function toEntry(doc: AuditDocument): AuditEntry {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

function filterOf(search: AuditSearch): Filter<AuditDocument> {
  const filter: Filter<AuditDocument> = {};
  if (search.ownerId !== undefined) filter.owner_id = search.ownerId;
  if (search.action !== undefined) filter.action = search.action;
  if (search.patientId !== undefined) filter.patient_id = search.patientId;
  if (search.from !== undefined || search.to !== undefined) {
    filter.at = {
      ...(search.from !== undefined ? { $gte: search.from } : {}),
      ...(search.to !== undefined ? { $lt: search.to } : {}),
    };
  }
  return filter;
}

/**
 * The audit log over `collection`; `run` waits for the indexes and turns a lost server into
 * `StoreUnavailableError`, and `guard` does the same for each step of a cursor.
 */
export function mongoAuditLog(
  collection: Collection<AuditDocument>,
  run: <T>(work: () => Promise<T>) => Promise<T>,
  guard: <T>(cursor: AsyncIterable<T>) => AsyncIterable<T>,
): AuditLog {
  return {
    append(entries) {
      return run(async () => {
        const docs = entries.map(({ id, ...rest }) => ({ _id: id, ...rest }));
        await collection.insertMany(docs, { ordered: true });
      });
    },

    settle(id, outcome) {
      return run(async () => {
        const result = await collection.updateOne(
          { _id: id, status: "pending" },
          { $set: { ...outcome } },
        );
        return result.matchedCount === 1;
      });
    },

    history(ownerId, patientId) {
      return run(async () => {
        const docs = await collection.find({
          owner_id: ownerId,
          patient_id: patientId,
          status: "done",
        }).sort(NEWEST_FIRST).toArray();
        return docs.map(toEntry);
      });
    },

    search(search, { offset, limit }) {
      return run(async () => {
        const filter = filterOf(search);
        const [docs, total] = await Promise.all([
          collection.find(filter).sort(NEWEST_FIRST).skip(offset).limit(limit).toArray(),
          collection.countDocuments(filter),
        ]);
        return { items: docs.map(toEntry), total };
      });
    },

    async *stream(search) {
      const cursor = await run(() =>
        Promise.resolve(collection.find(filterOf(search)).sort(NEWEST_FIRST).batchSize(1000))
      );
      for await (const doc of guard(cursor)) yield toEntry(doc);
    },

    pending(before, limit) {
      return run(async () => {
        const docs = await collection.find({ status: "pending", at: { $lt: before } })
          .sort({ at: 1 }).limit(limit).toArray();
        return docs.map(toEntry);
      });
    },

    continuedFrom(ownerId, revision, exceptId) {
      return run(async () => {
        const doc = await collection.findOne({
          owner_id: ownerId,
          revision_before: revision,
          _id: { $ne: exceptId },
          status: { $ne: "failed" },
        });
        return doc ? toEntry(doc) : null;
      });
    },
  };
}

export type { AuditDocument };
