/**
 * Each user's highest patient id on MongoDB, kept in `<collection>_highest_ids` as
 * `{_id: user id, highest, derived_at}` so that a new record's id is one lookup by `_id`
 * (FerretDB v1 reads the whole collection for any other query). The mark is derived from the
 * documents — every id, the original app's text ids included — when it is missing or older than
 * `MARK_MAX_AGE_MS`, and raised after every insert of the app's; it is dropped when the record at
 * the mark is deleted or the user's records are removed. It is a starting point, never the guard:
 * the unique indexes (`_id` and `{user_id, id}`) refuse an id taken meanwhile, and the insert moves
 * on past it. What they cannot see — an id another program stores as text after the mark was
 * derived — is seen when it is next derived.
 */
import type { Collection } from "mongodb";
import { MAX_PATIENT_ID } from "../../../lib/patient_fields.ts";
import { readStoredValue } from "../../../lib/stored_patient.ts";
import { freeIdAfter, highestOf } from "../rows.ts";
import type { OutageMemory } from "./outage.ts";
import type { StoredDocument } from "./stored.ts";

export interface HighestIdDocument {
  _id: number;
  highest: number;
  /** When `highest` was last derived from the documents. */
  derived_at: Date;
}

/**
 * How long a mark is used before it is derived from the documents again: how long an id another
 * program stores as text can go unseen. Deriving costs two index reads on MongoDB but two reads
 * of the whole collection on FerretDB v1 (about a second at 5,000 records), paid by one create.
 */
export const MARK_MAX_AGE_MS = 10 * 60_000;

const DUPLICATE_KEY = 11000;
/** Ids per batch of the walk up for a free id (at the largest id only). */
const FREE_ID_BATCH = 10_000;
/**
 * After this many ids found taken in one create, the mark is derived from the documents again:
 * another program (the original app, a version before the mark) stored records above it.
 */
const RESCAN_AFTER = 5;
/** The ids that are numbers a new id must pass: 1 up to the largest. */
const ID_RANGE = { $gte: 1, $lte: MAX_PATIENT_ID };

/** The free-id search of the MongoDB store, over its live documents and the marks. */
export function mongoHighestIds(
  live: Collection<StoredDocument>,
  marks: Collection<HighestIdDocument>,
  outage: OutageMemory,
) {
  /** The user's ids stored as text that read as ids (the original app's `"31112"`, `" 7"`). */
  async function textIds(userId: number): Promise<number[]> {
    const out: number[] = [];
    const docs = live.find({ user_id: userId, id: { $type: "string" } }, {
      projection: { _id: 0, id: 1 },
    });
    for await (const { id } of docs) {
      const read = readStoredValue("id", id);
      if (typeof read === "number") out.push(read);
    }
    return out;
  }

  /** The user's highest id as the documents hold it: the highest number, or a text above it. */
  async function scan(userId: number): Promise<number> {
    const [top, texts] = await Promise.all([
      live.find({ user_id: userId, id: ID_RANGE }, { projection: { _id: 0, id: 1 } })
        .sort({ id: -1 }).limit(1).toArray(),
      textIds(userId),
    ]);
    return highestOf([top[0]?.id, ...texts]);
  }

  /**
   * Keeps `highest`, derived from the documents now, as the mark (an insert it did not see yet
   * is refused by the unique indexes when its id is tried, and the mark raised past it).
   */
  async function remember(userId: number, highest: number): Promise<void> {
    const update = { $set: { highest, derived_at: new Date() } };
    try {
      await marks.updateOne({ _id: userId }, update, { upsert: true });
    } catch (error) {
      // Two instances derived it at once: the mark exists now.
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      await marks.updateOne({ _id: userId }, update);
    }
  }

  /**
   * Raises the mark to `id` (a missing mark stays missing: it is derived when next needed). It
   * follows a write that is made already, so a failure is not the write's: the mark stays as it
   * was, and the unique indexes move the next new record past `id` all the same.
   */
  async function raise(userId: number, id: number): Promise<void> {
    await outage.bestEffort(() => marks.updateOne({ _id: userId }, { $max: { highest: id } }));
  }

  /** The user's highest id derived from the documents now, kept as the mark. */
  async function derive(userId: number): Promise<number> {
    const derived = await scan(userId);
    await remember(userId, derived);
    return derived;
  }

  /** The mark, unless it is missing or older than `MARK_MAX_AGE_MS` (then null). */
  async function freshMark(userId: number): Promise<number | null> {
    const mark = await marks.findOne({ _id: userId });
    const age = mark?.derived_at instanceof Date ? Date.now() - mark.derived_at.getTime() : NaN;
    return mark && age < MARK_MAX_AGE_MS ? mark.highest : null;
  }

  /** The user's highest id: the mark, or derived from the documents when missing or old. */
  async function highest(userId: number): Promise<number> {
    return await freshMark(userId) ?? await derive(userId);
  }

  /** Every stored id that reads as a number, ascending: numbers and text ids merged. */
  async function* ascendingIds(userId: number): AsyncIterable<number> {
    const texts = (await textIds(userId)).sort((a, b) => a - b);
    let next = 0;
    const numbers = live.find({ user_id: userId, id: ID_RANGE }, { projection: { _id: 0, id: 1 } })
      .sort({ id: 1 }).batchSize(FREE_ID_BATCH);
    for await (const { id } of numbers) {
      const read = readStoredValue("id", id);
      if (typeof read !== "number") continue;
      while (next < texts.length && texts[next]! <= read) yield texts[next++]!;
      yield read;
    }
    yield* texts.slice(next);
  }

  return {
    highest,
    raise,

    /**
     * Drops the mark (when the record at `id` has left, only if `id` is the mark). The removal is
     * made already: on a failure the mark stays, and the next new id is one after it until the
     * mark is derived again.
     */
    async forget(userId: number, id?: number): Promise<void> {
      const mark = id === undefined ? { _id: userId } : { _id: userId, highest: id };
      await outage.bestEffort(() => marks.deleteOne(mark));
    },

    /**
     * Those of `ids` the user has stored as text, in any form that reads as the id (the unique
     * index does not see them). Ids above a fresh mark were not among the text ids when it was
     * derived, and the app never writes one: only ids up to it are looked for.
     */
    async takenAsText(userId: number, ids: readonly number[]): Promise<Set<number>> {
      if (ids.length === 0) return new Set();
      const mark = await freshMark(userId);
      const asked = mark === null ? ids : ids.filter((id) => id <= mark);
      if (asked.length === 0) return new Set();
      const texts = new Set(await textIds(userId));
      return new Set(asked.filter((id) => texts.has(id)));
    },

    /**
     * The `nextId` of one create (see `insertWithFreeId`): one after the mark, and after an id
     * found taken (which raises the mark for every instance); after `RESCAN_AFTER` of those, one
     * after the highest id the documents hold.
     */
    nextIds(userId: number): (taken?: number) => Promise<number> {
      let collisions = 0;
      return async (taken) => {
        let known: number;
        if (taken === undefined) known = await highest(userId);
        else if (++collisions === RESCAN_AFTER) known = await derive(userId);
        else {
          await raise(userId, taken);
          known = await highest(userId);
        }
        return await freeIdAfter(Math.max(known, taken ?? 0), () => ascendingIds(userId));
      };
    },
  };
}

export type MongoHighestIds = ReturnType<typeof mongoHighestIds>;
