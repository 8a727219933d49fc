/**
 * A user who hammers the heavy requests (risk, statistics, data quality, the dashboard, exports,
 * import dry runs) beside another user who only reads their list: a big synthetic registry, the
 * hammering clients, latency samples and percentiles.
 */
import {
  loadSeedDistribution,
  SYNTHETIC_CSV_HEADER,
  syntheticCsvLine,
  syntheticPatients,
} from "../../scripts/synthetic_patients.ts";
import type { PatientFields } from "../../lib/patient_fields.ts";
import type { PatientStore } from "../../lib/patient_store.ts";

/** Stores `count` synthetic patients (ids from 1) for `userId`, in batches. */
export async function fillRegistry(
  store: PatientStore,
  userId: number,
  count: number,
  seed = 1,
): Promise<PatientFields[]> {
  const distribution = await loadSeedDistribution();
  const all = [...syntheticPatients(distribution, { firstId: 1, count, seed })];
  for (let i = 0; i < all.length; i += 10_000) {
    await store.insertMany(userId, all.slice(i, i + 10_000));
  }
  return all;
}

/** The records as the dataset's CSV (header first). */
export function registryCsv(records: readonly PatientFields[]): string {
  return [SYNTHETIC_CSV_HEADER, ...records.map(syntheticCsvLine)].join("\n") + "\n";
}

/** The value below which `q` (0..1) of the samples fall (nearest rank). */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/**
 * Times (ms) of `count` GETs of `url` (`{page}` → 1..10 in turn) with `credentials` (`Bearer …`
 * or a session's cookies), `gapMs` apart, sent by a process of their own: a client in the app's
 * process would only send when the app lets its event loop go, and would never see its stalls.
 */
export async function sampleLatency(
  url: string,
  credentials: string,
  count: number,
  gapMs = 20,
): Promise<number[]> {
  const client = new URL("./latency_client.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", client, url, credentials, String(count), String(gapMs)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(text) as number[];
}

/** What the hammering clients were answered. */
export interface HammerReport {
  statuses: Record<number, number>;
  /** Every 429's Retry-After and content type, and one body of each kind. */
  refusals: { retryAfter: string | null; type: string; body: string }[];
  /** Answers that were neither 200 nor 429: `status path`. */
  unexpected: string[];
}

/**
 * Starts a process of its own hammering one user's heavy requests with `clients` loops (see
 * `hammer_client.ts`); `stop()` ends it and returns what it was answered.
 */
export function hammer(
  { origin, token, cookie, csv, clients }: {
    origin: string;
    token: string;
    /** The user's browser session, for the dashboard. */
    cookie: string;
    /** The body of the import dry runs. */
    csv: string;
    clients: number;
  },
): { stop(): Promise<HammerReport> } {
  const file = Deno.makeTempFileSync({ suffix: ".csv" });
  Deno.writeTextFileSync(file, csv);
  const script = new URL("./hammer_client.ts", import.meta.url).pathname;
  // At the lowest CPU priority: on this one machine, the client's own work (reading megabytes of
  // exports) stands in for another computer's, and must not take the server's or the reader's core.
  const child = new Deno.Command("nice", {
    args: [
      "-n",
      "19",
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-read",
      script,
      origin,
      token,
      cookie,
      file,
      `${clients}`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return {
    async stop() {
      await child.stdin.close();
      const output = await child.output();
      Deno.removeSync(file);
      if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
      return JSON.parse(new TextDecoder().decode(output.stdout)) as HammerReport;
    },
  };
}

/**
 * Runs `body` while an export of `token`'s records is open and unread (so that it holds the
 * user's heavy-work slot), then cancels the export.
 */
export async function whileExporting<T>(
  app: { request(path: string, init?: RequestInit): Promise<Response> },
  token: string,
  body: () => Promise<T>,
): Promise<T> {
  const exporting = await app.request("/api/patient_data/export", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (exporting.status !== 200) throw new Error(`The export answered ${exporting.status}`);
  try {
    return await body();
  } finally {
    await exporting.body?.cancel();
  }
}
