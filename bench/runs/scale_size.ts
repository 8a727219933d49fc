/**
 * Scale: one size on one store — a fresh app process and store, one user seeded with `size`
 * synthetic records, then counts, lists, statistics, export and import measured over HTTP.
 */
import { dropMongoDatabase, uniqueName } from "../../tests/helpers/backends.ts";
import { bearerFor } from "../lib/client.ts";
import { mebibytes } from "../lib/proc.ts";
import { type AppProcess, seedUser, startApp } from "../lib/processes.ts";
import type { ScaleSettings } from "../lib/settings.ts";
import type { Latencies } from "../lib/stats.ts";
import { type FhirExportResult, measureFhirExport } from "./scale_fhir.ts";
import { type CountResult, measureCounts, measureStats, type StatsResult } from "./scale_counts.ts";
import { listQueries, measureList } from "./scale_lists.ts";
import {
  type ExportResult,
  type ImportResult,
  measureExport,
  measureImport,
} from "./scale_transfers.ts";

const EMAIL = "scale@example.org";
const OTHER_EMAIL = "other@example.org";
const OTHER_RECORDS = 5_000;
/** More than the read cache holds (256): the other user's lists are never answered from it. */
const OTHER_QUERIES = 1_000;
const PASSWORD = "scale benchmark password";
const SECRET = "scale-benchmark-session-secret-long-enough";

export type Backend = "embedded" | "mongo";

export interface RunResult {
  backend: Backend;
  size: number;
  seed: { seconds: number; records_per_second: number };
  rss_idle_mb: number;
  list: { cold: Latencies; concurrent: Latencies & { clients: number }; warm: Latencies };
  count: CountResult;
  stats: StatsResult;
  export: ExportResult;
  /** Absent from rows of runs before it was measured. */
  fhir_export?: FhirExportResult;
  import: ImportResult;
  rss_peak_mb: number;
  /** SCALE_APP_V8_FLAGS of the run (null: Deno's defaults). */
  app_v8_flags: string | null;
}

/** Seeds `size` records on `backend` and measures them with `queries` list queries a set. */
export async function runSize(
  settings: ScaleSettings,
  backend: Backend,
  size: number,
  queries: number,
  mongoUri?: string,
): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "spm-scale-" });
  const mongo = mongoUri ? { uri: mongoUri, database: uniqueName("spm_scale") } : undefined;
  const env: Record<string, string> = {
    DATA_DIR: dir,
    SESSION_SECRET: SECRET,
    IMPORT_MAX_BYTES: Deno.env.get("IMPORT_MAX_BYTES") ?? "999999999",
    ...(mongo ? { MONGO_URI: mongo.uri, MONGO_DB: mongo.database } : {}),
  };
  console.error(`${backend} ${size.toLocaleString("en-US")}: seeding…`);
  let app: AppProcess | null = null;
  try {
    const summaryPath = `${dir}/seed-summary.json`;
    const summary = await seedUser(env, {
      count: size,
      email: EMAIL,
      password: PASSWORD,
      summaryPath,
    });
    // Another user, with a registry of their own, whose lists are timed around the import.
    await seedUser(env, {
      count: OTHER_RECORDS,
      email: OTHER_EMAIL,
      password: PASSWORD,
      summaryPath: `${dir}/other-summary.json`,
    });
    // The app alone gets SCALE_APP_V8_FLAGS as its V8 flags.
    const appEnv = settings.appV8Flags ? { ...env, DENO_V8_FLAGS: settings.appV8Flags } : env;
    app = await startApp(appEnv);
    const base = app.child.base;
    const headers = await bearerFor(base, { email: EMAIL, password: PASSWORD, name: "scale" });
    const rssIdle = mebibytes(app.rss.rss());
    console.error(`  app ${app.child.pid} idle at ${rssIdle} MB RSS`);

    console.error("  counts…");
    const count = await measureCounts(app, headers, summary, { dir, ...(mongo ? { mongo } : {}) });
    console.error("  lists…");
    const setA = listQueries(queries, size, 11);
    const setB = listQueries(queries, size, 12).filter((q) => !setA.includes(q));
    const cold = await measureList(base, headers, setA, 1);
    const warm = await measureList(base, headers, setA, 1);
    const concurrent = await measureList(base, headers, setB, settings.concurrent);
    console.error(`  list p50 ${cold.p50} ms (cold), ${warm.p50} ms (warm); stats…`);
    const stats = await measureStats(app, headers, summary);
    console.error(`  stats ${stats.first_ms} ms; a fresh app for the export…`);
    // The export and the import on a fresh app: its memory is theirs, not that of the lists'
    // index and caches (a million records' list index holds 16 MB, and 8 MB per sort field).
    const listsPeakMb = mebibytes(app.rss.hwm());
    await app.child.stop();
    app = await startApp(appEnv);
    const other = {
      headers: await bearerFor(app.child.base, {
        email: OTHER_EMAIL,
        password: PASSWORD,
        name: "scale",
      }),
      paths: listQueries(OTHER_QUERIES, OTHER_RECORDS, 13),
    };
    const exported = await measureExport(app, headers, summary.user_total, other.headers);
    console.error(
      `  export ${exported.seconds} s (${exported.cpu_seconds} s CPU), ${exported.peak_rss_mb} MB` +
        `, a list meanwhile ${exported.list_during_export_ms} ms`,
    );
    // FerretDB reads every document per query: its runs stop short of the bulk export.
    const fhir = backend === "embedded"
      ? await measureFhirExport(app, headers, summary.user_total)
      : undefined;
    if (fhir) {
      console.error(
        `  FHIR export ${fhir.seconds} s (${fhir.cpu_seconds} s CPU), RSS ${fhir.rss_before_mb}` +
          ` → ${fhir.peak_rss_mb} MB, ${Math.round(fhir.bytes / 1e6)} MB downloaded in ` +
          `${fhir.download_seconds} s`,
      );
    }
    console.error("  import…");
    const imported = await measureImport(app, headers, dir, summary, other);
    const lists = imported.other_user_lists;
    console.error(
      `  import ${imported.seconds} s (${imported.cpu_seconds} s CPU), ${imported.peak_rss_mb} MB` +
        (lists
          ? `; another user's list p99 ${lists.idle.p99} ms idle, ` +
            `${lists.during_import.p99} ms during it`
          : ""),
    );
    return {
      backend,
      size,
      seed: { seconds: summary.seconds, records_per_second: summary.records_per_second },
      rss_idle_mb: rssIdle,
      list: { cold, concurrent: { ...concurrent, clients: settings.concurrent }, warm },
      count,
      stats,
      export: exported,
      ...(fhir ? { fhir_export: fhir } : {}),
      import: imported,
      rss_peak_mb: Math.max(listsPeakMb, mebibytes(app.rss.hwm())),
      app_v8_flags: settings.appV8Flags,
    };
  } finally {
    await app?.child.stop();
    if (mongo) await dropMongoDatabase(mongo.uri, mongo.database).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}
