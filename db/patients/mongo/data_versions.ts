/**
 * Each user's data version on MongoDB: one small document per user (`{_id: user id, version}`)
 * set to a fresh random value after every write to their live records, by whichever app instance
 * wrote. Summaries are cached under it, so an instance never serves a summary of data another
 * instance has changed since.
 */
import { type Collection, MongoServerError } from "mongodb";
import { LIVE_WRITES, type PatientStore } from "../../../lib/patient_store.ts";
import type { OutageMemory } from "./outage.ts";

export interface VersionDocument {
  _id: number;
  version: string;
}

const DUPLICATE_KEY = 11000;

/**
 * Sets the user's version to a new random value. An unconditional `$set` (never a read, then a
 * write): servers that do not apply a conditional update atomically (FerretDB v1) cannot lose it,
 * and the last of two concurrent bumps is as new as either.
 */
async function bump(versions: Collection<VersionDocument>, userId: number): Promise<void> {
  const set = { $set: { version: crypto.randomUUID() } };
  try {
    await versions.updateOne({ _id: userId }, set, { upsert: true });
  } catch (error) {
    // Two first writes raced to create the document: it exists now.
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    await versions.updateOne({ _id: userId }, set);
  }
}

/** The user's version ("0" before their first write). */
export async function readVersion(
  versions: Collection<VersionDocument>,
  userId: number,
): Promise<string> {
  return (await versions.findOne({ _id: userId }))?.version ?? "0";
}

/**
 * `store` with each write followed by a bump of the user's version: after the write, never
 * before, so a summary read under the new version sees the write. A failed write is bumped too
 * (an outage mid-write may have changed records). The write's own answer stands when the bump
 * fails or is skipped during an outage; cached summaries then age out (see SummaryCache).
 */
export function bumpingVersions(
  store: PatientStore,
  versions: Collection<VersionDocument>,
  outage: OutageMemory,
): PatientStore {
  const wrapped = { ...store };
  for (const name of LIVE_WRITES) {
    const original = store[name] as (userId: number, ...rest: unknown[]) => Promise<unknown>;
    (wrapped as Record<string, unknown>)[name] = async (userId: number, ...rest: unknown[]) => {
      try {
        return await original.call(store, userId, ...rest);
      } finally {
        await outage.bestEffort(() => bump(versions, userId));
      }
    };
  }
  return wrapped;
}
