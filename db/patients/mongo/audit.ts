/**
 * The audit log on MongoDB: collections beside the patients — `<collection>_audit`, the log, to
 * which the app only ever inserts (no update or delete of it exists in the code), and
 * `<collection>_audit_pending`, the journal of changes in progress. Settling a change is an
 * insert into the log and a delete from the small journal, never an update of the log: FerretDB
 * scans a whole collection for any update, so updating the log would slow every write as the log
 * grows.
 */
import { type Collection, type Filter, MongoServerError } from "mongodb";
import {
  type AuditEntry,
  type AuditLog,
  type AuditSearch,
  ChangeInProgressError,
  claimOf,
} from "../../../lib/audit.ts";
import type { OutageMemory } from "./outage.ts";

/** An entry as stored; in the journal, a change's `claim` too (see `claimOf`). */
type AuditDocument = Omit<AuditEntry, "id"> & { _id: string; claim?: string };

/** Newest first; entries of the same millisecond in the order they were written. */
const NEWEST_FIRST = { at: -1, _id: -1 } as const;

/** Entries per batch of `stream()`. */
const STREAM_BATCH = 1000;

const DUPLICATE_KEY = 11000;

/**
 * The log's indexes: by owner and patient (history), by owner (the admins' filter), by time; the
 * journal's: by time, and the unique claims of changes in progress (sparse: an entry without a
 * revision to start from has none).
 */
export async function ensureAuditIndexes(
  log: Collection<AuditDocument>,
  journal: Collection<AuditDocument>,
): Promise<void> {
  const indexes: [Record<string, 1 | -1>, string][] = [
    [{ owner_id: 1, patient_id: 1, at: -1 }, "owner_patient_at"],
    [{ owner_id: 1, at: -1 }, "owner_at"],
    [{ at: -1 }, "at"],
  ];
  for (const [keys, name] of indexes) await log.createIndex(keys, { name });
  await journal.createIndex({ at: 1 }, { name: "at" });
  await journal.createIndex({ claim: 1 }, { name: "claim", unique: true, sparse: true });
}

function toEntry(doc: AuditDocument): AuditEntry {
  const { _id, claim: _claim, ...rest } = doc;
  return { id: _id, ...rest };
}

function toDocument({ id, ...rest }: AuditEntry): AuditDocument {
  return { _id: id, ...rest };
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
 * The audit log over `collection` (the log) and `journal`; `run` waits for the indexes and turns
 * a lost server into `StoreUnavailableError`, and `guard` does the same for each step of a cursor;
 * `outage` skips the tidying of the journal while the server is away.
 */
export function mongoAuditLog(
  collection: Collection<AuditDocument>,
  journal: Collection<AuditDocument>,
  run: <T>(work: () => Promise<T>) => Promise<T>,
  guard: <T>(cursor: AsyncIterable<T>) => AsyncIterable<T>,
  outage: OutageMemory,
): AuditLog {
  return {
    append(entries) {
      return run(async () => {
        await collection.insertMany(entries.map(toDocument), { ordered: true });
      });
    },

    begin(entry) {
      return run(async () => {
        const claim = claimOf(entry);
        const doc = { ...toDocument(entry), ...(claim === null ? {} : { claim }) };
        // A duplicate key is the claim's when another entry holds it; FerretDB does not say
        // which index refused, so one whose holder has gone meanwhile is tried once more.
        for (let attempt = 1;; attempt++) {
          try {
            await journal.insertOne(doc);
            return;
          } catch (error) {
            const duplicate = error instanceof MongoServerError && error.code === DUPLICATE_KEY;
            if (!duplicate || claim === null) throw error;
            const holder = await journal.findOne({ claim });
            if (holder && holder._id !== entry.id) throw new ChangeInProgressError(toEntry(holder));
            if (holder || attempt === 2) throw error;
          }
        }
      });
    },

    finish(entry) {
      return run(async () => {
        let added = true;
        try {
          await collection.insertOne(toDocument(entry));
        } catch (error) {
          // Only the log having this very entry is fine; any other refusal is an error.
          const duplicate = error instanceof MongoServerError && error.code === DUPLICATE_KEY;
          if (!duplicate || !(await collection.findOne({ _id: entry.id }))) throw error;
          added = false;
        }
        // The log has it: a journal entry left behind is dropped by the housekeeping.
        await outage.bestEffort(() => journal.deleteOne({ _id: entry.id }));
        return added;
      });
    },

    get(id) {
      return run(async () => {
        const doc = await collection.findOne({ _id: id });
        return doc ? toEntry(doc) : null;
      });
    },

    forget(id) {
      return run(async () => {
        await journal.deleteOne({ _id: id });
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
        Promise.resolve(
          collection.find(filterOf(search)).sort(NEWEST_FIRST).batchSize(STREAM_BATCH),
        )
      );
      for await (const doc of guard(cursor)) yield toEntry(doc);
    },

    pending(before, limit) {
      return run(async () => {
        const docs = await journal.find({ at: { $lt: before } }).sort({ at: 1 }).limit(limit)
          .toArray();
        return docs.map(toEntry);
      });
    },

    continuedFrom(ownerId, revision, exceptId) {
      return run(async () => {
        const filter: Filter<AuditDocument> = {
          owner_id: ownerId,
          revision_before: revision,
          _id: { $ne: exceptId },
          status: { $ne: "failed" },
        };
        const doc = await journal.findOne(filter) ?? await collection.findOne(filter);
        return doc ? toEntry(doc) : null;
      });
    },
  };
}

export type { AuditDocument };
