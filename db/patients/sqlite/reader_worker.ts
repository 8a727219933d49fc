/**
 * The worker of `reader.ts`: opens the store's file (the first message names it, and the
 * thread's CPU priority and page cache) on a read-only connection of its own, and answers
 * summary queries and list index reads (their typed arrays handed over, not copied) — or,
 * opened for writing, makes bulk writes.
 */
import { setPriority } from "node:os";
import type { DatabaseSync } from "node:sqlite";
import { SUMMARY_READS } from "./store.ts";
import { LIST_INDEX_READS } from "./list_index.ts";
import { BULK_WRITES } from "./bulk_writes.ts";
import type { ReaderAnswer, ReaderCall, ReaderClose, ReaderOpen } from "./reader.ts";
import type { Kysely } from "kysely";
import { kyselyOver, openSqliteDatabase } from "../../sqlite.ts";

/** The little of a worker's global scope used here (the checker sees window's types). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ReaderOpen | ReaderCall | ReaderClose>) => void) | null;
  postMessage(message: ReaderAnswer, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let handle: Kysely<unknown> | null = null;
let connection: DatabaseSync | null = null;

/** The buffers of the typed arrays in `value` (itself, its fields, their items): moved, not copied. */
function buffersIn(value: unknown): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) return [value.buffer as ArrayBuffer];
  if (Array.isArray(value)) return value.flatMap(buffersIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(buffersIn);
  return [];
}

scope.onmessage = async ({ data }) => {
  if ("path" in data) {
    // On Linux the nice value is a thread's own (setpriority(2)); elsewhere it would be the whole
    // process's, so it is left alone there.
    if (data.nice && Deno.build.os === "linux") {
      try {
        setPriority(data.nice);
      } catch {
        // Not allowed (no --allow-sys): the queries run at normal priority.
      }
    }
    connection = openSqliteDatabase(data.path);
    if (!data.writes) connection.exec("PRAGMA query_only = 1");
    if (data.cacheKib) connection.exec(`PRAGMA cache_size = -${data.cacheKib}`);
    if (data.walAutocheckpoint !== undefined) {
      connection.exec(`PRAGMA wal_autocheckpoint = ${data.walAutocheckpoint}`);
    }
    handle = kyselyOver(connection);
    return;
  }
  if ("close" in data) {
    await handle?.destroy(); // closes the connection
    handle = connection = null;
    scope.postMessage({ id: data.id, value: null });
    return;
  }
  const { id, name, args } = data;
  try {
    const onConnection = (LIST_INDEX_READS as Record<string, unknown>)[name] ??
      (BULK_WRITES as Record<string, unknown>)[name];
    if (onConnection) {
      const value = (onConnection as (c: DatabaseSync | null, ...a: unknown[]) => unknown)(
        connection,
        ...args,
      );
      scope.postMessage({ id, value }, buffersIn(value));
      return;
    }
    const read = SUMMARY_READS[name as keyof typeof SUMMARY_READS] as (
      handle: unknown,
      ...args: unknown[]
    ) => Promise<unknown>;
    scope.postMessage({ id, value: await read(handle, ...args) });
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
