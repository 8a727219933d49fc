/**
 * A gate for CPU-heavy work (password hashing): at most `slots` run at once, the rest wait in
 * order, and a caller that would wait longer than `maxWaitMs` is refused with `BusyError` rather
 * than queued without end. So bcrypt can take at most `slots` cores, whatever the login rate,
 * and the rest of the app keeps its share of the machine.
 */
import { BusyError } from "./errors.ts";

export class WorkGate {
  #running = 0;
  readonly #waiting: { start: () => void; timer: ReturnType<typeof setTimeout> }[] = [];

  constructor(readonly slots: number, readonly maxWaitMs: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError("slots must be 1 or more");
  }

  /** Runs `work` when a slot is free; throws `BusyError` when none frees up in time. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.slots) await this.#wait();
    else this.#running++;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start(); // the slot passes on
      } else this.#running--;
    }
  }

  #wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        start: resolve,
        timer: setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(entry), 1);
          reject(new BusyError(this.maxWaitMs));
        }, this.maxWaitMs),
      };
      this.#waiting.push(entry);
    });
  }
}
