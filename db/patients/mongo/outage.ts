/**
 * What the MongoDB store remembers of an outage: when it last failed to reach the server at all
 * (no server selected, or no connection had, within `DB_TIMEOUT_MS`). For as long again after
 * that, new work is refused at once rather than waiting out the same outage: a request whose
 * steps each waited would take a timeout per step to its 503. A step that reached the server
 * forgets the outage, and work starting after the window tries the server again, so the store
 * recovers within about one timeout of the server's return.
 */
import { MongoServerError, MongoServerSelectionError } from "mongodb";

/** No connection could be had within `waitQueueTimeoutMS` (the driver does not export it). */
export const WAIT_QUEUE_TIMEOUT = "MongoWaitQueueTimeoutError";

/** True when `error` (or what caused it) is the driver giving up on reaching any server. */
function serverNotReached(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof MongoServerSelectionError || e.name === WAIT_QUEUE_TIMEOUT) return true;
  }
  return false;
}

export class OutageMemory {
  #lastAt = -Infinity;

  /** `windowMs`: how long new work is refused after the server was last not reached. */
  constructor(readonly windowMs: number) {}

  /** Whether the server was not reached within the window: new work fails at once. */
  get recent(): boolean {
    return performance.now() - this.#lastAt < this.windowMs;
  }

  /** Notes how a step failed: the server not reached, or reached (it refused the query). */
  note(error: unknown): void {
    if (serverNotReached(error)) this.#lastAt = performance.now();
    else if (error instanceof MongoServerError) this.reached();
  }

  /** Notes that a step reached the server. */
  reached(): void {
    this.#lastAt = -Infinity;
  }

  /**
   * Runs a step whose failure is no one's (a mark kept for speed, a cache's version): skipped
   * during an outage, its failure noted and dropped.
   */
  async bestEffort(step: () => Promise<unknown>): Promise<void> {
    if (this.recent) return;
    try {
      await step();
      this.reached();
    } catch (error) {
      this.note(error);
    }
  }
}
