/**
 * `deno task bench`: the app under a real load generator (wrk), beside its ceilings, in one run.
 *
 * The app runs as its own process (`deno run -A main.ts` on a temporary DATA_DIR, embedded
 * stores), so that its peak RSS can be read from /proc; the ceilings run in another
 * (bench/ceiling_server.ts). A user is registered through the app, the 5,110 dataset records
 * are imported through the import API (timed), and then each target gets a warm-up and a
 * measured wrk run:
 *
 * - ceilings: a tiny JSON route, the app's fixed list bytes served from memory, and the random
 *   mix of list queries done naively through `node:sqlite` on the app's own patients.db;
 * - the app: the API list (fixed URL and random mix), the API random mix again while 10 logins
 *   per second run (bcrypt must not stall it: p99 within 2× of idle), `/patients` (random mix,
 *   browser session), the inline edit (htmx PUT), login; then export of everything (timed).
 *
 * With MONGO_URI set, a second app process on MongoDB (a unique database, dropped afterwards)
 * gets the import, the API random mix and the raw driver's ceiling.
 *
 * Any response other than the expected status, or any socket error, stops the run with the
 * counts: a benchmark of 429s or 500s is worthless. Results: bench/results/latest.md and
 * latest.json (or BENCH_RESULTS_DIR), and the table on stdout.
 *
 * Environment: BENCH_SECONDS (10 per target), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (50),
 * BENCH_MONGO_CONNECTIONS (2), BENCH_LOGIN_CONNECTIONS (4), BENCH_LOGINS_PER_SECOND (10),
 * BENCH_SEED (14), MONGO_URI, SPM_SHARED_DATA.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { DATASET, loadDataset, sharedDataFile } from "../tests/helpers/dataset.ts";
import { bearerFor, Browser } from "./client.ts";
import { randomMix, shuffled } from "./mix.ts";
import { mulberry32 } from "../lib/risk_model.ts";
import { type Child, PeakRss, startApp, startCeilingServer } from "./processes.ts";
import { problemsOf, runWrk, type WrkRequest, type WrkResult, wrkVersion } from "./wrk.ts";

const env = Deno.env.toObject();

function setting(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`${name} must be a number`);
  return value;
}

const SECONDS = setting("BENCH_SECONDS", 10);
const WARMUP_SECONDS = setting("BENCH_WARMUP_SECONDS", Math.min(2, SECONDS));
const CONNECTIONS = setting("BENCH_CONNECTIONS", 50);
/** FerretDB takes a second or more a list: fewer connections keep its latency bounded. */
const MONGO_CONNECTIONS = setting("BENCH_MONGO_CONNECTIONS", 2);
/** At a second or more a list on FerretDB, shorter runs would hold a handful of answers. */
const MONGO_SECONDS = Math.max(SECONDS, 15);
/** bcrypt (cost 12) takes about 300 ms of a core per login here. */
const LOGIN_CONNECTIONS = setting("BENCH_LOGIN_CONNECTIONS", 4);
const LOGINS_PER_SECOND = setting("BENCH_LOGINS_PER_SECOND", 10);
const SEED = setting("BENCH_SEED", 14);
const MIX_SIZE = 3000;
const WRK_THREADS = 2;
const EDIT_REQUESTS = 2000;
const STALL_GOAL = 2;
/**
 * The paced logins stop sending (and count what they skip) while this many are unanswered: a
 * queue that cannot drain within the window would only delay the next targets.
 */
const MAX_LOGINS_IN_FLIGHT = 30;
const RESULTS_DIR = env.BENCH_RESULTS_DIR ?? new URL("./results/", import.meta.url).pathname;

const EMAIL = "bench@example.org";
const PASSWORD = "benchmark password 1";
const FIXED_LIST = "/api/patient_data?per_page=50";

// --- results -----------------------------------------------------------------------------------

interface Ratio {
  /** The id of the target compared with. */
  to: string;
  value: number;
}

interface TargetResult {
  id: string;
  label: string;
  kind: "ceiling" | "app";
  backend: "embedded" | "mongodb" | null;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  statuses: Record<string, number>;
  /** The app's peak RSS during the measured run (bytes); null for ceilings. */
  app_peak_rss_bytes: number | null;
  ratios: Ratio[];
}

interface SingleRun {
  id: string;
  label: string;
  backend: "embedded" | "mongodb";
  seconds: number;
  bytes: number;
  rows: number;
  mb_per_s: number;
  rows_per_s: number;
  app_peak_rss_bytes: number;
}

interface StallResult {
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
    /** Not sent because MAX_LOGINS_IN_FLIGHT were unanswered (the app fell behind). */
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

const targets: TargetResult[] = [];
const singleRuns: SingleRun[] = [];
let stall: StallResult | null = null;
const peaks: Record<string, number> = {};

// --- helpers -----------------------------------------------------------------------------------

class BenchFailure extends Error {}

function progress(message: string) {
  console.error(message);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

interface TargetSpec {
  id: string;
  label: string;
  kind: "ceiling" | "app";
  backend: "embedded" | "mongodb" | null;
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
  app?: { child: Child; rss: PeakRss };
}

async function wrkOrFail(spec: TargetSpec, seconds: number, what: string): Promise<WrkResult> {
  const result = await runWrk({
    base: spec.base,
    requests: spec.requests,
    headers: spec.headers ?? {},
    connections: spec.connections,
    threads: WRK_THREADS,
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

/** Warm-up, then the measured run; `during` runs alongside the measured run. */
async function measure(spec: TargetSpec): Promise<TargetResult> {
  const warmup = spec.warmupSeconds ?? WARMUP_SECONDS;
  if (warmup > 0) await wrkOrFail(spec, warmup, "warm-up");
  spec.app?.rss.reset();
  const run = await wrkOrFail(spec, spec.seconds ?? SECONDS, "measured run");
  const peak = spec.app ? spec.app.rss.peak() : null;
  const result = toResult(spec, run, peak);
  targets.push(result);
  progress(
    `  ${spec.label}: ${fmtRps(result.rps)} req/s, p50 ${fmtMs(result.p50_ms)}, p99 ${
      fmtMs(result.p99_ms)
    }${peak ? `, app peak RSS ${fmtMiB(peak)}` : ""}`,
  );
  return result;
}

function toResult(spec: TargetSpec, run: WrkResult, peak: number | null): TargetResult {
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
    app_peak_rss_bytes: peak,
    ratios: [],
  };
}

function ratio(target: string, ...ceilings: string[]) {
  const t = targets.find((r) => r.id === target);
  if (!t) return;
  for (const id of ceilings) {
    const c = targets.find((r) => r.id === id);
    if (c) t.ratios.push({ to: id, value: t.rps / c.rps });
  }
}

const gets = (paths: readonly string[]): WrkRequest[] =>
  paths.map((path) => ({ method: "GET", path }));

/** Imports the dataset's CSV through the API, timed; checks every row went in. */
async function importDataset(
  app: { child: Child; rss: PeakRss },
  backend: "embedded" | "mongodb",
  bearer: Record<string, string>,
  csv: Uint8Array,
  rows: number,
) {
  app.rss.reset();
  const started = performance.now();
  const res = await fetch(`${app.child.base}/api/patient_data/import?on_conflict=skip`, {
    method: "POST",
    headers: { ...bearer, "Content-Type": "text/csv" },
    body: csv as Uint8Array<ArrayBuffer>,
  });
  const answer = await res.json();
  const seconds = (performance.now() - started) / 1000;
  const peak = app.rss.peak();
  if (res.status !== 200 || answer.inserted !== rows) {
    throw new BenchFailure(
      `Import on ${backend} answered ${res.status}: ${JSON.stringify(answer).slice(0, 500)}`,
    );
  }
  singleRuns.push({
    id: `import-${backend}`,
    label: `import of the dataset (POST /api/patient_data/import, CSV)`,
    backend,
    seconds,
    bytes: csv.byteLength,
    rows,
    mb_per_s: csv.byteLength / 1e6 / seconds,
    rows_per_s: rows / seconds,
    app_peak_rss_bytes: peak,
  });
  progress(`  import on ${backend}: ${rows} rows in ${seconds.toFixed(2)} s`);
}

/** Exports every record as CSV, timed; checks the row count. */
async function exportAll(
  app: { child: Child; rss: PeakRss },
  backend: "embedded" | "mongodb",
  bearer: Record<string, string>,
  rows: number,
) {
  app.rss.reset();
  const started = performance.now();
  const res = await fetch(`${app.child.base}/api/patient_data/export?format=csv`, {
    headers: bearer,
  });
  const text = await res.text();
  const seconds = (performance.now() - started) / 1000;
  const peak = app.rss.peak();
  const lines = text.split(/\r?\n/).filter((l) => l !== "").length - 1;
  if (res.status !== 200 || lines !== rows) {
    throw new BenchFailure(`Export on ${backend} answered ${res.status} with ${lines} rows`);
  }
  const bytes = new TextEncoder().encode(text).byteLength;
  singleRuns.push({
    id: `export-${backend}`,
    label: "export of everything (GET /api/patient_data/export?format=csv)",
    backend,
    seconds,
    bytes,
    rows,
    mb_per_s: bytes / 1e6 / seconds,
    rows_per_s: rows / seconds,
    app_peak_rss_bytes: peak,
  });
  progress(`  export on ${backend}: ${rows} rows in ${seconds.toFixed(2)} s`);
}

/**
 * The same questions to the app and to a ceiling: the totals and the ids on the page must agree,
 * or the ceiling would not be the same query.
 */
async function checkSameAnswers(
  appBase: string,
  bearer: Record<string, string>,
  ceilingBase: string,
  ceilingPath: string,
  mix: readonly string[],
  count: number,
) {
  for (const query of mix.slice(0, count)) {
    const json = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      const text = await res.text();
      if (res.status !== 200) {
        throw new BenchFailure(`${url} answered ${res.status}: ${text.slice(0, 500)}`);
      }
      return JSON.parse(text);
    };
    const [a, b] = await Promise.all([
      json(`${appBase}/api/patient_data?${query}`, bearer),
      json(`${ceilingBase}${ceilingPath}?${query}`),
    ]);
    const ids = (page: { items: { id: number }[] }) => page.items.map((p) => p.id).join(",");
    if (a.total !== b.total || ids(a) !== ids(b)) {
      throw new BenchFailure(
        `${ceilingPath}?${query} does not answer as the app does (total ${b.total} vs ${a.total})`,
      );
    }
  }
}

interface LoginForm {
  headers: Record<string, string>;
  body: string;
}

/** An anonymous visitor's login form: its CSRF cookie and token, filled in. */
async function loginForm(base: string): Promise<LoginForm> {
  const visitor = new Browser(base);
  await visitor.page("/login");
  return {
    headers: {
      Cookie: visitor.cookieHeader(),
      Origin: base,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD, _csrf: visitor.csrf })
      .toString(),
  };
}

/** A login turned away because the password checks were busy (503 with Retry-After). */
const BUSY = "503 busy";

/**
 * Logins sent at a steady rate (an open loop) until `stop()`; each must answer 303, or 503 with
 * Retry-After when more arrive than the password checks can take.
 */
function pacedLogins(base: string, form: LoginForm, perSecond: number) {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const count = (key: string) => {
    statuses[key] = (statuses[key] ?? 0) + 1;
  };
  let sent = 0;
  let skipped = 0;
  let stopped = false;
  let lastAnswer = 0;
  const started = performance.now();
  let windowStart = started;
  let windowSent = 0;
  const send = () => {
    if (inFlight.size >= MAX_LOGINS_IN_FLIGHT) {
      skipped++;
      return;
    }
    sent++;
    windowSent++;
    const t0 = performance.now();
    const p = fetch(`${base}/login`, {
      method: "POST",
      headers: form.headers,
      body: form.body,
      redirect: "manual",
      signal: AbortSignal.timeout(60_000),
    }).then(async (res) => {
      await res.body?.cancel();
      const ok = res.status === 303 && res.headers.get("Location") !== null;
      // 503 with Retry-After: the password checks were busy for 5 s and this one was turned
      // away (lib/work_gate.ts), which is how the app keeps bcrypt from stalling it.
      const busy = res.status === 503 && res.headers.get("Retry-After") !== null;
      count(ok ? "303" : busy ? BUSY : `${res.status} (Location ${res.headers.get("Location")})`);
      lastAnswer = performance.now();
      latencies.push(lastAnswer - t0);
    }).catch((error) => {
      count(`error: ${error?.name ?? error}`);
    }).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const loop = (async () => {
    const interval = 1000 / perSecond;
    let next = performance.now();
    while (!stopped) {
      send();
      next += interval;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
  })();
  return {
    /** Starts the measured window (the logins sent before it were the ramp-up). */
    mark() {
      windowStart = performance.now();
      windowSent = 0;
      latencies.length = 0;
    },
    async stop() {
      stopped = true;
      const windowSeconds = (performance.now() - windowStart) / 1000;
      await loop;
      await Promise.all(inFlight);
      // From the first login sent to the last answer: the rate the app got through them.
      const seconds = (Math.max(lastAnswer, started) - started) / 1000;
      const completed = statuses["303"] ?? 0;
      return {
        sent,
        skipped,
        seconds,
        windowSent,
        windowSeconds,
        completed,
        statuses,
        latencies,
      };
    },
  };
}

/** "MongoDB 7.0.77 (FerretDB v1.24.2)": what answers at `uri`, from `buildInfo`. */
async function mongoServerName(uri: string): Promise<string> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    const ferret = info.ferretdb?.version ?? info.ferretdbVersion;
    return `MongoDB ${info.version}${ferret ? ` (FerretDB ${ferret})` : ""}`;
  } finally {
    await client.close();
  }
}

// --- formatting --------------------------------------------------------------------------------

function fmtRps(rps: number): string {
  return rps >= 100 ? Math.round(rps).toLocaleString("en-US") : rps.toFixed(rps >= 10 ? 1 : 2);
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  return ms < 10
    ? `${ms.toFixed(2)} ms`
    : ms < 100
    ? `${ms.toFixed(1)} ms`
    : `${Math.round(ms)} ms`;
}

function fmtMiB(bytes: number | null): string {
  return bytes === null ? "—" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function fmtPct(value: number): string {
  const pct = value * 100;
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) => right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => right[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w)).join(" | ")
  } |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

interface Machine {
  cores: number;
  cpu: string;
  memory_gib: number;
  kernel: string;
  deno: string;
  wrk: string;
  load_average_start: number[];
  load_average_end: number[];
}

function markdown(machine: Machine, settings: Record<string, unknown>): string {
  const labelOf = (id: string) => targets.find((t) => t.id === id)?.label ?? id;
  const shortName: Record<string, string> = {
    "ceiling-tiny": "tiny",
    "ceiling-same-bytes": "same-bytes",
    "ceiling-raw-sqlite": "raw node:sqlite",
    "ceiling-raw-mongo": "raw driver",
    "api-random": "API random",
  };
  const rows = targets.map((t) => [
    `${t.label}${t.backend ? ` (${t.backend})` : ""}`,
    String(t.connections),
    fmtRps(t.rps),
    fmtMs(t.p50_ms),
    fmtMs(t.p99_ms),
    t.ratios.length
      ? t.ratios.map((r) => `${fmtPct(r.value)} of ${shortName[r.to] ?? labelOf(r.to)}`).join(
        "; ",
      )
      : "—",
    fmtMiB(t.app_peak_rss_bytes),
  ]);
  const out = [
    "# Benchmark results",
    "",
    `Generated by \`deno task bench\` (bench/bench.ts) at ${new Date().toISOString()}.`,
    "",
    `**Machine:** ${machine.cores} cores (nproc), ${machine.cpu}, ${machine.memory_gib} GiB RAM, ` +
    `Linux ${machine.kernel}; Deno ${machine.deno}; ${machine.wrk}. Load average ` +
    `${machine.load_average_start.map((l) => l.toFixed(2)).join(" ")} at the start, ` +
    `${machine.load_average_end.map((l) => l.toFixed(2)).join(" ")} at the end ` +
    "(other work shares this machine: the numbers are noisy).",
    "",
    `**Load:** wrk with ${settings.wrk_threads} threads, ${CONNECTIONS} connections ` +
    `(${
      settings.mongodb ? `${MONGO_CONNECTIONS} on MongoDB, ` : ""
    }${LOGIN_CONNECTIONS} for login), ${SECONDS} s per target ` +
    `after a ${WARMUP_SECONDS} s warm-up` +
    (settings.mongodb
      ? ` (on MongoDB — ${settings.mongodb_server} — ${MONGO_SECONDS} s, warmed up by the ` +
        "answer checks instead)"
      : "") +
    ", on loopback; the app, the ceiling server and wrk share " +
    `the machine. The random mix is ${MIX_SIZE} list queries (seed ${SEED}): sort by one of 8 ` +
    "fields ascending or descending, 0–3 filters (gender, hypertension, heart_disease, " +
    "ever_married, work_type, Residence_type, smoking_status, stroke, age_min/age_max), pages " +
    "1–40 that exist, 50 per page; the ceilings and the app get the same list. " +
    `${settings.records} records. req/s counts every response, and every response had the ` +
    "expected status (200; 303 for login). The app runs with `LOGIN_LIMIT_PER_ACCOUNT` and " +
    "`LOGIN_LIMIT_PER_CLIENT` raised: a login counts against its account and address while it " +
    "runs, so one account logging in from 127.0.0.1 more than 5 times at once would get 429s.",
    "",
    table(
      ["target", "conn.", "req/s", "p50", "p99", "ratio to ceiling(s), same run", "app peak RSS"],
      rows,
      [false, true, true, true, true, false, true],
    ),
    "",
  ];
  if (stall) {
    out.push(
      "## bcrypt never stalls the app",
      "",
      `API random mix p99 idle: ${fmtMs(stall.idle_p99_ms)}; while ${stall.logins_per_second} ` +
        `logins per second run: ${fmtMs(stall.under_logins_p99_ms)} ` +
        `(${fmtRps(stall.under_logins_rps)} req/s) — ${stall.ratio.toFixed(2)}× idle ` +
        `(goal ≤ ${stall.goal}×: **${stall.met ? "met" : "NOT met"}**).`,
      "",
      `Logins: ${stall.logins.sent} sent at ${stall.logins.sent_per_s.toFixed(1)}/s in the ` +
        `measured window (${stall.logins.sent_in_all} with the 1 s ramp-up); ` +
        `${stall.logins.completed} answered 303 ` +
        `(${stall.logins.completed_per_s.toFixed(1)}/s from the first sent to the last answer), ` +
        `login p50 ${fmtMs(stall.logins.p50_ms)}, p99 ${fmtMs(stall.logins.p99_ms)}` +
        (stall.logins.skipped
          ? `; ${stall.logins.skipped} logins were not sent because ${MAX_LOGINS_IN_FLIGHT} ` +
            "were waiting for an answer (the app could not keep up with the pace)."
          : "."),
      "",
    );
  }
  out.push(
    "## Single runs",
    "",
    table(
      ["run", "backend", "time", "MB/s", "rows/s", "app peak RSS"],
      singleRuns.map((r) => [
        r.label,
        r.backend,
        `${r.seconds.toFixed(2)} s`,
        r.mb_per_s.toFixed(2),
        Math.round(r.rows_per_s).toLocaleString("en-US"),
        fmtMiB(r.app_peak_rss_bytes),
      ]),
      [false, false, true, true, true, true],
    ),
    "",
    `App peak RSS over the whole run: ${
      Object.entries(peaks).map(([k, v]) => `${k} ${fmtMiB(v)}`).join(", ")
    }.`,
    "",
  );
  return out.join("\n");
}

async function machineInfo(): Promise<Omit<Machine, "load_average_end">> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const nproc = await new Deno.Command("nproc", { stdout: "piped" }).output();
  return {
    cores: Number(new TextDecoder().decode(nproc.stdout).trim()),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU",
    memory_gib: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 2 ** 20),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    wrk: await wrkVersion(),
    load_average_start: Deno.loadavg(),
  };
}

// --- the run -----------------------------------------------------------------------------------

const dataset = loadDataset();
const csvPath = sharedDataFile(DATASET);
if (!dataset || !csvPath) {
  throw new Error("The benchmark needs the shared dataset: set SPM_SHARED_DATA");
}
const csv = await Deno.readFile(csvPath);
const records = dataset.patients.length;
const machineStart = await machineInfo();
const mix = randomMix(dataset.patients, { seed: SEED, count: MIX_SIZE });
const mongoUri = env.MONGO_URI?.trim() || null;
const mongoDb = `spm_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

let mongoServer: string | null = null;
const dir = await Deno.makeTempDir({ prefix: "spm-bench-" });
/**
 * The app's settings. The login limits are raised: an attempt counts against its account and
 * client address while it runs, so more than 5 logins of one account in flight at once (as
 * 10 logins/s of ~300 ms each can be, all from 127.0.0.1) would answer 429 — in production
 * these would be many users from many addresses.
 */
const appEnv = {
  DATA_DIR: dir,
  SESSION_SECRET: crypto.randomUUID() + crypto.randomUUID(),
  LOGIN_LIMIT_PER_ACCOUNT: "1000000",
  LOGIN_LIMIT_PER_CLIENT: "1000000",
};
const children: Child[] = [];

try {
  progress(`Starting the app (embedded stores in ${dir})…`);
  const embedded = await startApp(appEnv);
  children.push(embedded);
  const app = { child: embedded, rss: new PeakRss(embedded.pid) };

  // A user, registered and logged in through the app (bcrypt cost 12, as in production).
  const browser = new Browser(embedded.base);
  const registered = await browser.postForm("/register", {
    name: "Bench",
    email: EMAIL,
    password: PASSWORD,
    confirm_password: PASSWORD,
  });
  if (registered.status !== 303) throw new BenchFailure(`Register answered ${registered.status}`);
  await browser.page("/patients"); // the session's CSRF token
  const sessionCookie = browser.cookieHeader();
  const bearer = await bearerFor(embedded.base, {
    email: EMAIL,
    password: PASSWORD,
    name: "bench",
  });
  const accountsDb = new DatabaseSync(join(dir, "app.db"), { readOnly: true });
  const userId = (accountsDb.prepare("SELECT id FROM login_data WHERE email = ?").get(EMAIL) as {
    id: number;
  }).id;
  accountsDb.close();

  progress("Importing the dataset…");
  await importDataset(app, "embedded", bearer, csv, records);

  // The fixed list's bytes, for the same-bytes ceiling.
  const fixed = await fetch(embedded.base + FIXED_LIST, { headers: bearer });
  const fixedBytes = new Uint8Array(await fixed.arrayBuffer());
  if (fixed.status !== 200) throw new BenchFailure(`GET ${FIXED_LIST}: ${fixed.status}`);
  const sameBytesFile = join(dir, "same-bytes.json");
  await Deno.writeFile(sameBytesFile, fixedBytes);

  const ceiling = await startCeilingServer({
    PATIENTS_DB: join(dir, "patients.db"),
    USER_ID: String(userId),
    SAME_BYTES_FILE: sameBytesFile,
    SAME_BYTES_TYPE: fixed.headers.get("Content-Type") ?? "application/json",
    ...(mongoUri ? { MONGO_URI: mongoUri, MONGO_DB: mongoDb } : {}),
  });
  children.push(ceiling);
  await checkSameAnswers(embedded.base, bearer, ceiling.base, "/raw", mix, 25);
  const sameCheck = new Uint8Array(await (await fetch(`${ceiling.base}/same-bytes`)).arrayBuffer());
  if (sameCheck.byteLength !== fixedBytes.byteLength) {
    throw new BenchFailure("/same-bytes does not answer the app's bytes");
  }
  for (const query of mix.slice(0, 5)) {
    const res = await fetch(`${embedded.base}/patients?${query}`, {
      headers: { Cookie: sessionCookie },
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status !== 200) throw new BenchFailure(`/patients?${query}: ${res.status}`);
  }

  progress(`Measuring (${SECONDS} s per target after ${WARMUP_SECONDS} s warm-up)…`);
  const ceilingTarget = (id: string, label: string, requests: WrkRequest[]) =>
    measure({
      id,
      label,
      kind: "ceiling",
      backend: null,
      base: ceiling.base,
      requests,
      connections: CONNECTIONS,
      expected: 200,
    });
  await ceilingTarget("ceiling-tiny", "ceiling: GET /tiny (tiny JSON)", gets(["/tiny"]));
  await ceilingTarget(
    "ceiling-same-bytes",
    `ceiling: GET /same-bytes (the ${
      fixedBytes.byteLength.toLocaleString("en-US")
    } bytes of ${FIXED_LIST}, from memory)`,
    gets(["/same-bytes"]),
  );
  await ceilingTarget(
    "ceiling-raw-sqlite",
    "ceiling: GET /raw?… random mix, naive node:sqlite",
    gets(mix.map((q) => `/raw?${q}`)),
  );

  const appTarget = (
    spec: Omit<TargetSpec, "kind" | "base" | "app" | "backend" | "connections" | "expected"> & {
      connections?: number;
      expected?: number;
    },
  ): TargetSpec => ({
    kind: "app",
    backend: "embedded",
    base: embedded.base,
    app,
    connections: CONNECTIONS,
    expected: 200,
    ...spec,
  });
  await measure(appTarget({
    id: "api-fixed",
    label: `GET ${FIXED_LIST} (fixed, bearer token)`,
    requests: gets([FIXED_LIST]),
    headers: bearer,
  }));
  const apiRandom = appTarget({
    id: "api-random",
    label: "GET /api/patient_data?… random mix (bearer token)",
    requests: gets(mix.map((q) => `/api/patient_data?${q}`)),
    headers: bearer,
  });
  const idle = await measure(apiRandom);

  // The same mix while logins run at a steady rate: bcrypt must not stall the app.
  progress(`  …again while ${LOGINS_PER_SECOND} logins per second run`);
  const form = await loginForm(embedded.base);
  const logins = pacedLogins(embedded.base, form, LOGINS_PER_SECOND);
  let underLogins: WrkResult;
  let loginRun: Awaited<ReturnType<typeof logins.stop>>;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the logins reach their pace
    logins.mark();
    app.rss.reset();
    underLogins = await wrkOrFail(apiRandom, SECONDS, "while logins run");
  } finally {
    loginRun = await logins.stop();
  }
  const loginProblems = Object.entries(loginRun.statuses).filter(([s]) =>
    s !== "303" && s !== BUSY
  );
  if (loginProblems.length) {
    throw new BenchFailure(
      `Paced logins: ${loginProblems.map(([s, n]) => `${n} × ${s}`).join(", ")}` +
        `\n${embedded.stderr()}`,
    );
  }
  const withLogins = toResult(
    {
      ...apiRandom,
      id: "api-random-logins",
      label:
        `GET /api/patient_data?… random mix while ${LOGINS_PER_SECOND} logins/s run (bearer token)`,
    },
    underLogins,
    app.rss.peak(),
  );
  targets.push(withLogins);
  stall = {
    idle_p99_ms: idle.p99_ms,
    under_logins_p99_ms: withLogins.p99_ms,
    ratio: withLogins.p99_ms / idle.p99_ms,
    goal: STALL_GOAL,
    met: withLogins.p99_ms <= STALL_GOAL * idle.p99_ms,
    under_logins_rps: withLogins.rps,
    logins_per_second: LOGINS_PER_SECOND,
    logins: {
      sent: loginRun.windowSent,
      sent_in_all: loginRun.sent,
      skipped: loginRun.skipped,
      completed: loginRun.completed,
      sent_per_s: loginRun.windowSent / loginRun.windowSeconds,
      completed_per_s: loginRun.seconds > 0 ? loginRun.completed / loginRun.seconds : 0,
      p50_ms: percentile(loginRun.latencies, 0.5),
      p99_ms: percentile(loginRun.latencies, 0.99),
      statuses: loginRun.statuses,
    },
  };
  progress(
    `  ${withLogins.label}: ${fmtRps(withLogins.rps)} req/s, p99 ${fmtMs(withLogins.p99_ms)} ` +
      `(${stall.ratio.toFixed(2)}× idle); logins p50 ${fmtMs(stall.logins.p50_ms)}`,
  );

  await measure(appTarget({
    id: "patients-random",
    label: "GET /patients?… random mix (browser session, full page)",
    requests: gets(mix.map((q) => `/patients?${q}`)),
    headers: { Cookie: sessionCookie },
  }));

  // The inline edit as htmx sends it: PUT /patients/{id}, the row's form, the session's token.
  const editIds = shuffled(dataset.patients, SEED + 1);
  const editRandom = mulberry32(SEED + 2);
  const edits: WrkRequest[] = [];
  for (let n = 0; n < EDIT_REQUESTS; n++) {
    const { id, ...fields } = editIds[n % editIds.length]!;
    const glucose = Math.round(fields.avg_glucose_level * (90 + 20 * editRandom())) / 100;
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      form.set(name, value === null ? "" : String(value));
    }
    form.set("avg_glucose_level", String(Math.min(999, Math.max(1, glucose))));
    edits.push({ method: "PUT", path: `/patients/${id}`, body: form.toString() });
  }
  await measure(appTarget({
    id: "inline-edit",
    label: "PUT /patients/{id} inline edit (htmx, browser session), random ids",
    requests: edits,
    headers: {
      Cookie: sessionCookie,
      Origin: embedded.base,
      "X-CSRF-Token": browser.csrf,
      "HX-Request": "true",
      "HX-Current-URL": `${embedded.base}/patients`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
  }));

  await exportAll(app, "embedded", bearer, records);

  await measure(appTarget({
    id: "login",
    label: "POST /login (right password, bcrypt cost 12)",
    requests: [{ method: "POST", path: "/login", body: form.body }],
    headers: form.headers,
    connections: LOGIN_CONNECTIONS,
    expected: 303,
    timeoutSeconds: 60,
  }));

  peaks.embedded = app.rss.overall();
  await embedded.stop();

  if (mongoUri) {
    progress(`Starting the app on MongoDB (database ${mongoDb})…`);
    const onMongo = await startApp({
      ...appEnv,
      MONGO_URI: mongoUri,
      MONGO_DB: mongoDb,
    });
    children.push(onMongo);
    const mongoApp = { child: onMongo, rss: new PeakRss(onMongo.pid) };
    mongoServer = await mongoServerName(mongoUri);
    await importDataset(mongoApp, "mongodb", bearer, csv, records);
    // FerretDB takes about a second a list: a few checks, which also warm both up.
    await checkSameAnswers(onMongo.base, bearer, ceiling.base, "/raw-mongo", mix, 3);
    await measure({
      id: "ceiling-raw-mongo",
      label: "ceiling: GET /raw-mongo?… random mix, raw mongodb driver",
      kind: "ceiling",
      backend: "mongodb",
      base: ceiling.base,
      requests: gets(mix.map((q) => `/raw-mongo?${q}`)),
      connections: MONGO_CONNECTIONS,
      expected: 200,
      timeoutSeconds: 30,
      seconds: MONGO_SECONDS,
      warmupSeconds: 0,
    });
    await measure({
      id: "api-random-mongo",
      label: "GET /api/patient_data?… random mix (bearer token)",
      kind: "app",
      backend: "mongodb",
      base: onMongo.base,
      app: mongoApp,
      requests: gets(mix.map((q) => `/api/patient_data?${q}`)),
      headers: bearer,
      connections: MONGO_CONNECTIONS,
      expected: 200,
      timeoutSeconds: 30,
      seconds: MONGO_SECONDS,
      warmupSeconds: 0,
    });
    await exportAll(mongoApp, "mongodb", bearer, records);
    peaks.mongodb = mongoApp.rss.overall();
    await onMongo.stop();
  }

  ratio("api-fixed", "ceiling-same-bytes");
  ratio("api-random", "ceiling-raw-sqlite", "ceiling-same-bytes");
  ratio("api-random-logins", "api-random");
  ratio("patients-random", "api-random");
  ratio("api-random-mongo", "ceiling-raw-mongo");

  const machine: Machine = { ...machineStart, load_average_end: Deno.loadavg() };
  const settings = {
    connections: CONNECTIONS,
    mongo_connections: MONGO_CONNECTIONS,
    login_connections: LOGIN_CONNECTIONS,
    seconds: SECONDS,
    warmup_seconds: WARMUP_SECONDS,
    wrk_threads: WRK_THREADS,
    mix_size: MIX_SIZE,
    seed: SEED,
    records,
    logins_per_second: LOGINS_PER_SECOND,
    mongodb: mongoUri !== null,
    mongodb_server: mongoServer,
  };
  const md = markdown(machine, settings);
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  await Deno.writeTextFile(join(RESULTS_DIR, "latest.md"), md);
  await Deno.writeTextFile(
    join(RESULTS_DIR, "latest.json"),
    JSON.stringify(
      {
        generated_at: new Date().toISOString(),
        machine,
        settings,
        targets,
        bcrypt_stall: stall,
        single_runs: singleRuns,
        app_peak_rss_bytes: peaks,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(md);
  progress(`Written: ${join(RESULTS_DIR, "latest.md")} and latest.json`);
} catch (error) {
  if (error instanceof BenchFailure) {
    console.error(`\nBENCHMARK FAILED: ${error.message}`);
    Deno.exitCode = 1;
  } else throw error;
} finally {
  for (const child of children.reverse()) await child.stop();
  if (mongoUri) {
    const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.db(mongoDb).dropDatabase();
    } catch (error) {
      console.error(`Could not drop ${mongoDb}: ${error}`);
    } finally {
      await client.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
}
