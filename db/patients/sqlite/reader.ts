/**
 * The embedded store's summary queries, and the reads that build big registries' list indexes
 * (`list_index.ts`), on a connection of their own, in a worker thread: SQLite answers a query
 * synchronously, and a query over every record of a big registry would hold the main thread
 * (every other request) for a quarter of a second or more. WAL lets the worker's connection read
 * beside the main one; it sees every write committed before a query is sent.
 */
import { StoreUnavailableError } from "../../../lib/errors.ts";
import type { BulkWrite } from "./bulk_writes.ts";
import type { ListIndexRead } from "./list_index.ts";
import type { SummaryRead } from "./store.ts";

/** What the worker can be asked to read (or, opened for writing, to write). */
export type WorkerRead = SummaryRead | ListIndexRead | BulkWrite;

/** The worker's first message: which file to open, and how. */
export interface ReaderOpen extends ReaderOptions {
  path: string;
}

export interface ReaderOptions {
  /** The thread's nice value (Linux): 19 lets every request go first. */
  nice?: number;
  /** The connection's page cache, when not the usual (KiB). */
  cacheKib?: number;
  /** Opened for the bulk writes (`bulk_writes.ts`); else read-only. */
  writes?: boolean;
  /** The connection checkpoints once the WAL holds this many pages (SQLite's default: 1,000). */
  walAutocheckpoint?: number;
}

/** A query to the worker, or its answer. */
export interface ReaderCall {
  id: number;
  name: WorkerRead;
  args: unknown[];
}
/** The last message: close the connection (answered once it is closed). */
export interface ReaderClose {
  id: number;
  close: true;
}
/** How long `close` waits for the worker to finish and close its connection (ms). */
const CLOSE_WAIT_MS = 10_000;
export type ReaderAnswer = { id: number; value: unknown } | { id: number; error: string };

/** One worker per store file, started with the first query and ended with the store. */
export class SqliteReader {
  #worker: Worker | null = null;
  #next = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(readonly path: string, readonly options: ReaderOptions = {}) {}

  /**
   * Runs `SUMMARY_READS[name](kysely, ...args)`, `LIST_INDEX_READS[name](connection, ...args)`
   * or `BULK_WRITES[name](connection, ...args)` in the worker.
   */
  call(name: WorkerRead, args: unknown[]): Promise<unknown> {
    const worker = this.#started();
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, name, args } satisfies ReaderCall);
    });
  }

  /**
   * Lets the worker finish what it was asked (a write in progress is not cut short), close its
   * connection — a connection left open would keep its locks on the file while this process
   * lives — and end; after `CLOSE_WAIT_MS` it is ended all the same.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    const id = this.#next++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise((resolve) => {
        this.#pending.set(id, { resolve, reject: resolve });
        worker.postMessage({ id, close: true } satisfies ReaderClose);
      }),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
    worker.terminate();
    if (this.#worker === worker) this.#worker = null;
    this.#fail("the store was closed");
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const url = new URL("./reader_worker.ts", import.meta.url);
    const worker = new Worker(url.href, { type: "module" });
    worker.postMessage({ path: this.path, ...this.options } satisfies ReaderOpen);
    worker.onmessage = (event: MessageEvent<ReaderAnswer>) => {
      const answer = event.data;
      const pending = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if (!pending) return;
      if ("value" in answer) pending.resolve(answer.value);
      else pending.reject(new Error(answer.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      // The next query starts a new worker; the ones waiting fail as an outage would.
      this.#worker?.terminate();
      this.#worker = null;
      this.#fail(event.message);
    };
    this.#worker = worker;
    return worker;
  }

  #fail(why: string): void {
    for (const { reject } of this.#pending.values()) {
      reject(new StoreUnavailableError("patients", { cause: new Error(why) }));
    }
    this.#pending.clear();
  }
}
