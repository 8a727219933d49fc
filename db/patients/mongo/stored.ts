/**
 * How the MongoDB store finds and rewrites documents whoever wrote them: the app stores a record
 * under the `_id` `"<user_id>:<id>"`, while the original app's documents have ObjectIds and may
 * hold the id as text (`"31112"` is patient 31112); its documents, which have no revision, are
 * matched by their content when the app changes them.
 */
import type { Collection, Filter } from "mongodb";
import { PATIENT_FIELDS, type PatientRecord } from "../../../lib/patient_fields.ts";
import { appShape, readStoredValue } from "../../../lib/stored_patient.ts";

/** A document as stored (whoever wrote it), with its `_id`. */
export type StoredDocument = Record<string, unknown> & { _id: unknown };

/**
 * The `_id` the app stores the user's patient `id` under. Unique like `{user_id, id}`, and the
 * one condition FerretDB v1 hands to its storage: a lookup by it reads one document where any
 * other query reads the whole collection.
 */
export function keyOf(userId: number, id: number): string {
  return `${userId}:${id}`;
}

/**
 * The live document of the user's patient `id` as stored: by its keyed `_id`, else (a document
 * the original app or a version before keyed ids wrote, under an ObjectId) by `{user_id, id}`.
 */
export async function findLive(
  collection: Collection<StoredDocument>,
  userId: number,
  id: number,
): Promise<StoredDocument | null> {
  // A condition on `_id` alone: FerretDB hands no other query to its storage.
  const byKey = { _id: keyOf(userId, id) } as unknown as Filter<StoredDocument>;
  const keyed = await collection.findOne(byKey);
  if (keyed?.user_id === userId && readStoredValue("id", keyed.id) === id) return keyed;
  return await collection.findOne({ user_id: userId, id: idIs(id) });
}

/** The condition on `id` that finds patient `id` whether it is stored as a number or as text. */
export function idIs(id: number): { $in: (number | string)[] } {
  return { $in: [id, String(id)] };
}

/** The condition on `id` that finds any of `ids`, stored as numbers or as text. */
export function idIn(ids: readonly number[]): { $in: (number | string)[] } {
  return { $in: [...ids, ...ids.map(String)] };
}

/**
 * The condition that finds `doc` (a live document read with its `_id`) only while it is as it was
 * read: still without a revision and with every field as stored, or still at its revision.
 */
export function unchanged(
  doc: Readonly<Record<string, unknown>> & { _id: unknown },
  record: PatientRecord,
): Record<string, unknown> {
  if (typeof doc.revision === "string" && doc.revision !== "") {
    return { _id: doc._id, revision: record.revision };
  }
  const filter: Record<string, unknown> = { _id: doc._id, revision: null };
  for (const field of PATIENT_FIELDS) {
    filter[field] = doc[field] === undefined ? { $exists: false } : doc[field];
  }
  return filter;
}

/**
 * What a change writes besides its own fields into a document the app has never written (none
 * into one it has): every readable value in its type and `created_at` null (unknown).
 */
export function firstWrite(
  doc: Readonly<Record<string, unknown>>,
  record: PatientRecord,
): Record<string, unknown> {
  if (typeof doc.revision === "string" && doc.revision !== "") return {};
  return { ...appShape(record), ...(doc.created_at === undefined ? { created_at: null } : {}) };
}
