/**
 * Gates for work that would otherwise starve the rest of the app. `WorkGate`: at most `slots` run
 * at once, the rest wait in order, and a caller that would wait longer than `maxWaitMs` is refused
 * with `BusyError` rather than queued without end (password hashing uses one). `HeavyWork`: the
 * heavy requests (summaries, the risk model, exports, imports) one at a time per user — a second
 * waits briefly, then `UserBusyError` (429) — and a few at a time in all. How heavy work shares
 * the main thread once it runs is `work_pace.ts`.
 */
import { BusyError, UserBusyError } from "./errors.ts";
import { interactiveRequests } from "./work_pace.ts";

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class WorkGate {
  #running = 0;
  readonly #waiting: { start: () => void; timer: ReturnType<typeof setTimeout> }[] = [];

  constructor(
    readonly slots: number,
    readonly maxWaitMs: number,
    /** What a refused caller is told (BusyError's own words when not given). */
    readonly busyMessage?: string,
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError("slots must be 1 or more");
  }

  /** Slots in use now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `work` when a slot is free; throws `BusyError` when none frees up in time. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Waits for a slot and returns its release; throws `BusyError` when none frees up in time. */
  async acquire(): Promise<Release> {
    if (this.#running >= this.slots) await this.#wait();
    else this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.start(); // the slot passes on
      } else this.#running--;
    };
  }

  #wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        start: resolve,
        timer: setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(entry), 1);
          reject(new BusyError(this.maxWaitMs, this.busyMessage));
        }, this.maxWaitMs),
      };
      this.#waiting.push(entry);
    });
  }
}

/** How much heavy work may run, per user and in all (see `HeavyWork`). */
export interface HeavyWorkLimits {
  /** Heavy requests of one user at a time. */
  perUser: number;
  /** How long a user's next heavy request waits for their running one, then 429 (ms). */
  userWaitMs: number;
  /** Heavy requests of all users at a time (in this process). */
  slots: number;
  /** How long a heavy request waits for a slot when every one is taken, then 503 (ms). */
  waitMs: number;
}

/**
 * Two heavy requests at a time in all (or one per core), each a user's only one: the heavy work
 * runs in short slices (see `breathe`), so that a list between two slices waits for at most a
 * slice of each; a user's second waits 3 s for their first, then is refused.
 */
export const DEFAULT_HEAVY_WORK_LIMITS: Readonly<HeavyWorkLimits> = Object.freeze({
  perUser: 1,
  userWaitMs: 3_000,
  slots: Math.max(2, globalThis.navigator?.hardwareConcurrency ?? 2),
  waitMs: 10_000,
});

/**
 * Who asks for heavy work: the user, and the request (whose nested asks share its slot; without
 * one, every ask is a request of its own).
 */
export interface WorkOwner {
  userId: number;
  requestId?: string | undefined;
}

/** What a user's running heavy request is, in words ("an export"), for the 429's message. */
export type WorkLabel = string;

interface Holder {
  /** How many of the request's asks hold the slot still. */
  depth: number;
  label: WorkLabel;
  /** Gives back the user's slot and the one of all. */
  release: Release;
}

interface UserLane {
  gate: WorkGate;
  /** The requests holding one of the user's slots. */
  holders: Map<string, Holder>;
}

/**
 * The heavy requests' limits. Kept in this process (each app instance has its own): behind a
 * load balancer a user could run one heavy request per instance, which still bounds the work.
 */
export class HeavyWork {
  readonly #lanes = new Map<number, UserLane>();
  readonly #all: WorkGate;

  constructor(readonly limits: HeavyWorkLimits = DEFAULT_HEAVY_WORK_LIMITS) {
    this.#all = new WorkGate(
      limits.slots,
      limits.waitMs,
      "The server is busy with other exports and summaries. Please try again in a few seconds.",
    );
  }

  /** Heavy requests running now, of all users. */
  get running(): number {
    return this.#all.running;
  }

  /** Runs `work` holding the owner's slot (see `acquire`). */
  async run<T>(owner: WorkOwner, label: WorkLabel, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(owner, label);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Takes one of the user's slots and one of all, for as long as the caller holds them (a
   * streamed export until its last byte). The same request asking again shares what it holds.
   * Throws `UserBusyError` when the user's running work does not end in time, `BusyError` when
   * no slot of all frees up in time.
   */
  async acquire(owner: WorkOwner, label: WorkLabel): Promise<Release> {
    const lane = this.#laneOf(owner.userId);
    const request = owner.requestId ?? crypto.randomUUID();
    interactiveRequests.end(request); // heavy now: it gives way, rather than being given way to
    const held = lane.holders.get(request);
    if (held) {
      held.depth++;
      return once(() => this.#leave(owner.userId, request, lane));
    }
    let releaseUser: Release;
    try {
      releaseUser = await lane.gate.acquire();
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      const running = [...lane.holders.values()].map((h) => h.label);
      this.#forgetIdle(owner.userId, lane);
      throw new UserBusyError(this.limits.userWaitMs, running[0] ?? "another request", label);
    }
    let releaseAll: Release;
    try {
      releaseAll = await this.#all.acquire();
    } catch (error) {
      releaseUser();
      this.#forgetIdle(owner.userId, lane);
      throw error;
    }
    lane.holders.set(request, {
      depth: 1,
      label,
      release: () => {
        releaseAll();
        releaseUser();
      },
    });
    return once(() => this.#leave(owner.userId, request, lane));
  }

  #laneOf(userId: number): UserLane {
    let lane = this.#lanes.get(userId);
    if (!lane) {
      lane = {
        gate: new WorkGate(this.limits.perUser, this.limits.userWaitMs),
        holders: new Map(),
      };
      this.#lanes.set(userId, lane);
    }
    return lane;
  }

  #leave(userId: number, request: string, lane: UserLane): void {
    const held = lane.holders.get(request);
    if (!held || --held.depth > 0) return;
    lane.holders.delete(request);
    held.release();
    this.#forgetIdle(userId, lane);
  }

  /** Users with nothing running or waiting are not kept. */
  #forgetIdle(userId: number, lane: UserLane): void {
    if (lane.gate.running === 0 && lane.holders.size === 0) this.#lanes.delete(userId);
  }
}

function once(release: Release): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
