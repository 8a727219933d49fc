/**
 * `deno task bench`: the app under a real load generator (wrk, `apt-get install wrk`), beside its
 * ceilings, in one run of about 2½ minutes, and 2 to 4 more to seed the big registries.
 *
 * The app runs as its own process (`deno run -A main.ts` on a temporary DATA_DIR, embedded
 * stores), so that its peak RSS can be read from /proc; the ceilings run in another
 * (bench/ceiling_server.ts). A user is registered through the app, the 5,110 dataset records
 * are imported through the import API (timed), and then each target gets a warm-up and a
 * measured wrk run (2 threads):
 *
 * - ceilings (runs/ceilings.ts): a tiny JSON route, the app's fixed list bytes served from
 *   memory, and the random mix of list queries done naively through `node:sqlite` on the app's
 *   own patients.db (`SELECT … LIMIT … OFFSET …` plus `COUNT(*)`, no cache);
 * - the app: the API list (fixed URL and random mix), the same mix on big registries — users
 *   of 204,400 and 1,000,000 synthetic records seeded (`scripts/seed.ts`) into the app's store
 *   before anything is measured — right after it (goals: at least 0.5 and 0.3 of its rate, p99
 *   under 250 ms at a million; runs/big_registries.ts), the API random mix again while 10
 *   logins per second run (bcrypt must not stall it: p99 within 2× of idle; runs/api_lists.ts),
 *   `/patients` (random mix, browser session) and the inline edit (htmx PUT of random ids;
 *   runs/browser.ts), export of everything (timed; runs/transfers.ts), login (runs/login.ts);
 * - compression (runs/compression.ts): the mean bytes of 100 `/patients` and API list pages of
 *   the mix sent plain, gzipped and brotli-compressed, and both random mixes again under wrk,
 *   plain, with `Accept-Encoding: gzip` and with `br`, back to back (each coded run's ratio is
 *   to the plain one just before it; bytes per response and the load average are in every row).
 *
 * With MONGO_URI set, a second app process on MongoDB (a unique database, dropped afterwards)
 * gets the import, the API random mix and the raw driver's ceiling, 2 connections for at least
 * 15 s each (FerretDB takes a second or more a list; runs/mongo.ts); then the MongoDB store's
 * single operations are timed one at a time on the imported records, through a store of the
 * bench's own (runs/mongo_operations.ts): the free-id search (with its mark derived from the
 * documents, and as kept), create without an id, read by id, update and delete with a revision
 * (30 of each), and a 50-row page (5).
 *
 * The random mix (lib/mix.ts) is 3,000 list URLs from a seeded PRNG: a sort over 8 fields either
 * way, 0–3 filters, pages 1–40 that exist, 50 per page; the app and the ceilings get the same
 * list, and the bench first checks that they give the same answers. Each row of the report gives
 * req/s, p50, p99, the ratio to its ceilings (API random to the raw query and to the same bytes,
 * the fixed list to the same bytes, `/patients` and the API under logins to the API random mix)
 * and the app's peak RSS (VmHWM from /proc, reset before each run; lib/proc.ts).
 *
 * Any response other than the expected status (200, or 303 for login), or any socket error,
 * stops the run with the counts: a benchmark of 429s or 500s is worthless. The paced logins may
 * also be turned away with 503 and Retry-After by the password gate, which is counted and
 * reported; the app runs with the login limits raised (see runs/embedded.ts). Results:
 * bench/results/latest.md and latest.json (or BENCH_RESULTS_DIR), and the table on stdout.
 *
 * Environment (lib/settings.ts): BENCH_ONLY (some groups of targets, comma-separated, from
 * ceilings, api, browser, compression, transfers, login, mongo: `BENCH_ONLY=api,browser` gives
 * the API lists and `/patients` in one run; every group by default; the import, which the
 * others need, always runs), BENCH_SECONDS (10 per target; login at least 10),
 * BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (50), BENCH_MONGO_CONNECTIONS (2),
 * BENCH_LOGIN_CONNECTIONS (4), BENCH_LOGINS_PER_SECOND (10), BENCH_SEED (14), BENCH_RESULTS_DIR,
 * BENCH_BIG_SIZES (204400,1000000; empty: none), BENCH_BIG_WARMUP_SECONDS (10), MONGO_URI,
 * SPM_SHARED_DATA (the dataset's folder). A quick check:
 * `BENCH_SECONDS=2 BENCH_WARMUP_SECONDS=1 BENCH_BIG_SIZES=204400 BENCH_BIG_WARMUP_SECONDS=3
 * BENCH_RESULTS_DIR=/tmp/b deno task bench`.
 */
import { DATASET, loadDataset, sharedDataFile } from "../tests/helpers/dataset.ts";
import { writeBenchReport } from "./lib/bench_report.ts";
import { machineInfo } from "./lib/machine.ts";
import { type Bench, BenchFailure, progress, Results } from "./lib/measure.ts";
import { randomMix } from "./lib/mix.ts";
import { type BenchGroup, benchSettings } from "./lib/settings.ts";
import { wrkVersion } from "./lib/wrk.ts";
import { measureApiLists } from "./runs/api_lists.ts";
import { seedBigRegistries } from "./runs/big_registries.ts";
import { checkPages, measureBrowser } from "./runs/browser.ts";
import { measureCeilings, startCeilings } from "./runs/ceilings.ts";
import { measureCompression } from "./runs/compression.ts";
import { appEnv, startEmbedded } from "./runs/embedded.ts";
import { measureLogin } from "./runs/login.ts";
import { dropMongoTarget, measureMongo, mongoTarget } from "./runs/mongo.ts";
import { exportAll, importDataset } from "./runs/transfers.ts";

const settings = benchSettings();
const dataset = loadDataset();
const csvPath = sharedDataFile(DATASET);
if (!dataset || !csvPath) {
  throw new Error("The benchmark needs the shared dataset: set SPM_SHARED_DATA");
}
const csv = await Deno.readFile(csvPath);
const records = dataset.patients.length;
const machineStart = await machineInfo();
const wrk = await wrkVersion();
const mix = randomMix(dataset.patients, { seed: settings.seed, count: settings.mixSize });
const mongo = settings.mongoUri ? mongoTarget(settings.mongoUri) : null;

const bench: Bench = { settings, results: new Results(), children: [] };
const dir = await Deno.makeTempDir({ prefix: "spm-bench-" });
const env = appEnv(dir);

try {
  const app = await startEmbedded(bench, env);
  progress("Importing the dataset…");
  await importDataset(bench, app, "embedded", app.bearer, csv, records);
  const runs = (group: BenchGroup) => settings.groups.has(group);
  // The big registries are listed with the API's group, right after the dataset's random mix.
  const registries = runs("api") ? await seedBigRegistries(env, settings.bigSizes) : [];
  const ceilings = await startCeilings(bench, app, mix, mongo);
  await checkPages(app, mix);

  progress(
    `Measuring (${settings.seconds} s per target after ${settings.warmupSeconds} s warm-up)…`,
  );
  if (runs("ceilings")) await measureCeilings(bench, ceilings, mix);
  if (runs("api")) await measureApiLists(bench, app, mix, registries);
  if (runs("browser")) await measureBrowser(bench, app, mix, dataset.patients);
  if (runs("compression")) await measureCompression(bench, app, mix);
  if (runs("transfers")) await exportAll(bench, app, "embedded", app.bearer, records);
  if (runs("login")) await measureLogin(bench, app);
  bench.results.peaks.embedded = app.rss.overall();
  await app.child.stop();

  const mongoServer = mongo && runs("mongo")
    ? await measureMongo(bench, mongo, env, app, ceilings, { csv, patients: dataset.patients, mix })
    : null;

  const { results } = bench;
  results.ratio("api-fixed", "ceiling-same-bytes");
  results.ratio("api-random", "ceiling-raw-sqlite", "ceiling-same-bytes");
  results.ratio("api-random-logins", "api-random");
  results.ratio("patients-random", "api-random");
  results.ratio("api-random-mongo", "ceiling-raw-mongo");
  const { load_average_start, ...about } = machineStart;
  const machine = { ...about, wrk, load_average_start, load_average_end: Deno.loadavg() };
  await writeBenchReport(settings, machine, results, { records, mongodb_server: mongoServer });
} catch (error) {
  if (error instanceof BenchFailure) {
    console.error(`\nBENCHMARK FAILED: ${error.message}`);
    Deno.exitCode = 1;
  } else throw error;
} finally {
  for (const child of bench.children.reverse()) await child.stop();
  if (mongo) await dropMongoTarget(mongo);
  await Deno.remove(dir, { recursive: true });
}
