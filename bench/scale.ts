/**
 * Scale benchmark: how list, count, statistics, export and import behave at 5k … 1M records.
 * For each size it starts the app as its own process (`deno run -A main.ts`, a temporary
 * DATA_DIR; on MongoDB a database of its own, dropped afterwards), seeds one user with
 * `scripts/seed.ts`, makes an API token and measures through HTTP on loopback
 * (runs/scale_size.ts):
 *
 * - list: a random mix of sorts, filters, page sizes and pages (seeded, so every run asks the
 *   same), each query different: once sequentially (nothing cached), the same again (the
 *   store's read cache warm), and another set from 4 concurrent clients (nothing cached);
 * - count: the list's `total` for no filter and the rarest and commonest value of each field,
 *   each checked against what the seeder wrote and, unfiltered, a count in the database itself;
 * - stats: `GET /api/patient_data/stats`, its total and strokes checked;
 * - export: on a freshly started app (its memory the export's, not the lists' index's), the
 *   whole CSV streamed and counted, with the app's peak RSS (VmHWM after resetting it through
 *   /proc/<pid>/clear_refs) and another user's list request sent while it streams;
 * - FHIR: a Bulk Data export of the registry's patients (kick-off, status polled, file
 *   downloaded and counted), timed, with the app's peak RSS (goal at 1M: under 200 MB);
 * - import: a CSV of N more synthetic rows uploaded to the import API, timed, with peak RSS,
 *   while another user (5,000 records, seeded too) lists one request after another: their
 *   list's p99 during the import against the same lists just before (goal: at most 2×).
 *
 * Then, in this process, the quality indicators over a million synthetic admissions
 * (runs/quality_indicators.ts; goal: under 2 s).
 *
 * Environment (lib/settings.ts): SCALE_SIZES (embedded; default 5000,50000,500000,1000000;
 * empty: none), SCALE_MONGO_SIZES (default 5000,50000,100000) when MONGO_URI is set — or
 * SCALE_FERRETDB=1 to start a FerretDB of the bench's own (FERRETDB_BIN) on a free port;
 * SCALE_QUERIES (list queries per set, default 200; SCALE_MONGO_QUERIES default 20); SCALE_OUT
 * (where scale.md and scale.json go, default bench/results; "-" prints only) and SCALE_NAME
 * (their name, default "scale"); SCALE_APPEND=1 adds this run's rows to that file's earlier
 * ones, SCALE_MERGE=a.json,… puts the rows of other such files after them; SCALE_APP_V8_FLAGS
 * (V8 flags of the app process only, e.g. --optimize-for-size); SCALE_QUALITY_ADMISSIONS
 * (default 1000000; 0: the quality indicators are not timed).
 * Other variables (e.g. DB_QUERY_TIMEOUT_MS) pass through to the app and the seeder. Results
 * are noisy on a shared machine. A quick check:
 * `SCALE_SIZES=5000 SCALE_QUERIES=20 SCALE_QUALITY_ADMISSIONS=100000 SCALE_OUT=- deno task
 * bench-scale`.
 */
import { ferretDbBinary, startFerretDb } from "../tests/helpers/ferretdb.ts";
import { machineInfo, machineLine } from "./lib/machine.ts";
import { ScaleReport } from "./lib/scale_report.ts";
import { scaleSettings } from "./lib/settings.ts";
import { measureQualityIndicators } from "./runs/quality_indicators.ts";
import { runSize } from "./runs/scale_size.ts";

const settings = scaleSettings();
const started = new Date();
const about = machineLine(await machineInfo()) +
  (Deno.env.get("DENO_V8_FLAGS") ? `; DENO_V8_FLAGS=${Deno.env.get("DENO_V8_FLAGS")}` : "") +
  (settings.appV8Flags ? `; the app with V8 flags ${settings.appV8Flags}` : "");
console.error(about);
const report = await ScaleReport.open(settings, about, started);

for (const size of settings.embeddedSizes) {
  report.results.push(await runSize(settings, "embedded", size, settings.queries));
  await report.save(false);
}

let ferret: Awaited<ReturnType<typeof startFerretDb>> | null = null;
let mongoUri = settings.mongoUri;
if (!mongoUri && settings.ownFerretDb && settings.mongoSizes.length) {
  const binary = ferretDbBinary();
  if (!binary) throw new Error("SCALE_FERRETDB=1 needs the FerretDB binary (FERRETDB_BIN)");
  ferret = await startFerretDb(binary);
  mongoUri = ferret.uri;
  console.error(`FerretDB of the bench's own at ${mongoUri}`);
}
try {
  if (mongoUri) {
    for (const size of settings.mongoSizes) {
      report.results.push(await runSize(settings, "mongo", size, settings.mongoQueries, mongoUri));
      await report.save(false);
    }
  }
} finally {
  await ferret?.close();
}

if (settings.qualityAdmissions > 0) {
  console.error(
    `Quality indicators over ${settings.qualityAdmissions.toLocaleString("en-US")} admissions…`,
  );
  report.quality = measureQualityIndicators(settings.qualityAdmissions);
}

await report.save(true);
