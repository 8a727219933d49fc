/** The benchmarks' settings, read once from the environment (named in the entry files' headers). */
import { fileURLToPath } from "node:url";

const env = Deno.env.toObject();

/** A number from `name`, or `fallback` when unset or empty; throws on anything else. */
function numberSetting(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`${name} must be a number`);
  return value;
}

/** A comma-separated list of whole numbers from `name` (`1_000_000` allowed); empty: none. */
function sizesSetting(name: string, fallback: string): number[] {
  return (env[name] ?? fallback).split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = Number(s.replaceAll("_", ""));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}: "${s}" is not a size`);
    return n;
  });
}

/** A text setting, or null when unset or blank. */
function textSetting(name: string): string | null {
  return env[name]?.trim() || null;
}

/** The groups of targets `deno task bench` runs, in order (BENCH_ONLY picks some). */
export const BENCH_GROUPS = [
  "ceilings",
  "api",
  "browser",
  "compression",
  "transfers",
  "login",
  "mongo",
] as const;
export type BenchGroup = (typeof BENCH_GROUPS)[number];

/** The groups named in `name` (comma-separated), or every group when it is unset or empty. */
function groupsSetting(name: string): ReadonlySet<BenchGroup> {
  const named = (env[name] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const group of named) {
    if (!(BENCH_GROUPS as readonly string[]).includes(group)) {
      throw new Error(`${name}: "${group}" is not one of ${BENCH_GROUPS.join(", ")}`);
    }
  }
  return new Set(named.length ? named as BenchGroup[] : BENCH_GROUPS);
}

/** `deno task bench`'s settings. */
export interface BenchSettings {
  /** The groups of targets to run (BENCH_ONLY; all by default). */
  groups: ReadonlySet<BenchGroup>;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** FerretDB takes a second or more a list: fewer connections keep its latency bounded. */
  mongoConnections: number;
  /** At a second or more a list on FerretDB, shorter runs would hold a handful of answers. */
  mongoSeconds: number;
  /** bcrypt (cost 12) takes about 300 ms of a core per login here. */
  loginConnections: number;
  /** A short run would hold no login's answer (a few a second at best, fewer on a busy machine). */
  loginSeconds: number;
  loginsPerSecond: number;
  seed: number;
  mixSize: number;
  wrkThreads: number;
  editRequests: number;
  /** The highest p99 under logins, as a multiple of idle, that counts as no stall. */
  stallGoal: number;
  /**
   * The paced logins stop sending (and count what they skip) while this many are unanswered: a
   * queue that cannot drain within the window would only delay the next targets.
   */
  maxLoginsInFlight: number;
  resultsDir: string;
  mongoUri: string | null;
  /** Sizes of the big registries listed beside the dataset's (none: skipped). */
  bigSizes: number[];
  /** Their warm-up: a registry's first lists wait for its list index to be built. */
  bigWarmupSeconds: number;
}

export function benchSettings(): BenchSettings {
  const seconds = numberSetting("BENCH_SECONDS", 10);
  return {
    groups: groupsSetting("BENCH_ONLY"),
    seconds,
    warmupSeconds: numberSetting("BENCH_WARMUP_SECONDS", Math.min(2, seconds)),
    connections: numberSetting("BENCH_CONNECTIONS", 50),
    mongoConnections: numberSetting("BENCH_MONGO_CONNECTIONS", 2),
    mongoSeconds: Math.max(seconds, 15),
    loginConnections: numberSetting("BENCH_LOGIN_CONNECTIONS", 4),
    loginSeconds: Math.max(seconds, 10),
    loginsPerSecond: numberSetting("BENCH_LOGINS_PER_SECOND", 10),
    seed: numberSetting("BENCH_SEED", 14),
    mixSize: 3000,
    wrkThreads: 2,
    editRequests: 2000,
    stallGoal: 2,
    maxLoginsInFlight: 30,
    resultsDir: env.BENCH_RESULTS_DIR ?? fileURLToPath(new URL("../results/", import.meta.url)),
    mongoUri: textSetting("MONGO_URI"),
    bigSizes: sizesSetting("BENCH_BIG_SIZES", "204400,1000000"),
    bigWarmupSeconds: numberSetting("BENCH_BIG_WARMUP_SECONDS", 10),
  };
}

/** `deno task bench-scale`'s settings. */
export interface ScaleSettings {
  embeddedSizes: number[];
  mongoSizes: number[];
  queries: number;
  mongoQueries: number;
  /** List clients at once in the concurrent set. */
  concurrent: number;
  /** Where the report goes ("-": printed only), and its file name without the extension. */
  out: string;
  name: string;
  append: boolean;
  merge: string[];
  appV8Flags: string | null;
  mongoUri: string | null;
  /** Start a FerretDB of the bench's own when MONGO_URI is not set. */
  ownFerretDb: boolean;
  /** Admissions the quality indicators are timed over (0: not timed). */
  qualityAdmissions: number;
}

export function scaleSettings(): ScaleSettings {
  return {
    embeddedSizes: sizesSetting("SCALE_SIZES", "5000,50000,500000,1000000"),
    mongoSizes: sizesSetting("SCALE_MONGO_SIZES", "5000,50000,100000"),
    queries: sizesSetting("SCALE_QUERIES", "200")[0]!,
    mongoQueries: sizesSetting("SCALE_MONGO_QUERIES", "20")[0]!,
    concurrent: 4,
    out: env.SCALE_OUT ?? fileURLToPath(new URL("../results", import.meta.url)),
    name: env.SCALE_NAME ?? "scale",
    append: env.SCALE_APPEND === "1",
    merge: (env.SCALE_MERGE ?? "").split(",").filter(Boolean),
    appV8Flags: env.SCALE_APP_V8_FLAGS || null,
    mongoUri: env.MONGO_URI || null,
    ownFerretDb: env.SCALE_FERRETDB === "1",
    qualityAdmissions: numberSetting("SCALE_QUALITY_ADMISSIONS", 1_000_000),
  };
}
