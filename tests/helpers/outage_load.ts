/**
 * Clients that keep reading and writing while a test takes a database away and brings it back,
 * a record of every request they made, and the checks of what they saw: 503 (with Retry-After)
 * within 2 s for what needs the missing database, no other 5xx, everything else answering, and
 * recovery within 5 s of the database's return.
 */
import assert from "node:assert/strict";
import type { ApiCall } from "./api.ts";
import { taggedPatient, type WriteAttempt, type WriteKind } from "./acknowledged_writes.ts";

/** One request a client made: when (ms on `performance.now()`), and what came back. */
export interface Sample {
  client: string;
  /** The method and path. */
  what: string;
  /** Needs the database that the test takes away. */
  affected: boolean;
  start: number;
  end: number;
  status: number;
  retryAfter: string | null;
}

/** An answer as the clients read it. */
export interface Answer {
  status: number;
  headers: Headers;
}

/** The limits the issue sets. */
export const ANSWER_503_WITHIN_MS = 2000;
export const RECOVER_WITHIN_MS = 5000;

/** The requests of a run, and whether its clients should go on. */
export class Load {
  readonly samples: Sample[] = [];
  running = true;

  /** Sends one request and records it; the answer's body has been read. */
  async send<T extends Answer>(
    client: string,
    affected: boolean,
    what: string,
    call: () => Promise<T>,
  ): Promise<T> {
    const start = performance.now();
    const answer = await call();
    const end = performance.now();
    const retryAfter = answer.headers.get("Retry-After");
    this.samples.push({ client, affected, what, start, end, status: answer.status, retryAfter });
    return answer;
  }
}

/** Reads a response's body so that it counts as answered. */
export async function read(response: Response | Promise<Response>): Promise<Answer> {
  const res = await response;
  await res.arrayBuffer();
  return { status: res.status, headers: res.headers };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tags for writes: each write gets a new one, across clients. */
export class Tags {
  #next = 1;
  next(): number {
    return this.#next++;
  }
}

/**
 * A client of the JSON API that owns ids from `firstId`: creates each, replaces it twice,
 * deletes and restores it, then goes on to the next id, keeping every attempt. A step that
 * failed does not stop the next one (which may then be refused: 404, 409).
 */
export async function apiWriter(
  load: Load,
  name: string,
  affected: boolean,
  api: ApiCall,
  firstId: number,
  tags: Tags,
  attempts: WriteAttempt[],
): Promise<void> {
  for (let id = firstId; load.running; id++) {
    const steps: [WriteKind, string, string][] = [
      ["create", "POST", "/api/patient_data"],
      ["replace", "PUT", `/api/patient_data/${id}`],
      ["replace", "PUT", `/api/patient_data/${id}`],
      ["delete", "DELETE", `/api/patient_data/${id}`],
      ["restore", "POST", `/api/patient_data/${id}/restore`],
    ];
    for (const [kind, method, path] of steps) {
      const tag = kind === "create" || kind === "replace" ? tags.next() : null;
      const body = tag === null
        ? undefined
        : { ...taggedPatient(tag), ...(kind === "create" ? { id } : {}) };
      const res = await load.send(
        name,
        affected,
        `${method} ${path}`,
        () => api(method, path, body),
      );
      const etag = res.headers.get("ETag");
      const revision = res.status < 300 && etag ? etag.replaceAll('"', "") : null;
      attempts.push({ id, kind, tag, status: res.status, revision });
      assert.ok(
        [200, 201, 204, 404, 409, 503].includes(res.status),
        `${method} ${path} answered ${res.status}: ${res.text}`,
      );
      // An in-process 503 comes back at once: without a pause the writers would keep the event
      // loop to themselves, as no client over a network could.
      if (res.status === 503) await pause(15);
    }
  }
}

/** A client that asks for `paths` in turn (with a short pause) until the run ends. */
export async function reader(
  load: Load,
  name: string,
  affected: boolean,
  paths: readonly string[],
  get: (path: string) => Promise<Answer>,
): Promise<void> {
  for (let i = 0; load.running; i++) {
    const path = paths[i % paths.length]!;
    await load.send(name, affected, `GET ${path}`, () => get(path));
    await pause(15);
  }
}

export interface Outage {
  /** Takes the database away; resolves once it is gone. */
  down(): Promise<void>;
  /** Brings it back; resolves once it accepts connections again. */
  up(): Promise<void>;
}

export interface OutageTimes {
  /** The database is gone from here… */
  downAt: number;
  /** …until here, when the test starts bringing it back… */
  returnFrom: number;
  /** …and here it accepts connections again. */
  upAt: number;
  /** When every request that needs the database succeeded again. */
  recoveredAt: number;
}

/**
 * Runs the clients: `beforeMs` with the database there, `outageMs` without it, then until the
 * app has recovered (`recovered()` true) and `afterMs` more. Then stops them and waits.
 */
export async function runOutage(
  load: Load,
  clients: Promise<void>[],
  outage: Outage,
  recovered: () => Promise<boolean>,
  { beforeMs = 1500, outageMs = 3000, afterMs = 1000 } = {},
): Promise<OutageTimes> {
  const finished = Promise.all(clients).finally(() => load.running = false);
  finished.catch(() => {}); // a client's failure is thrown below, once they have all stopped
  try {
    await pause(beforeMs);
    await outage.down();
    const downAt = performance.now();
    await pause(outageMs);
    const returnFrom = performance.now();
    await outage.up();
    const upAt = performance.now();
    while (!(await recovered())) {
      assert.ok(performance.now() - upAt < 3 * RECOVER_WITHIN_MS, "the app never recovered");
      await pause(50);
    }
    await pause(afterMs);
    load.running = false;
    await finished;
    const recoveredAt = recoveryTime(load.samples, upAt);
    return { downAt, returnFrom, upAt, recoveredAt };
  } finally {
    load.running = false;
    await finished.catch(() => {});
  }
}

/** A page that works (a 4xx such as a 404 is the app answering, not failing). */
const ok = (s: Sample) => s.status < 400;
const failed = (s: Sample) => s.status >= 500;

/** The end of the first answer after the database's return that no failure followed. */
function recoveryTime(samples: readonly Sample[], upAt: number): number {
  const affected = samples.filter((s) => s.affected && s.start >= upAt);
  const lastFailure = Math.max(upAt, ...affected.filter(failed).map((s) => s.start));
  return affected.filter((s) => !failed(s) && s.start >= lastFailure)
    .reduce((min, s) => Math.min(min, s.end), Infinity);
}

/** What a run measured, for the report. */
export interface OutageReport {
  requests: number;
  duringOutage: number;
  answered503: number;
  max503Ms: number;
  median503Ms: number;
  maxUnaffectedMs: number;
  recoverMs: number;
}

/** Checks what the clients saw against the limits; returns the numbers. */
export function assertOutageBehaviour(samples: readonly Sample[], times: OutageTimes) {
  const { downAt, returnFrom, upAt, recoveredAt } = times;
  const failures = samples.filter((s) => s.status >= 500 && s.status !== 503);
  assert.deepEqual(failures, [], "no answer is a 5xx other than 503");
  const unavailable = samples.filter((s) => s.status === 503);
  const noRetryAfter = new Set(
    unavailable.filter((s) => s.retryAfter === null).map((s) => s.client),
  );
  assert.deepEqual([...noRetryAfter], [], "every 503 carries Retry-After");
  const unaffected = samples.filter((s) => !s.affected);
  const broken = unaffected.filter((s) => !ok(s));
  assert.deepEqual(broken, [], "requests that do not need the database keep working");
  // Everything that needs the database and was answered while it was away: 503, soon.
  const during = samples.filter((s) => s.affected && s.start >= downAt && s.end < returnFrom);
  assert.ok(during.length > 0, "requests were sent during the outage");
  const answered = during.filter((s) => s.status !== 503);
  assert.deepEqual(
    answered.map((s) =>
      `${s.client}: ${s.what} ${s.status} at ${(s.start - downAt).toFixed(0)}+${
        (s.end - s.start).toFixed(0)
      } ms`
    ),
    [],
    "all 503 during the outage",
  );
  const waitOf = (s: Sample) => s.end - Math.max(s.start, downAt);
  const slowest = unavailable.filter((s) => s.end > downAt && s.start < upAt)
    .sort((a, b) => waitOf(a) - waitOf(b));
  const waits = slowest.map(waitOf);
  const max503Ms = waits.at(-1) ?? 0;
  const last = slowest.at(-1);
  assert.ok(
    max503Ms < ANSWER_503_WITHIN_MS,
    `a 503 took ${max503Ms.toFixed(0)} ms: ${last?.client}: ${last?.what}, sent ${
      ((last?.start ?? 0) - downAt).toFixed(0)
    } ms after the database went`,
  );
  const recoverMs = recoveredAt - upAt;
  assert.ok(recoverMs < RECOVER_WITHIN_MS, `recovered ${recoverMs.toFixed(0)} ms after return`);
  return {
    requests: samples.length,
    duringOutage: samples.filter((s) => s.start >= downAt && s.start < upAt).length,
    answered503: unavailable.length,
    max503Ms,
    median503Ms: waits[Math.floor(waits.length / 2)] ?? 0,
    maxUnaffectedMs: Math.max(0, ...unaffected.map((s) => s.end - s.start)),
    recoverMs,
  } satisfies OutageReport;
}
