/** The single timed runs: the dataset imported through the API, and everything exported. */
import {
  type Backend,
  type Bench,
  BenchFailure,
  progress,
  type SingleRun,
} from "../lib/measure.ts";
import type { AppProcess } from "../lib/processes.ts";

/** Imports the dataset's CSV through the API, timed; checks every row went in. */
export async function importDataset(
  bench: Bench,
  app: AppProcess,
  backend: Backend,
  bearer: Record<string, string>,
  csv: Uint8Array,
  rows: number,
) {
  const { status, body: answer, seconds, peak } = await timed(app, async () => {
    const res = await fetch(`${app.child.base}/api/patient_data/import?on_conflict=skip`, {
      method: "POST",
      headers: { ...bearer, "Content-Type": "text/csv" },
      body: csv as Uint8Array<ArrayBuffer>,
    });
    return { status: res.status, body: await res.json() };
  });
  if (status !== 200 || answer.inserted !== rows) {
    throw new BenchFailure(
      `Import on ${backend} answered ${status}: ${JSON.stringify(answer).slice(0, 500)}`,
    );
  }
  const label = "import of the dataset (POST /api/patient_data/import, CSV)";
  keep(bench, { kind: "import", label, backend, seconds, bytes: csv.byteLength, rows, peak });
}

/** Exports every record as CSV, timed; checks the row count. */
export async function exportAll(
  bench: Bench,
  app: AppProcess,
  backend: Backend,
  bearer: Record<string, string>,
  rows: number,
) {
  const { status, body: text, seconds, peak } = await timed(app, async () => {
    const res = await fetch(`${app.child.base}/api/patient_data/export?format=csv`, {
      headers: bearer,
    });
    return { status: res.status, body: await res.text() };
  });
  const lines = text.split(/\r?\n/).filter((l) => l !== "").length - 1;
  if (status !== 200 || lines !== rows) {
    throw new BenchFailure(`Export on ${backend} answered ${status} with ${lines} rows`);
  }
  const label = "export of everything (GET /api/patient_data/export?format=csv)";
  const bytes = new TextEncoder().encode(text).byteLength;
  keep(bench, { kind: "export", label, backend, seconds, bytes, rows, peak });
}

/** `request`'s answer, how long it took and the app's peak RSS meanwhile. */
async function timed<T>(
  app: AppProcess,
  request: () => Promise<{ status: number; body: T }>,
): Promise<{ status: number; body: T; seconds: number; peak: number }> {
  app.rss.reset();
  const started = performance.now();
  const answer = await request();
  const seconds = (performance.now() - started) / 1000;
  return { ...answer, seconds, peak: app.rss.peak() };
}

/** Adds a single run to the results, with its rates. */
function keep(
  bench: Bench,
  run: Omit<SingleRun, "id" | "mb_per_s" | "rows_per_s" | "app_peak_rss_bytes"> & {
    kind: "import" | "export";
    peak: number;
  },
) {
  const { kind, label, backend, seconds, bytes, rows } = run;
  bench.results.singleRuns.push({
    id: `${kind}-${backend}`,
    label,
    backend,
    seconds,
    bytes,
    rows,
    mb_per_s: bytes / 1e6 / seconds,
    rows_per_s: rows / seconds,
    app_peak_rss_bytes: run.peak,
  });
  progress(`  ${kind} on ${backend}: ${rows} rows in ${seconds.toFixed(2)} s`);
}
