/**
 * WAL checkpoints while an import's batches are written. A transaction of 5,000 new records in a
 * store of a million dirties some 9,000 pages (the indexes of age, glucose, BMI and the filters
 * take their entries at random places), each written to the WAL at the commit and copied into
 * the file by the checkpoint after it: 15 kB written a row, and the disk's bandwidth is what an
 * import of a million rows waits for. So the writing worker checkpoints only once the WAL holds
 * `BULK_WAL_PAGES` pages (`reader_worker.ts`): a page that several transactions wrote is copied
 * once, and a third fewer bytes reach the disk. Meanwhile the app's connection does not
 * checkpoint — its next commit (another user's edit, a record viewed) would otherwise copy the
 * whole backlog on the app's thread — and once the bulk writes have stopped for `QUIET_MS` the
 * worker copies what is left and the app's connection checkpoints as before. A crash loses
 * nothing by it: what is in the WAL is committed.
 */
import type { DatabaseSync } from "node:sqlite";
import type { SqliteReader } from "./reader.ts";

/** The writing worker's checkpoint threshold (pages of 4 KiB: 160 MiB). */
export const BULK_WAL_PAGES = 40_000;
/** SQLite's own threshold, the app's connection's when no bulk write is going on (pages). */
const DEFAULT_WAL_PAGES = 1000;
/** How long the bulk writes must have stopped before the backlog is copied (ms). */
const QUIET_MS = 1000;

/** Runs bulk writes in the writing worker with the app's connection's checkpoints held. */
export class BulkCheckpoints {
  #inFlight = 0;
  #held = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly database: DatabaseSync, readonly writer: SqliteReader) {}

  /** Runs `write` (a call to the writing worker). */
  async around<T>(write: () => Promise<T>): Promise<T> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#held) {
      this.database.exec("PRAGMA wal_autocheckpoint = 0");
      this.#held = true;
    }
    this.#inFlight++;
    try {
      return await write();
    } finally {
      if (--this.#inFlight === 0) {
        const timer = setTimeout(() => this.#release(), QUIET_MS);
        Deno.unrefTimer(timer);
        this.#timer = timer;
      }
    }
  }

  /** The backlog copied by the worker, then the app's connection checkpoints again. */
  async #release(): Promise<void> {
    this.#timer = undefined;
    await this.writer.call("checkpoint", []).catch(() => {});
    if (this.#inFlight === 0 && this.#timer === undefined) this.#restore();
  }

  #restore(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      this.database.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_WAL_PAGES}`);
    } catch {
      // Closed meanwhile.
    }
  }

  /** Before the store closes: the app's connection as it was (the last one to close copies all). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#restore();
  }
}
