/**
 * How heavy work shares the main thread with the requests people wait for: it runs in slices,
 * lets waiting requests in between them (`breathe`), gives way while interactive requests are
 * being answered, and while they keep coming takes at most `HEAVY_SHARE` of the thread (`Pace`).
 * Interactive requests are noted by the `interactiveFirst` middleware.
 */
import { setImmediate } from "node:timers";

/**
 * The requests being answered now that are not heavy work (lists, forms, pages), by request id:
 * heavy work gives way to them (see `breathe`). A request that takes a heavy-work slot leaves.
 */
class InteractiveRequests {
  readonly #ids = new Set<string>();
  #waiters: (() => void)[] = [];
  /** When the last one began (`performance.now()`). */
  lastBegun = -Infinity;

  get size(): number {
    return this.#ids.size;
  }

  begin(id: string): void {
    this.#ids.add(id);
    this.lastBegun = performance.now();
  }

  end(id: string): void {
    if (!this.#ids.delete(id) || this.#ids.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once none is in flight, or after `ms`. */
  none(ms: number): Promise<void> {
    if (this.#ids.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }
}

export const interactiveRequests = new InteractiveRequests();

/** The longest a slice of heavy work waits for interactive requests to be answered (ms). */
const MAX_GIVE_WAY_MS = 20;

/**
 * The share of the main thread that heavy work may take in all while other requests come in, so
 * that a core is left to them (and to the rest of the machine); with none for a while
 * (`QUIET_MS`), heavy work takes what is free.
 */
export const HEAVY_SHARE = 0.25;
const QUIET_MS = 1000;
/** The most main-thread time heavy work may save up while it does not run (ms). */
const SAVED_MS = 50;
/** The longest a rest lasts (ms), and so the most debt heavy work can run up: a slow machine's long slices never add up to a stall. */
const MAX_REST_MS = 100;
const MAX_DEBT_MS = MAX_REST_MS * HEAVY_SHARE;

/** What heavy work may still use of the main thread: a bucket filled at `HEAVY_SHARE` of time. */
const budget = { ms: SAVED_MS, at: performance.now() };

function refill(now: number): void {
  budget.ms = Math.min(SAVED_MS, budget.ms + (now - budget.at) * HEAVY_SHARE);
  budget.at = now;
}

/**
 * Lets other requests in before a long job goes on: heavy work calls it between slices of a few
 * milliseconds. Whatever waits on the event loop runs first; then, while interactive requests
 * are being answered (a request takes several turns of the loop), the job waits for them, up to
 * `MAX_GIVE_WAY_MS` a slice, so that it slows down under load but never stops.
 */
export async function breathe(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (interactiveRequests.size > 0) await interactiveRequests.none(MAX_GIVE_WAY_MS);
}

/**
 * The pace of one heavy job: `breathe()` between its slices, and, while other requests come in,
 * a rest whenever heavy work in all has used more than `HEAVY_SHARE` of the main thread lately
 * (each slice counted from the job's last breath). A job makes one and calls it every few
 * milliseconds of work.
 */
export class Pace {
  #since = performance.now();

  async breathe(): Promise<void> {
    const now = performance.now();
    refill(now);
    const busy = now - interactiveRequests.lastBegun < QUIET_MS;
    if (busy) budget.ms = Math.max(-MAX_DEBT_MS, budget.ms - (now - this.#since));
    await breathe();
    if (busy && budget.ms < 0) {
      await new Promise((resolve) => setTimeout(resolve, -budget.ms / HEAVY_SHARE));
    }
    this.#since = performance.now();
  }
}
