/**
 * Scale benchmark: how list, count, statistics, export and import behave at 5k … 1M records.
 * For each size it starts the app as its own process (`deno run -A main.ts`, a temporary
 * DATA_DIR; on MongoDB a database of its own, dropped afterwards), seeds one user with
 * `scripts/seed.ts`, makes an API token and measures through HTTP on loopback:
 *
 * - list: a random mix of sorts, filters, page sizes and pages (seeded, so every run asks the
 *   same), each query different: once sequentially (nothing cached), the same again (the
 *   store's read cache warm), and another set from 4 concurrent clients (nothing cached);
 * - count: the list's `total` for no filter and the rarest and commonest value of each field,
 *   each checked against what the seeder wrote and, unfiltered, a count in the database itself;
 * - stats: `GET /api/patient_data/stats`, its total and strokes checked;
 * - export: the whole CSV streamed and counted, with the app's peak RSS (VmHWM after resetting
 *   it through /proc/<pid>/clear_refs) and one list request sent while it streams;
 * - import: a CSV of N more synthetic rows uploaded to the import API, timed, with peak RSS.
 *
 * Environment: SCALE_SIZES (embedded; default 5000,50000,500000,1000000; empty: none),
 * SCALE_MONGO_SIZES (default 5000,50000,100000) when MONGO_URI is set — or SCALE_FERRETDB=1
 * to start a FerretDB of the bench's own (FERRETDB_BIN) on a free port; SCALE_QUERIES (list
 * queries per set, default 200; SCALE_MONGO_QUERIES default 20); SCALE_OUT (where scale.md and
 * scale.json go, default bench/results; "-" prints only) and SCALE_NAME (their name, default
 * "scale"); SCALE_APPEND=1 adds this run's rows to that file's earlier ones, SCALE_MERGE=a.json,…
 * puts the rows of other such files after them; SCALE_APP_V8_FLAGS
 * (V8 flags of the app process only, e.g. --optimize-for-size).
 * Other variables (e.g. DB_QUERY_TIMEOUT_MS) pass through to the app and the seeder. Results
 * are noisy on a shared machine.
 */
import { bearerFor } from "./client.ts";
import { MongoClient } from "mongodb";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "../lib/risk_model.ts";
import { CATEGORICAL_VALUES } from "../lib/patient_fields.ts";
import type { SeedSummary } from "../scripts/seed.ts";
import {
  loadSeedDistribution,
  SYNTHETIC_CSV_HEADER,
  syntheticCsvLine,
  syntheticPatients,
} from "../scripts/synthetic_patients.ts";
import { dropMongoDatabase, uniqueName } from "../tests/helpers/backends.ts";
import { ferretDbBinary, startFerretDb } from "../tests/helpers/ferretdb.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EMAIL = "scale@example.org";
const PASSWORD = "scale benchmark password";
const SECRET = "scale-benchmark-session-secret-long-enough";
const CONCURRENT = 4;
/** No request may take longer (FerretDB scans for every query). */
const REQUEST_TIMEOUT_MS = 600_000;

const env = Deno.env.toObject();
const sizesOf = (name: string, fallback: string) =>
  (env[name] ?? fallback).split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = Number(s.replaceAll("_", ""));
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}: "${s}" is not a size`);
    return n;
  });

type Backend = "embedded" | "mongo";

interface Latencies {
  requests: number;
  failed: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** The five slowest requests, for finding what is slow. */
  slowest?: { path: string; ms: number }[];
  /** p50 and count by the query's sort field (its first filter-free trait). */
  by_sort?: Record<string, { requests: number; p50: number }>;
}

interface CountCheck {
  filter: string;
  total: number;
  expected: number;
  ms: number;
}

interface RunResult {
  backend: Backend;
  size: number;
  seed: { seconds: number; records_per_second: number };
  rss_idle_mb: number;
  list: { cold: Latencies; concurrent: Latencies & { clients: number }; warm: Latencies };
  count: { exact: boolean; database_total: number; p50: number; max: number; checks: CountCheck[] };
  stats: { exact: boolean; first_ms: number; second_ms: number };
  export: {
    rows: number;
    bytes: number;
    seconds: number;
    /** The app's CPU time (user + system) meanwhile: less dependent on other load than seconds. */
    cpu_seconds: number;
    exact: boolean;
    /** The app's RSS when the export started (the peak is measured from there). */
    rss_before_mb: number;
    peak_rss_mb: number;
    list_during_export_ms: number | null;
  };
  import: {
    rows: number;
    bytes: number;
    seconds: number;
    cpu_seconds: number;
    rows_per_second: number;
    exact: boolean;
    rss_before_mb: number;
    peak_rss_mb: number;
    answer: Record<string, unknown>;
  };
  rss_peak_mb: number;
  /** SCALE_APP_V8_FLAGS of the run (null: Deno's defaults). */
  app_v8_flags: string | null;
}

// ---------------------------------------------------------------- helpers

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function summarize(samples: number[], failed: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: samples.length,
    failed,
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    mean: round(sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM). */
function procMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024 * 10) / 10;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name), in
  // clock ticks of 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resets the peak RSS (VmHWM) to the current RSS; false where the kernel does not allow it. */
function resetPeak(pid: number): boolean {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every 50 ms until stopped; returns the highest seen (a check on VmHWM). */
function sampleRss(pid: number): () => number {
  let peak = procMb(pid, "VmRSS");
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, procMb(pid, "VmRSS"));
    } catch { /* the process ended */ }
  }, 50);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1]);
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${navigator.hardwareConcurrency} × ${cpu}, ${(memKb / 1024 / 1024).toFixed(0)} GB RAM, ` +
    `${Deno.build.os} ${Deno.osRelease()}, Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ` +
    `load average at start ${load}` +
    (env.DENO_V8_FLAGS ? `; DENO_V8_FLAGS=${env.DENO_V8_FLAGS}` : "") +
    (env.SCALE_APP_V8_FLAGS ? `; the app with V8 flags ${env.SCALE_APP_V8_FLAGS}` : "");
}

// ---------------------------------------------------------------- the app and the seeder

interface Target {
  backend: Backend;
  dir: string;
  env: Record<string, string>;
  mongo?: { uri: string; database: string };
}

function targetEnv(dir: string, port: number, mongo?: { uri: string; database: string }) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^(MYSQL_|MONGO_|DATA_DIR$|PORT$|HOST$|SESSION_SECRET$|FLASK_SECRET$)/.test(name)) continue;
    out[name] = value;
  }
  Object.assign(out, {
    DATA_DIR: dir,
    HOST: "127.0.0.1",
    PORT: String(port),
    SESSION_SECRET: SECRET,
    IMPORT_MAX_BYTES: env.IMPORT_MAX_BYTES ?? "999999999",
  });
  if (mongo) Object.assign(out, { MONGO_URI: mongo.uri, MONGO_DB: mongo.database });
  return out;
}

/** The app's environment: the target's, with SCALE_APP_V8_FLAGS as its V8 flags. */
function appEnv(target: Target): Record<string, string> {
  return env.SCALE_APP_V8_FLAGS
    ? { ...target.env, DENO_V8_FLAGS: env.SCALE_APP_V8_FLAGS }
    : target.env;
}

async function seed(target: Target, count: number): Promise<SeedSummary> {
  const summaryPath = `${target.dir}/seed-summary.json`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "scripts/seed.ts",
      "--count",
      String(count),
      "--email",
      EMAIL,
      "--password",
      PASSWORD,
      "--summary",
      summaryPath,
    ],
    cwd: ROOT,
    env: target.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) {
    throw new Error(`Seeding failed: ${text}\n${new TextDecoder().decode(output.stderr)}`);
  }
  console.error(`  ${text.split("\n").at(-1)}`);
  return JSON.parse(await Deno.readTextFile(summaryPath));
}

interface App {
  pid: number;
  base: string;
  stop(): Promise<void>;
}

async function startApp(target: Target, port: number): Promise<App> {
  const log = await Deno.open(`${target.dir}/app.log`, { create: true, write: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: appEnv(target),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The request log goes to a file (unread pipes would stall the app once full).
  const writer = log.writable.getWriter();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await writer.write(chunk);
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/healthz`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`The app did not start; see ${target.dir}/app.log`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid,
    base,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(timer);
      await drained.catch(() => {});
      await writer.close().catch(() => {});
    },
  };
}

// ---------------------------------------------------------------- measurements

const SORTS = [
  "id",
  "age",
  "avg_glucose_level",
  "bmi",
  "stroke",
  "gender",
  "work_type",
  "smoking_status",
  "hypertension",
];
const FILTERS = Object.entries(CATEGORICAL_VALUES) as [string, readonly (string | number)[]][];

/** `count` different list queries: random sorts, filters, page sizes and pages (seeded). */
function listQueries(count: number, size: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const queries = new Set<string>();
  while (queries.size < count) {
    const params = new URLSearchParams();
    const perPage = pick([25, 50, 50, 50, 100, 200]);
    const roll = random();
    const filtered = roll >= 0.05;
    if (roll < 0.03) {
      // A patient looked up by id.
      params.set("q", String(1 + Math.floor(random() * size)));
    } else if (filtered) {
      for (const [field, values] of FILTERS) {
        if (random() < 0.15) params.set(field, String(pick(values)));
      }
      if (random() < 0.3) {
        const low = Math.floor(random() * 80);
        params.set("age_min", String(low));
        params.set("age_max", String(low + 5 + Math.floor(random() * 30)));
      }
    }
    const sort = pick(SORTS);
    if (sort !== "id" || random() < 0.5) params.set("sort", `${random() < 0.5 ? "-" : ""}${sort}`);
    params.set("per_page", String(perPage));
    // Most views are the first pages; some go far, and 5 % (unfiltered: the last page is
    // known) anywhere in the list.
    const lastPage = Math.max(1, Math.ceil(size / perPage));
    const page = !filtered
      ? 1 + Math.floor(random() * lastPage)
      : random() < 0.6
      ? 1
      : random() < 0.7
      ? 2 + Math.floor(random() * 9)
      : 11 + Math.floor(random() * 190);
    params.set("page", String(page));
    queries.add(`/api/patient_data?${params}`);
  }
  return [...queries];
}

async function get(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  try {
    const res = await fetch(base + path, {
      headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, body: String(error) };
  }
}

async function measureList(
  base: string,
  headers: Record<string, string>,
  paths: string[],
  clients: number,
): Promise<Latencies> {
  const timings: { path: string; ms: number }[] = [];
  let failed = 0;
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < paths.length) {
      const path = paths[next++]!;
      const { status, ms } = await get(base, path, headers);
      timings.push({ path, ms: Math.round(ms * 100) / 100 });
      if (status !== 200) failed++;
    }
  }));
  const bySort: Record<string, number[]> = {};
  for (const { path, ms } of timings) {
    const sort = new URL(path, base).searchParams.get("sort")?.replace(/^-/, "") ?? "id";
    (bySort[sort] ??= []).push(ms);
  }
  return {
    ...summarize(timings.map((t) => t.ms), failed),
    slowest: [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5),
    by_sort: Object.fromEntries(
      Object.entries(bySort).map((
        [sort, ms],
      ) => [sort, { requests: ms.length, p50: percentile(ms.sort((a, b) => a - b), 0.5) }]),
    ),
  };
}

async function databaseCount(target: Target, userId: number): Promise<number> {
  if (target.mongo) {
    const client = new MongoClient(target.mongo.uri);
    try {
      return await client.db(target.mongo.database).collection("Patient_data")
        .countDocuments({ user_id: userId });
    } finally {
      await client.close();
    }
  }
  const db = new DatabaseSync(`${target.dir}/patients.db`, { readOnly: true });
  try {
    const row = db.prepare("SELECT COUNT(*) AS n FROM patients WHERE user_id = ?").get(userId);
    return Number((row as { n: number }).n);
  } finally {
    db.close();
  }
}

async function measureCounts(
  app: App,
  headers: Record<string, string>,
  summary: SeedSummary,
  target: Target,
): Promise<RunResult["count"]> {
  const checks: CountCheck[] = [];
  const database = await databaseCount(target, summary.user_id);
  const filters: [string, number][] = [["", database]];
  for (const [field, counts] of Object.entries(summary.by)) {
    // The least common value that occurs (a selective filter), and the most common one.
    const sorted = Object.entries(counts).sort((a, b) => a[1] - b[1]);
    filters.push([`${field}=${encodeURIComponent(sorted[0]![0])}`, sorted[0]![1]]);
    const common = sorted[sorted.length - 1]!;
    filters.push([`${field}=${encodeURIComponent(common[0])}`, common[1]]);
  }
  for (const [filter, expected] of filters) {
    const path = `/api/patient_data?per_page=1${filter ? `&${filter}` : ""}`;
    const { status, ms, body } = await get(app.base, path, headers);
    const total = status === 200 ? Number(JSON.parse(body).total) : -status;
    checks.push({ filter: filter || "(none)", total, expected, ms: Math.round(ms * 100) / 100 });
  }
  const times = checks.map((c) => c.ms).sort((a, b) => a - b);
  return {
    exact: database === summary.user_total && checks.every((c) => c.total === c.expected),
    database_total: database,
    p50: percentile(times, 0.5),
    max: times[times.length - 1]!,
    checks,
  };
}

async function measureStats(
  app: App,
  headers: Record<string, string>,
  summary: SeedSummary,
): Promise<RunResult["stats"]> {
  const first = await get(app.base, "/api/patient_data/stats", headers);
  const second = await get(app.base, "/api/patient_data/stats", headers);
  let exact = first.status === 200;
  if (exact) {
    const stats = JSON.parse(first.body);
    exact = stats.total === summary.user_total && stats.stroke === summary.stroke &&
      Object.entries(summary.by.gender!).every(([g, n]) => stats.by.gender[g].total === n);
  }
  return { exact, first_ms: Math.round(first.ms), second_ms: Math.round(second.ms) };
}

async function measureExport(
  app: App,
  headers: Record<string, string>,
  expectedRows: number,
): Promise<RunResult["export"]> {
  resetPeak(app.pid);
  const before = procMb(app.pid, "VmRSS");
  const sampled = sampleRss(app.pid);
  let done = false;
  const cpu = cpuSeconds(app.pid);
  const started = performance.now();
  const res = await fetch(`${app.base}/api/patient_data/export?format=csv`, {
    headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  // One list request while the export streams: does the export hold up other readers?
  const during = new Promise<number | null>((resolve) =>
    setTimeout(async () => {
      if (done) return resolve(null);
      const { ms } = await get(app.base, "/api/patient_data?per_page=50&page=3", headers);
      resolve(Math.round(ms));
    }, 1000)
  );
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body!) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  done = true;
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuSeconds(app.pid) - cpu;
  const peak = Math.max(procMb(app.pid, "VmHWM"), sampled());
  const rows = lines - 1;
  return {
    rows,
    bytes,
    seconds: Math.round(seconds * 100) / 100,
    cpu_seconds: Math.round(cpuUsed * 100) / 100,
    exact: res.status === 200 && rows === expectedRows,
    rss_before_mb: before,
    peak_rss_mb: peak,
    list_during_export_ms: await during,
  };
}

/** Writes `count` synthetic rows (ids from `firstId`) as the dataset's CSV; returns its size. */
async function writeImportFile(path: string, firstId: number, count: number): Promise<number> {
  const distribution = await loadSeedDistribution();
  const file = await Deno.open(path, { create: true, write: true, truncate: true });
  const encoder = new TextEncoder();
  let bytes = 0;
  let chunk = `${SYNTHETIC_CSV_HEADER}\r\n`;
  let rows = 0;
  const flush = async () => {
    const data = encoder.encode(chunk);
    bytes += data.length;
    for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
    chunk = "";
  };
  for (const patient of syntheticPatients(distribution, { firstId, count, seed: 2 })) {
    chunk += `${syntheticCsvLine(patient)}\r\n`;
    if (++rows % 5000 === 0) await flush();
  }
  await flush();
  file.close();
  return bytes;
}

async function measureImport(
  app: App,
  headers: Record<string, string>,
  target: Target,
  summary: SeedSummary,
): Promise<RunResult["import"]> {
  const count = summary.count;
  const path = `${target.dir}/import.csv`;
  const bytes = await writeImportFile(path, summary.first_id + count, count);
  const file = await Deno.open(path, { read: true });
  resetPeak(app.pid);
  const before = procMb(app.pid, "VmRSS");
  const sampled = sampleRss(app.pid);
  const cpu = cpuSeconds(app.pid);
  const started = performance.now();
  const res = await fetch(`${app.base}/api/patient_data/import`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "text/csv" },
    body: file.readable,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuSeconds(app.pid) - cpu;
  const peak = Math.max(procMb(app.pid, "VmHWM"), sampled());
  await Deno.remove(path);
  let answer: Record<string, unknown> = { status: res.status, body: text.slice(0, 500) };
  let exact = false;
  if (res.ok) {
    answer = JSON.parse(text);
    const errors = answer.errors as unknown[];
    answer = { ...answer, errors: errors.length };
    const after = await get(app.base, "/api/patient_data?per_page=1", headers);
    exact = answer.inserted === count && errors.length === 0 &&
      JSON.parse(after.body).total === summary.user_total + count;
  }
  return {
    rows: count,
    bytes,
    seconds: Math.round(seconds * 100) / 100,
    cpu_seconds: Math.round(cpuUsed * 100) / 100,
    rows_per_second: Math.round(count / seconds),
    exact,
    rss_before_mb: before,
    peak_rss_mb: peak,
    answer,
  };
}

// ---------------------------------------------------------------- a run

async function run(
  backend: Backend,
  size: number,
  queries: number,
  mongoUri?: string,
): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "spm-scale-" });
  const port = freePort();
  const mongo = mongoUri ? { uri: mongoUri, database: uniqueName("spm_scale") } : undefined;
  const target: Target = {
    backend,
    dir,
    env: targetEnv(dir, port, mongo),
    ...(mongo ? { mongo } : {}),
  };
  console.error(`${backend} ${size.toLocaleString("en-US")}: seeding…`);
  let app: App | null = null;
  try {
    const summary = await seed(target, size);
    app = await startApp(target, port);
    const headers = await bearerFor(app.base, { email: EMAIL, password: PASSWORD, name: "scale" });
    const rssIdle = procMb(app.pid, "VmRSS");
    console.error(`  app ${app.pid} idle at ${rssIdle} MB RSS`);

    console.error("  counts…");
    const count = await measureCounts(app, headers, summary, target);
    console.error("  lists…");
    const setA = listQueries(queries, size, 11);
    const setB = listQueries(queries, size, 12).filter((q) => !setA.includes(q));
    const cold = await measureList(app.base, headers, setA, 1);
    const warm = await measureList(app.base, headers, setA, 1);
    const concurrent = await measureList(app.base, headers, setB, CONCURRENT);
    console.error(`  list p50 ${cold.p50} ms (cold), ${warm.p50} ms (warm); stats…`);
    const stats = await measureStats(app, headers, summary);
    console.error(`  stats ${stats.first_ms} ms; export…`);
    const exported = await measureExport(app, headers, summary.user_total);
    console.error(
      `  export ${exported.seconds} s (${exported.cpu_seconds} s CPU), ${exported.peak_rss_mb} MB` +
        `, a list meanwhile ${exported.list_during_export_ms} ms; import…`,
    );
    const imported = await measureImport(app, headers, target, summary);
    console.error(
      `  import ${imported.seconds} s (${imported.cpu_seconds} s CPU), ${imported.peak_rss_mb} MB`,
    );
    return {
      backend,
      size,
      seed: { seconds: summary.seconds, records_per_second: summary.records_per_second },
      rss_idle_mb: rssIdle,
      list: { cold, concurrent: { ...concurrent, clients: CONCURRENT }, warm },
      count,
      stats,
      export: exported,
      import: imported,
      rss_peak_mb: procMb(app.pid, "VmHWM"),
      app_v8_flags: env.SCALE_APP_V8_FLAGS ?? null,
    };
  } finally {
    await app?.stop();
    if (mongo) await dropMongoDatabase(mongo.uri, mongo.database).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => n >= 100 ? fmt(n) : fmt(n, 1);
const yes = (ok: boolean) => ok ? "yes" : "**NO**";

function table(results: RunResult[]): string {
  const head = [
    "store",
    "records",
    "seed",
    "list p50 / p99 (cold)",
    "list p50 / p99 (4 clients)",
    "list p50 (warm)",
    "count p50 / max",
    "totals exact",
    "stats",
    "export 1×",
    "export RSS: before → peak",
    "list during export",
    "import N rows",
    "import RSS: before → peak",
  ];
  const rows = results.map((r) => [
    (r.backend === "embedded" ? "embedded" : "FerretDB") +
    (r.app_v8_flags ? ` (app: ${r.app_v8_flags})` : ""),
    fmt(r.size),
    `${fmt(r.seed.seconds, 1)} s`,
    `${ms(r.list.cold.p50)} / ${ms(r.list.cold.p99)} ms`,
    `${ms(r.list.concurrent.p50)} / ${ms(r.list.concurrent.p99)} ms`,
    `${ms(r.list.warm.p50)} ms`,
    `${ms(r.count.p50)} / ${ms(r.count.max)} ms`,
    yes(r.count.exact && r.stats.exact && r.export.exact && r.import.exact),
    `${ms(r.stats.first_ms)} ms`,
    `${fmt(r.export.seconds, 1)} s (${fmt(r.export.cpu_seconds, 1)} s CPU)`,
    `${r.export.rss_before_mb ? `${fmt(r.export.rss_before_mb)} → ` : ""}${
      fmt(r.export.peak_rss_mb)
    } MB`,
    r.export.list_during_export_ms === null ? "—" : `${ms(r.export.list_during_export_ms)} ms`,
    `${fmt(r.import.seconds, 1)} s (${fmt(r.import.cpu_seconds, 1)} s CPU)`,
    `${r.import.rss_before_mb ? `${fmt(r.import.rss_before_mb)} → ` : ""}${
      fmt(r.import.peak_rss_mb)
    } MB`,
  ]);
  return [head, head.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}

function goals(results: RunResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.backend !== "embedded" || r.size !== 1_000_000) continue;
    if (r.app_v8_flags) lines.push(`With the app's V8 flags ${r.app_v8_flags}:`);
    else lines.push("With Deno's default V8 settings:");
    lines.push(
      `- list p50 under 50 ms at 1M: ${r.list.cold.p50} ms cold → ${
        r.list.cold.p50 < 50 ? "met" : "**not met**"
      }`,
      `- exact totals (list total, database count, stats, export rows, import): ${
        r.count.exact && r.stats.exact && r.export.exact && r.import.exact ? "met" : "**not met**"
      }`,
      `- export of 1M streamed with RSS under 200 MB: ${r.export.peak_rss_mb} MB → ${
        r.export.peak_rss_mb < 200 ? "met" : "**not met**"
      }`,
      `- import of 1M rows under 60 s: ${r.import.seconds} s → ${
        r.import.seconds < 60 && r.import.exact ? "met" : "**not met**"
      }`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------- main

const embeddedSizes = sizesOf("SCALE_SIZES", "5000,50000,500000,1000000");
const mongoSizes = sizesOf("SCALE_MONGO_SIZES", "5000,50000,100000");
const queries = sizesOf("SCALE_QUERIES", "200")[0]!;
const mongoQueries = sizesOf("SCALE_MONGO_QUERIES", "20")[0]!;
const started = new Date();
const about = machine();
console.error(about);

interface Invocation {
  started: Date | string;
  machine: string;
  app_v8_flags: string | null;
  queries: number;
  mongo_queries: number;
}

const out = env.SCALE_OUT ?? fileURLToPath(new URL("./results", import.meta.url));
const name = env.SCALE_NAME ?? "scale";
const invocations: Invocation[] = [];
const all: RunResult[] = [];
if (env.SCALE_APPEND === "1" && out !== "-") {
  // Earlier runs of the same file (e.g. FerretDB, or other V8 flags, measured separately).
  try {
    const earlier = JSON.parse(await Deno.readTextFile(`${out}/${name}.json`));
    invocations.push(
      ...(earlier.invocations ?? [{
        started: earlier.started,
        machine: earlier.machine,
        app_v8_flags: earlier.app_v8_flags ?? null,
        queries: earlier.results[0]?.list.cold.requests ?? queries,
        mongo_queries: mongoQueries,
      }]),
    );
    all.push(
      ...earlier.results.map((r: RunResult) => ({ ...r, app_v8_flags: r.app_v8_flags ?? null })),
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
const merged: { invocations: Invocation[]; results: RunResult[] } = {
  invocations: [],
  results: [],
};
// Runs kept in other files (SCALE_MERGE, comma-separated), put after this one's.
for (const file of (env.SCALE_MERGE ?? "").split(",").filter(Boolean)) {
  const other = JSON.parse(await Deno.readTextFile(file));
  merged.invocations.push(...other.invocations);
  merged.results.push(...other.results);
}
const results: RunResult[] = [];

/** Writes the report of every run so far (after each run: a run cut short keeps the others). */
async function save(print: boolean): Promise<void> {
  const these = [
    ...invocations,
    ...(results.length
      ? [{
        started,
        machine: about,
        app_v8_flags: env.SCALE_APP_V8_FLAGS ?? null,
        queries,
        mongo_queries: mongoQueries,
      }]
      : []),
    ...merged.invocations,
  ];
  const rows = [...all, ...results, ...merged.results];

  const report = [
    `# Scale benchmark`,
    "",
    ...these.map((i) =>
      `- Run ${new Date(i.started).toISOString()} by \`deno task bench-scale\` (bench/scale.ts) ` +
      `on ${i.machine}.`
    ),
    "",
    `Each row: a fresh app process and store, one user seeded with that many synthetic records ` +
    `(\`scripts/seed.ts\`), measured over HTTP on loopback. List: ${queries} different random ` +
    `queries (sort, filters, page size, page; ${mongoQueries} on FerretDB) one at a time with ` +
    `nothing cached ("cold"), the same again at once ("warm": the embedded store's read cache), ` +
    `then another set from ${CONCURRENT} clients at once (nothing cached). Count: the list's ` +
    `total for no filter and two values of each categorical field, checked against the seeder's ` +
    `counts and the database's own count. Export: the whole CSV, with a list request sent 1 s ` +
    `into it; peak RSS is the app's VmHWM, reset before. Import: as many new rows as the user ` +
    `has, uploaded as one CSV to the import API (sent without a length, as a stream). CPU is the ` +
    `app's user + system time meanwhile. Timings are from a shared 2-core machine with other ` +
    `work running: noisy.`,
    "",
    table(rows),
    "",
    ...goals(rows),
    "",
  ].join("\n");
  if (print) console.log(`\n${report}`);
  if (out !== "-") {
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeTextFile(`${out}/${name}.md`, report);
    await Deno.writeTextFile(
      `${out}/${name}.json`,
      `${JSON.stringify({ invocations: these, results: rows }, null, 2)}\n`,
    );
    console.error(`Wrote ${out}/${name}.md and ${name}.json`);
  }
}

for (const size of embeddedSizes) {
  results.push(await run("embedded", size, queries));
  await save(false);
}

let ferret: Awaited<ReturnType<typeof startFerretDb>> | null = null;
let mongoUri = env.MONGO_URI;
if (!mongoUri && env.SCALE_FERRETDB === "1" && mongoSizes.length) {
  const binary = ferretDbBinary();
  if (!binary) throw new Error("SCALE_FERRETDB=1 needs the FerretDB binary (FERRETDB_BIN)");
  ferret = await startFerretDb(binary);
  mongoUri = ferret.uri;
  console.error(`FerretDB of the bench's own at ${mongoUri}`);
}
try {
  if (mongoUri) {
    for (const size of mongoSizes) {
      results.push(await run("mongo", size, mongoQueries, mongoUri));
      await save(false);
    }
  }
} finally {
  await ferret?.close();
}

await save(true);
