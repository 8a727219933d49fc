/**
 * Scale: the whole CSV exported (with one list request while it streams) and as many new rows
 * imported, each with the app's wall and CPU time and its peak RSS; another user's lists are
 * timed one after another before the import and while it runs.
 */
import type { SeedSummary } from "../../scripts/seed.ts";
import {
  loadSeedDistribution,
  SYNTHETIC_CSV_HEADER,
  syntheticCsvLine,
  syntheticPatients,
} from "../../scripts/synthetic_patients.ts";
import { SLOW_REQUEST_MS, timedGet } from "../lib/client.ts";
import { watchCost } from "../lib/proc.ts";
import type { AppProcess } from "../lib/processes.ts";
import { type Latencies, summarize } from "../lib/stats.ts";

export interface ExportResult {
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
}

/** Another user's lists, one at a time: idle, then while the import runs. */
export interface OtherUserLists {
  idle: Latencies;
  during_import: Latencies;
  /** p99 during the import as a multiple of idle (goal: at most 2). */
  p99_ratio: number;
}

/** Another user (a registry of their own) whose lists are timed around the import. */
export interface OtherUser {
  headers: Record<string, string>;
  /** Different list queries, more than the read cache holds: none is answered from it. */
  paths: string[];
}

export interface ImportResult {
  rows: number;
  bytes: number;
  seconds: number;
  cpu_seconds: number;
  rows_per_second: number;
  exact: boolean;
  rss_before_mb: number;
  peak_rss_mb: number;
  answer: Record<string, unknown>;
  other_user_lists: OtherUserLists | null;
}

/** Requests before those (not timed): the first lists of a user build what later ones read. */
const WARM_UP_LISTS = 200;
/** Requests before the import that make the idle figure. */
const IDLE_LISTS = 400;

/**
 * The other user's lists, one after another, until `stop` resolves (or `count` are done), each
 * timed; the queries taken in turn.
 */
async function listsUntil(
  base: string,
  other: OtherUser,
  stop: Promise<unknown> | null,
  count = Infinity,
): Promise<Latencies> {
  let stopped = false;
  stop?.finally(() => stopped = true);
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; !stopped && i < count; i++) {
    const { status, ms } = await timedGet(
      base,
      other.paths[i % other.paths.length]!,
      other.headers,
    );
    if (status !== 200) failed++;
    times.push(ms);
  }
  return summarize(times, failed);
}

/** Streams the whole CSV export and counts its rows; a list request goes 1 s into it. */
export async function measureExport(
  app: AppProcess,
  headers: Record<string, string>,
  expectedRows: number,
  /** Who lists while the export streams (another user: their lists must not wait for it). */
  listHeaders: Record<string, string> = headers,
): Promise<ExportResult> {
  const base = app.child.base;
  const cost = watchCost(app.rss);
  let done = false;
  const res = await fetch(`${base}/api/patient_data/export?format=csv`, {
    headers,
    signal: AbortSignal.timeout(SLOW_REQUEST_MS),
  });
  // One list request while the export streams: does the export hold up other readers?
  const during = new Promise<number | null>((resolve) =>
    setTimeout(async () => {
      if (done) return resolve(null);
      const { ms } = await timedGet(base, "/api/patient_data?per_page=50&page=3", listHeaders);
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
  const { seconds, cpu_seconds, rss_before_mb, peak_rss_mb } = cost.done();
  const rows = lines - 1;
  return {
    rows,
    bytes,
    seconds,
    cpu_seconds,
    exact: res.status === 200 && rows === expectedRows,
    rss_before_mb,
    peak_rss_mb,
    list_during_export_ms: await during,
  };
}

/** Uploads as many new synthetic rows as the user has, as one CSV stream; checks they went in. */
export async function measureImport(
  app: AppProcess,
  headers: Record<string, string>,
  dir: string,
  summary: SeedSummary,
  other: OtherUser | null,
): Promise<ImportResult> {
  const count = summary.count;
  const path = `${dir}/import.csv`;
  const bytes = await writeImportFile(path, summary.first_id + count, count);
  const file = await Deno.open(path, { read: true });
  const base = app.child.base;
  // The other user's first lists build their snapshot and its orders: not part of idle.
  if (other) await listsUntil(base, other, null, WARM_UP_LISTS);
  const idle = other ? await listsUntil(base, other, null, IDLE_LISTS) : null;
  const cost = watchCost(app.rss);
  const sent = fetch(`${base}/api/patient_data/import`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "text/csv" },
    body: file.readable,
    signal: AbortSignal.timeout(SLOW_REQUEST_MS),
  }).then(async (res) => ({ res, text: await res.text() }));
  const during = other ? listsUntil(base, other, sent) : null;
  const { res, text } = await sent;
  const { elapsed, seconds, cpu_seconds, rss_before_mb, peak_rss_mb } = cost.done();
  const duringImport = await during;
  await Deno.remove(path);
  let answer: Record<string, unknown> = { status: res.status, body: text.slice(0, 500) };
  let exact = false;
  if (res.ok) {
    answer = JSON.parse(text);
    const errors = answer.errors as unknown[];
    answer = { ...answer, errors: errors.length };
    const after = await timedGet(app.child.base, "/api/patient_data?per_page=1", headers);
    exact = answer.inserted === count && errors.length === 0 &&
      JSON.parse(after.body).total === summary.user_total + count;
  }
  return {
    rows: count,
    bytes,
    seconds,
    cpu_seconds,
    rows_per_second: Math.round(count / elapsed),
    exact,
    rss_before_mb,
    peak_rss_mb,
    answer,
    other_user_lists: idle && duringImport
      ? { idle, during_import: duringImport, p99_ratio: duringImport.p99 / idle.p99 }
      : null,
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
