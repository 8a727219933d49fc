/**
 * HTTP benchmark: GET /api/patient_data?per_page=50 over the 5,110 dataset records (and the
 * /patients page) against a bare Hono route, in one run, on loopback only. The servers run on
 * the main thread; a worker drives each target with a bounded closed loop (fixed concurrency,
 * stopped by time and by count). The app's request log is discarded. `deno task bench`;
 * MONGO_URI adds the API on MongoDB (FerretDB answers a list in about a second: fewer loops).
 */
import { Hono } from "hono";
import { loadConfig } from "../config.ts";
import { openAccountsDb } from "../db/accounts_db.ts";
import { openMongoPatientStore } from "../db/patient_mongo.ts";
import { openSqlitePatientStore } from "../db/patient_sqlite.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { findUserByEmail } from "../db/users.ts";
import { createApp } from "../routes/app.tsx";
import { loadAssets } from "../routes/assets.ts";
import { dropMongoDatabase, uniqueName } from "../tests/helpers/backends.ts";
import { loadDataset } from "../tests/helpers/dataset.ts";

const CONCURRENCY = 32;
/** FerretDB takes about a second per list of 5,110 records: fewer loops keep latency bounded. */
const MONGO_CONCURRENCY = 4;
const DURATION_MS = 5_000;
const WARMUP_MS = 1_000;
const MAX_REQUESTS = 500_000;
const GOAL = 0.3;
const EMAIL = "bench@example.org";
const PASSWORD = "benchmark password 1";

/** The load generator, run in a worker so that the client does not share the servers' thread. */
const WORKER = `
self.onmessage = async ({ data }) => {
  const { url, headers, concurrency, durationMs, maxRequests } = data;
  const latencies = [];
  const statuses = {};
  let sent = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  async function loop() {
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      const t0 = performance.now();
      let status = "error";
      try {
        const res = await fetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(60000) });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (_) { /* counted as an error */ }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  self.postMessage({ latencies, statuses, elapsedMs: performance.now() - started });
};
`;

interface Result {
  target: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
}

function drive(
  url: string,
  headers: Record<string, string>,
  durationMs: number,
  concurrency: number,
): Promise<{ latencies: number[]; statuses: Record<string, number>; elapsedMs: number }> {
  const blob = new Blob([WORKER], { type: "application/javascript" });
  const worker = new Worker(URL.createObjectURL(blob), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message));
    };
    worker.postMessage({
      url,
      headers,
      concurrency,
      durationMs,
      maxRequests: MAX_REQUESTS,
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measure(
  target: string,
  url: string,
  headers: Record<string, string> = {},
  concurrency = CONCURRENCY,
) {
  await drive(url, headers, WARMUP_MS, concurrency);
  const run = await drive(url, headers, DURATION_MS, concurrency);
  const sorted = run.latencies.sort((a, b) => a - b);
  const result: Result = {
    target,
    concurrency,
    requests: sorted.length,
    rps: (run.statuses["200"] ?? 0) / (run.elapsedMs / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    statuses: run.statuses,
  };
  console.error(`measured ${target}: ${JSON.stringify(run.statuses)}`);
  return result;
}

/** A tiny cookie jar for logging in through the app's own routes. */
class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  cookie = () => [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Cookie", this.cookie());
    headers.set("Origin", this.base);
    const res = await fetch(this.base + path, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      this.cookies.set(name!.trim(), value.join("="));
    }
    return res;
  }
  /** Fetches the form at `path` and posts it back with its CSRF token. */
  async postForm(path: string, fields: Record<string, string>): Promise<Response> {
    const html = await (await this.send(path)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    return this.send(path, {
      method: "POST",
      body: new URLSearchParams({ ...fields, _csrf: csrf }),
    });
  }
}

function serve(handler: (request: Request) => Response | Promise<Response>) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
}

const dataset = loadDataset();
if (!dataset) throw new Error("The benchmark needs the shared dataset (set SPM_SHARED_DATA)");
const dir = Deno.makeTempDirSync({ prefix: "spm-bench-" });
const config = {
  ...loadConfig({ SESSION_SECRET: "benchmark-secret-that-is-long-enough" }),
  dataDir: dir,
};
const accounts = openAccountsDb(null, dir);
const assets = await loadAssets();
const appFor = (patients: PatientStore) =>
  createApp({ config, stores: { accounts, patients }, assets, log: () => {} });
const embedded = openSqlitePatientStore(dir);
const servers = [serve(new Hono().get("/bare", (c) => c.json({ ok: true })).fetch)];
const mongoUri = Deno.env.get("MONGO_URI");
const mongoDb = uniqueName("spm_bench");
const mongo = mongoUri
  ? openMongoPatientStore({ uri: mongoUri, database: mongoDb, collection: "Patient_data" })
  : null;

try {
  servers.push(serve(appFor(embedded).fetch));
  const [bare, app] = servers.map((s) => `http://127.0.0.1:${s.addr.port}`);
  const browser = new Client(app!);
  const registered = await browser.postForm("/register", {
    name: "Bench",
    email: EMAIL,
    password: PASSWORD,
    confirm_password: PASSWORD,
  });
  if (registered.status !== 303) throw new Error(`Registering answered ${registered.status}`);
  browser.cookies.clear();
  const loggedIn = await browser.postForm("/login", { email: EMAIL, password: PASSWORD });
  if (loggedIn.status !== 303) throw new Error(`Logging in answered ${loggedIn.status}`);
  const tokenRes = await fetch(`${app}/api/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD, name: "bench" }),
  });
  const { token } = await tokenRes.json();
  const user = await findUserByEmail(accounts, EMAIL);
  await embedded.insertMany(user!.id, dataset.patients);
  const bearer = { Authorization: `Bearer ${token}` };
  const list = "/api/patient_data?per_page=50";

  const results = [
    await measure("bare Hono GET /bare", `${bare}/bare`),
    await measure(`GET ${list} (embedded)`, `${app}${list}`, bearer),
    await measure("GET /patients (session, embedded)", `${app}/patients`, {
      Cookie: browser.cookie(),
    }),
  ];
  if (mongo) {
    await mongo.insertMany(user!.id, dataset.patients);
    servers.push(serve(appFor(mongo).fetch));
    const onMongo = `http://127.0.0.1:${servers[2]!.addr.port}`;
    results.push(
      await measure(`GET ${list} (MongoDB)`, `${onMongo}${list}`, bearer, MONGO_CONCURRENCY),
    );
  }

  const base = results[0]!.rps;
  const row = (cells: string[]) =>
    console.log(cells.map((c, i) => i ? c.padStart(9) : c.padEnd(44)).join(" "));
  console.log(
    `\n${DURATION_MS / 1000} s per target after ${WARMUP_MS / 1000} s warm-up, closed loops;` +
      ` ${dataset.patients.length} records; loopback only; req/s counts 200s\n`,
  );
  row(["target", "loops", "requests", "non-200", "req/s", "p50 ms", "p99 ms", "vs bare"]);
  for (const r of results) {
    row([
      r.target,
      String(r.concurrency),
      String(r.requests),
      String(r.requests - (r.statuses["200"] ?? 0)),
      r.rps.toFixed(r.rps >= 100 ? 0 : 1),
      r.p50.toFixed(2),
      r.p99.toFixed(2),
      `${(100 * r.rps / base).toFixed(1)} %`,
    ]);
  }
  const api = results[1]!.rps / base;
  console.log(
    `\nAPI list / bare route: ${(100 * api).toFixed(1)} % (goal >= ${GOAL * 100} %: ${
      api >= GOAL ? "met" : "NOT met"
    })`,
  );
} finally {
  await Promise.all(servers.map((s) => s.shutdown()));
  await Promise.allSettled([accounts.close(), embedded.close(), mongo?.close()]);
  if (mongo && mongoUri) await dropMongoDatabase(mongoUri, mongoDb);
  await Deno.remove(dir, { recursive: true });
}
