/**
 * Scale: a FHIR Bulk Data export of the registry's patients through the app (`GET
 * /fhir/$export?_type=Patient`, `Prefer: respond-async`; with every type a million records
 * would make 5 GB of Observations, past the 4 GB this server writes), its status polled as
 * `Retry-After` says until the manifest comes,
 * with the app's peak RSS meanwhile (the run writes each file in pieces into the accounts
 * database: its memory should not grow with the registry), then every file downloaded and its
 * lines counted against the manifest and the registry's size.
 */
import { SLOW_REQUEST_MS } from "../lib/client.ts";
import { watchCost } from "../lib/proc.ts";
import type { AppProcess } from "../lib/processes.ts";

export interface FhirExportResult {
  /** Resources per type, as the manifest gives them. */
  resources: Record<string, number>;
  /** From the kick-off to the manifest. */
  seconds: number;
  cpu_seconds: number;
  rss_before_mb: number;
  peak_rss_mb: number;
  download_seconds: number;
  bytes: number;
  /** The file holds the manifest's lines: a Patient per record. */
  exact: boolean;
}

/** Exports everything of the user (`records` patients) and downloads the files. */
export async function measureFhirExport(
  app: AppProcess,
  headers: Record<string, string>,
  records: number,
): Promise<FhirExportResult> {
  const base = app.child.base;
  const cost = watchCost(app.rss);
  const kicked = await fetch(`${base}/fhir/$export?_type=Patient`, {
    headers: { ...headers, Prefer: "respond-async" },
  });
  await kicked.body?.cancel();
  const location = kicked.headers.get("Content-Location");
  if (kicked.status !== 202 || !location) {
    throw new Error(`The FHIR export's kick-off answered ${kicked.status}`);
  }
  const status = new URL(location).pathname;
  let manifest: { output: { type: string; url: string; count: number }[] } | null = null;
  const deadline = Date.now() + SLOW_REQUEST_MS;
  while (!manifest) {
    if (Date.now() > deadline) throw new Error("The FHIR export did not finish");
    const res = await fetch(base + status, { headers });
    if (res.status === 200) manifest = await res.json();
    else {
      await res.body?.cancel();
      if (res.status !== 202) throw new Error(`The FHIR export's status answered ${res.status}`);
      const wait = Number(res.headers.get("Retry-After") ?? "1");
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 2) * 1000));
    }
  }
  const { seconds, cpu_seconds, rss_before_mb, peak_rss_mb } = cost.done();
  const downloaded = performance.now();
  let bytes = 0;
  let lines = 0;
  for (const file of manifest.output) {
    const res = await fetch(base + new URL(file.url).pathname, { headers });
    for await (const piece of res.body!) {
      bytes += piece.byteLength;
      for (let i = 0; i < piece.length; i++) if (piece[i] === 10) lines++;
    }
  }
  const resources: Record<string, number> = {};
  for (const file of manifest.output) {
    resources[file.type] = (resources[file.type] ?? 0) + file.count;
  }
  const total = manifest.output.reduce((n, f) => n + f.count, 0);
  return {
    resources,
    seconds,
    cpu_seconds,
    rss_before_mb,
    peak_rss_mb,
    download_seconds: Math.round((performance.now() - downloaded) / 10) / 100,
    bytes,
    exact: lines === total && resources.Patient === records,
  };
}
