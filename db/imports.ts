/**
 * CSV uploads waiting between their preview and their import, in the accounts database (so any
 * app instance can show the preview, run the import and report its progress).
 */
import type { AccountsDb } from "./accounts_db.ts";
import type { ImportsTable } from "./accounts_schema.ts";

/** Bytes per stored piece of an upload (under every database's packet limit). */
const CHUNK_BYTES = 512 * 1024;

export type ImportStatus = "previewed" | "running" | "done" | "failed";

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
  };
}

/** Stores an upload; returns its new job (status `previewed`, no result yet). */
export function saveUpload(
  accounts: AccountsDb,
  upload: { userId: number; fileName: string; bytes: Uint8Array; onConflict: "skip" | "update" },
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
  };
  return accounts.run(async (db) => {
    for (let seq = 0; seq * CHUNK_BYTES < upload.bytes.length; seq++) {
      const data = upload.bytes.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES);
      await db.insertInto("import_chunks").values({ import_id: row.id, seq, data }).execute();
    }
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
export async function* uploadBytes(accounts: AccountsDb, id: string): AsyncIterable<Uint8Array> {
  for (let seq = 0;; seq++) {
    const row = await accounts.run((db) =>
      db.selectFrom("import_chunks").select("data").where("import_id", "=", id)
        .where("seq", "=", seq).executeTakeFirst()
    );
    if (!row) return;
    yield new Uint8Array(row.data);
  }
}

/** Records what happened to an upload. */
export function updateImport(
  accounts: AccountsDb,
  id: string,
  changes: Partial<
    Pick<ImportJob, "status" | "rowsTotal" | "rowsDone" | "onConflict"> & { result: unknown }
  >,
): Promise<void> {
  return accounts.run(async (db) => {
    await db.updateTable("imports").set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.rowsTotal !== undefined ? { rows_total: changes.rowsTotal } : {}),
      ...(changes.rowsDone !== undefined ? { rows_done: changes.rowsDone } : {}),
      ...(changes.onConflict !== undefined ? { on_conflict: changes.onConflict } : {}),
      ...(changes.result !== undefined ? { result: JSON.stringify(changes.result) } : {}),
      updated_at: Date.now(),
    }).where("id", "=", id).execute();
  });
}

/**
 * Moves an upload from `from` to `running`, atomically: false when another request started
 * it first (a double click, or a second tab), so that one file is imported once.
 */
export function claimImport(
  accounts: AccountsDb,
  id: string,
  from: ImportStatus,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("imports").set({
      status: "running",
      updated_at: Date.now(),
    })
      .where("id", "=", id).where("status", "=", from).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  });
}

/** Removes uploads (and their files) last touched before `before`; returns how many. */
export function deleteOldImports(accounts: AccountsDb, before: number): Promise<number> {
  return accounts.run(async (db) => {
    const old = await db.selectFrom("imports").select("id").where("updated_at", "<", before)
      .execute();
    if (old.length === 0) return 0;
    const ids = old.map((row) => row.id);
    await db.deleteFrom("import_chunks").where("import_id", "in", ids).execute();
    await db.deleteFrom("imports").where("id", "in", ids).execute();
    return ids.length;
  });
}
