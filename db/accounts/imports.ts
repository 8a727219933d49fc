/**
 * CSV uploads waiting between their preview and their import, in the accounts database (so any
 * app instance can show the preview, run the import and report its progress), within a quota:
 * a few waiting uploads per user and a total for the app. A running import is held by a lease
 * that its run renews; once the lease runs out (its instance died), any instance may take the
 * import over and go on from its checkpoint.
 */
import { readChunks, writeChunks } from "./chunks.ts";
import type { AccountsDb } from "./database.ts";
import { jobLeases } from "./leases.ts";
import type { ImportsTable } from "./schema.ts";
import { formatCount } from "../../lib/count_format.ts";
import { ThrottledError } from "../../lib/errors.ts";

export type ImportStatus = "previewed" | "running" | "done" | "failed";

/** The statuses whose upload is kept (a done import's file is removed; its report stays). */
const HOLDING_FILE: ImportStatus[] = ["previewed", "running", "failed"];

/** An upload and what has been done with it. */
export interface ImportJob {
  id: string;
  userId: number;
  fileName: string;
  bytes: number;
  onConflict: "skip" | "update";
  status: ImportStatus;
  rowsTotal: number;
  rowsDone: number;
  /** The preview's or the import's result (JSON the caller defined). */
  result: unknown;
  createdAt: Date;
  updatedAt: Date;
  /** The token of the run that holds the import, and until when (null: none). */
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Runs started so far. */
  attempts: number;
  /** What a run needs to go on from another (JSON the caller defined), or null. */
  run: unknown;
}

/** How many uploads a user may have waiting, and how many bytes of uploads the app keeps. */
export interface UploadQuota {
  perUser: number;
  totalBytes: number;
}

function toJob(row: ImportsTable): ImportJob {
  return {
    id: row.id,
    userId: Number(row.user_id),
    fileName: row.file_name,
    bytes: Number(row.bytes),
    onConflict: row.on_conflict === "update" ? "update" : "skip",
    status: row.status as ImportStatus,
    rowsTotal: Number(row.rows_total),
    rowsDone: Number(row.rows_done),
    result: JSON.parse(row.result),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : new Date(Number(row.lease_until)),
    attempts: Number(row.attempts),
    run: row.run === null ? null : JSON.parse(row.run),
  };
}

/**
 * Stores an upload; returns its new job (status `previewed`, no result yet). A user's oldest
 * waiting uploads beyond `quota.perUser - 1` are removed to make room (a running one never is);
 * when the app already keeps `quota.totalBytes` of uploads, the upload is refused with
 * `ThrottledError`.
 */
export function saveUpload(
  accounts: AccountsDb,
  upload: { userId: number; fileName: string; bytes: Uint8Array; onConflict: "skip" | "update" },
  quota: UploadQuota,
): Promise<ImportJob> {
  const now = Date.now();
  const row: ImportsTable = {
    id: crypto.randomUUID(),
    user_id: upload.userId,
    file_name: upload.fileName.slice(0, 255),
    bytes: upload.bytes.length,
    on_conflict: upload.onConflict,
    status: "previewed",
    rows_total: 0,
    rows_done: 0,
    result: "null",
    created_at: now,
    updated_at: now,
    lease_owner: null,
    lease_until: null,
    attempts: 0,
    run: null,
  };
  return accounts.run(async (db) => {
    const waiting = await db.selectFrom("imports").select(["id", "status"])
      .where("user_id", "=", upload.userId).where("status", "in", ["previewed", "failed"])
      .orderBy("updated_at", "desc").execute();
    const replaced = waiting.slice(Math.max(0, quota.perUser - 1)).map((r) => r.id);
    await removeImports(accounts, replaced);
    const kept = await db.selectFrom("imports")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("bytes"), eb.lit(0)).as("bytes"))
      .where("status", "in", HOLDING_FILE).executeTakeFirstOrThrow();
    if (Number(kept.bytes) + upload.bytes.length > quota.totalBytes) {
      throw new ThrottledError(
        3_600_000,
        `The app already keeps ${
          formatCount(Math.round(Number(kept.bytes) / 1_000_000))
        } MB of files waiting to be imported, the most it holds. Please try again in an hour.`,
      );
    }
    await writeChunks(db, "import_chunks", { import_id: row.id }, upload.bytes);
    await db.insertInto("imports").values(row).execute();
    return toJob(row);
  });
}

/** The user's upload with this id, or null (also for another user's). */
export function findImport(
  accounts: AccountsDb,
  userId: number,
  id: string,
): Promise<ImportJob | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("imports").selectAll().where("id", "=", id)
      .where("user_id", "=", userId).executeTakeFirst();
    return row ? toJob(row) : null;
  });
}

/** The uploaded file, piece by piece (one piece in memory at a time). */
export function uploadBytes(accounts: AccountsDb, id: string): AsyncIterable<Uint8Array> {
  return readChunks(accounts, "import_chunks", { import_id: id });
}

/** Records a preview of an upload that no run holds. */
export function updatePreview(
  accounts: AccountsDb,
  id: string,
  changes: { onConflict: "skip" | "update"; rowsTotal: number; result: unknown },
): Promise<void> {
  return accounts.run(async (db) => {
    await db.updateTable("imports").set({
      on_conflict: changes.onConflict,
      rows_total: changes.rowsTotal,
      result: JSON.stringify(changes.result),
      updated_at: Date.now(),
    }).where("id", "=", id).where("status", "=", "previewed").execute();
  });
}

/**
 * Starts a run of an upload in one of the `from` statuses, atomically: false when another
 * request started it first (a double click, or a second tab), so that one file is imported
 * once. The run holds the import as `owner` for `leaseMs`.
 */
export function claimImport(
  accounts: AccountsDb,
  id: string,
  from: ImportStatus[],
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const now = Date.now();
    const result = await db.updateTable("imports").set((eb) => ({
      status: "running",
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: eb("attempts", "+", 1),
      updated_at: now,
    })).where("id", "=", id).where("status", "in", from).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  });
}

/** A running import is held by a lease (see leases.ts). */
const leases = jobLeases("imports", ["running"]);

/**
 * Takes over a running import whose lease ran out by `now` (its instance is gone), as `owner`:
 * false when it is not such an import, or another instance took it first.
 */
export const takeOverImport = leases.takeOver;

/**
 * Renews the lease of the run `owner` (and records its progress, when given): false when the
 * run no longer holds the import (another instance took it over).
 */
export function renewLease(
  accounts: AccountsDb,
  id: string,
  owner: string,
  leaseMs: number,
  progress?: { rowsDone: number; run: unknown },
): Promise<boolean> {
  return leases.renew(
    accounts,
    id,
    owner,
    leaseMs,
    progress ? { rows_done: progress.rowsDone, run: JSON.stringify(progress.run) } : {},
  );
}

/**
 * Ends the run `owner` holds: `done` with its result (the upload itself is then removed; the
 * report stays), or `failed` (the upload is kept, to run again). False when the run no longer
 * held the import.
 */
export function finishImport(
  accounts: AccountsDb,
  id: string,
  owner: string,
  outcome: { status: "done"; result: unknown; rowsDone: number } | { status: "failed" },
): Promise<boolean> {
  return accounts.run(async (db) => {
    const finished = await leases.end(db, id, owner, {
      status: outcome.status,
      ...(outcome.status === "done"
        ? { result: JSON.stringify(outcome.result), rows_done: outcome.rowsDone }
        : {}),
    });
    if (finished && outcome.status === "done") {
      await db.deleteFrom("import_chunks").where("import_id", "=", id).execute();
    }
    return finished;
  });
}

/** Running imports whose lease ran out before `now`, oldest first. */
export async function stalledImports(
  accounts: AccountsDb,
  now: number,
  limit: number,
): Promise<ImportJob[]> {
  return (await leases.stalled(accounts, now, limit)).map(toJob);
}

/** Removes uploads and their files. */
async function removeImports(accounts: AccountsDb, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await accounts.run(async (db) => {
    await db.deleteFrom("import_chunks").where("import_id", "in", ids).execute();
    await db.deleteFrom("imports").where("id", "in", ids).execute();
  });
}

/**
 * Removes uploads (and their files) last touched before `before`, except a running import
 * whose run still holds it; returns how many.
 */
export function deleteOldImports(accounts: AccountsDb, before: number): Promise<number> {
  return accounts.run(async (db) => {
    const old = await db.selectFrom("imports").select("id").where("updated_at", "<", before)
      .where((eb) => eb.or([eb("status", "!=", "running"), eb("lease_until", "<", before)]))
      .execute();
    const ids = old.map((row) => row.id);
    await removeImports(accounts, ids);
    return ids.length;
  });
}
