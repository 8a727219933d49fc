/**
 * How `deno task bench` measures a target and keeps what it measured: a warm-up and a measured
 * wrk run, any unexpected answer a `BenchFailure`, and the results every run adds to.
 */
import type { AppProcess, Child } from "./processes.ts";
import { fmtMiB, fmtMs, fmtRps } from "./report.ts";
import type { BenchSettings } from "./settings.ts";
import type { BigRegistryResult } from "../runs/big_registries.ts";
import type { CompressionResult } from "../runs/compression.ts";
import type { OperationResult } from "../runs/mongo_operations.ts";
import { problemsOf, runWrk, type WrkRequest, type WrkResult } from "./wrk.ts";

/** A run that cannot be trusted (an unexpected status, a socket error, a wrong answer). */
export class BenchFailure extends Error {}

/** A line of progress on stderr (stdout gets only the report). */
export function progress(message: string) {
  console.error(message);
}

/** GET requests of `paths`. */
export const gets = (paths: readonly string[]): WrkRequest[] =>
  paths.map((path) => ({ method: "GET", path }));

export type Backend = "embedded" | "mongodb";

interface Ratio {
  /** The id of the target compared with. */
  to: string;
  value: number;
}

export interface TargetResult {
  id: string;
  label: string;
  kind: "ceiling" | "app";
  backend: Backend | null;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  statuses: Record<string, number>;
  /** Bytes wrk read per response, headers included (a compressed body counts as sent). */
  bytes_per_response: number;
  /** The machine's 1-minute load average at the end of the measured run. */
  load_1m: number;
  /** The app's peak RSS during the measured run (bytes); null for ceilings. */
  app_peak_rss_bytes: number | null;
  ratios: Ratio[];
}

/** A single timed request (import, export). */
export interface SingleRun {
  id: string;
  label: string;
  backend: Backend;
  seconds: number;
  bytes: number;
  rows: number;
  mb_per_s: number;
  rows_per_s: number;
  app_peak_rss_bytes: number;
}

export interface StallResult {
  /** API random mix p99 with no logins (the "API random mix" target). */
  idle_p99_ms: number;
  /** The same mix, same connections, while logins run at `logins_per_second`. */
  under_logins_p99_ms: number;
  ratio: number;
  goal: number;
  met: boolean;
  under_logins_rps: number;
  logins_per_second: number;
  logins: {
    /** Logins sent during the measured window. */
    sent: number;
    /** Logins sent from the start of the ramp-up to the end of the window. */
    sent_in_all: number;
    /** Not sent because `maxLoginsInFlight` were unanswered (the app fell behind). */
    skipped: number;
    /** Of `sent_in_all`, those answered 303 (answers after the window's end included). */
    completed: number;
    /** Logins sent per second over the measured window. */
    sent_per_s: number;
    /** `completed` per second, from the first login sent to the last answer. */
    completed_per_s: number;
    p50_ms: number;
    p99_ms: number;
    statuses: Record<string, number>;
  };
}

/** Everything a bench run measured, in the order measured. */
export class Results {
  readonly targets: TargetResult[] = [];
  readonly singleRuns: SingleRun[] = [];
  stall: StallResult | null = null;
  /** Bytes per page plain, gzipped and brotli-compressed (runs/compression.ts). */
  readonly compression: CompressionResult[] = [];
  /** The app's peak RSS over its whole life, by backend. */
  readonly peaks: Record<string, number> = {};
  /** The random mix on big registries beside the dataset's (runs/big_registries.ts). */
  readonly bigRegistries: BigRegistryResult[] = [];
  /** The MongoDB store's single operations, one at a time (runs/mongo_operations.ts). */
  readonly operations: OperationResult[] = [];

  /** Adds `target`'s req/s as a fraction of each of `ceilings` (those measured). */
  ratio(target: string, ...ceilings: string[]) {
    const t = this.targets.find((r) => r.id === target);
    if (!t) return;
    for (const id of ceilings) {
      const c = this.targets.find((r) => r.id === id);
      if (c) t.ratios.push({ to: id, value: t.rps / c.rps });
    }
  }
}

/** What every run of the bench is given. */
export interface Bench {
  settings: BenchSettings;
  results: Results;
  /** The processes started so far, stopped (last first) when the bench ends. */
  children: Child[];
}

export interface TargetSpec {
  id: string;
  label: string;
  kind: "ceiling" | "app";
  backend: Backend | null;
  base: string;
  requests: WrkRequest[];
  headers?: Record<string, string>;
  connections: number;
  expected: number;
  timeoutSeconds?: number;
  /** Overrides of BENCH_SECONDS and BENCH_WARMUP_SECONDS. */
  seconds?: number;
  warmupSeconds?: number;
  /** The app process whose memory is watched (app targets). */
  app?: AppProcess;
}

/** A target of the embedded app: its base, memory, `connections` and a 200 unless given. */
export function appTarget(
  bench: Bench,
  app: AppProcess,
  spec: Omit<TargetSpec, "kind" | "base" | "app" | "backend" | "connections" | "expected"> & {
    connections?: number;
    expected?: number;
  },
): TargetSpec {
  return {
    kind: "app",
    backend: "embedded",
    base: app.child.base,
    app,
    connections: bench.settings.connections,
    expected: 200,
    ...spec,
  };
}

/** One wrk run of `spec`; a `BenchFailure` unless every answer is the expected status. */
export async function wrkOrFail(
  bench: Bench,
  spec: TargetSpec,
  seconds: number,
  what: string,
): Promise<WrkResult> {
  const result = await runWrk({
    base: spec.base,
    requests: spec.requests,
    headers: spec.headers ?? {},
    connections: spec.connections,
    threads: bench.settings.wrkThreads,
    seconds,
    ...(spec.timeoutSeconds ? { timeoutSeconds: spec.timeoutSeconds } : {}),
  });
  // A warm-up of slow requests (logins) may end before any answer: only errors count there.
  const problems = problemsOf(result, spec.expected, what === "warm-up");
  if (problems) {
    throw new BenchFailure(
      `${spec.label} (${what}): ${problems}` +
        (spec.app ? `\nThe app's stderr ended with:\n${spec.app.child.stderr()}` : ""),
    );
  }
  return result;
}

/** Warm-up, then the measured run, kept in the results. */
export async function measure(bench: Bench, spec: TargetSpec): Promise<TargetResult> {
  const warmup = spec.warmupSeconds ?? bench.settings.warmupSeconds;
  if (warmup > 0) await wrkOrFail(bench, spec, warmup, "warm-up");
  spec.app?.rss.reset();
  const run = await wrkOrFail(bench, spec, spec.seconds ?? bench.settings.seconds, "measured run");
  const peak = spec.app ? spec.app.rss.peak() : null;
  const result = toResult(spec, run, peak);
  bench.results.targets.push(result);
  progress(
    `  ${spec.label}: ${fmtRps(result.rps)} req/s, p50 ${fmtMs(result.p50_ms)}, p99 ${
      fmtMs(result.p99_ms)
    }${peak ? `, app peak RSS ${fmtMiB(peak)}` : ""}`,
  );
  return result;
}

/** A wrk run as a row of the results. */
export function toResult(spec: TargetSpec, run: WrkResult, peak: number | null): TargetResult {
  return {
    id: spec.id,
    label: spec.label,
    kind: spec.kind,
    backend: spec.backend,
    connections: spec.connections,
    seconds: run.seconds,
    requests: run.requests,
    rps: run.rps,
    p50_ms: run.latencyMs.p50,
    p90_ms: run.latencyMs.p90,
    p99_ms: run.latencyMs.p99,
    max_ms: run.latencyMs.max,
    statuses: run.statuses,
    bytes_per_response: run.requests > 0 ? run.bytes / run.requests : 0,
    load_1m: Deno.loadavg()[0]!,
    app_peak_rss_bytes: peak,
    ratios: [],
  };
}
