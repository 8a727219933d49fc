/**
 * The ceilings (bench/ceiling_server.ts, a process of its own): started on the app's own data,
 * checked to answer as the app does, then measured — a tiny JSON route, the app's fixed list
 * bytes from memory, and the random mix done naively through `node:sqlite`.
 */
import { join } from "node:path";
import { type Bench, BenchFailure, gets, measure } from "../lib/measure.ts";
import { type Child, startCeilingServer } from "../lib/processes.ts";
import type { WrkRequest } from "../lib/wrk.ts";
import type { EmbeddedApp } from "./embedded.ts";

/** The list URL of the fixed targets. */
export const FIXED_LIST = "/api/patient_data?per_page=50";

export interface Ceilings {
  child: Child;
  /** The size of the app's answer to FIXED_LIST, which /same-bytes serves. */
  fixedBytes: number;
}

/**
 * Starts the ceiling server on the app's patients.db and its answer to FIXED_LIST (and on
 * `mongo`'s database when given), and checks that it answers as the app does.
 */
export async function startCeilings(
  bench: Bench,
  app: EmbeddedApp,
  mix: readonly string[],
  mongo: { uri: string; database: string } | null,
): Promise<Ceilings> {
  const dir = app.dir;
  const fixed = await fetch(app.child.base + FIXED_LIST, { headers: app.bearer });
  const fixedBytes = new Uint8Array(await fixed.arrayBuffer());
  if (fixed.status !== 200) throw new BenchFailure(`GET ${FIXED_LIST}: ${fixed.status}`);
  const sameBytesFile = join(dir, "same-bytes.json");
  await Deno.writeFile(sameBytesFile, fixedBytes);

  const child = await startCeilingServer({
    PATIENTS_DB: join(dir, "patients.db"),
    USER_ID: String(app.userId),
    SAME_BYTES_FILE: sameBytesFile,
    SAME_BYTES_TYPE: fixed.headers.get("Content-Type") ?? "application/json",
    ...(mongo ? { MONGO_URI: mongo.uri, MONGO_DB: mongo.database } : {}),
  });
  bench.children.push(child);
  await checkSameAnswers(app.child.base, app.bearer, child.base, "/raw", mix, 25);
  const sameCheck = new Uint8Array(await (await fetch(`${child.base}/same-bytes`)).arrayBuffer());
  if (sameCheck.byteLength !== fixedBytes.byteLength) {
    throw new BenchFailure("/same-bytes does not answer the app's bytes");
  }
  return { child, fixedBytes: fixedBytes.byteLength };
}

/** The three ceilings of the embedded app. */
export async function measureCeilings(bench: Bench, ceilings: Ceilings, mix: readonly string[]) {
  const ceilingTarget = (id: string, label: string, requests: WrkRequest[]) =>
    measure(bench, {
      id,
      label,
      kind: "ceiling",
      backend: null,
      base: ceilings.child.base,
      requests,
      connections: bench.settings.connections,
      expected: 200,
    });
  await ceilingTarget("ceiling-tiny", "ceiling: GET /tiny (tiny JSON)", gets(["/tiny"]));
  await ceilingTarget(
    "ceiling-same-bytes",
    `ceiling: GET /same-bytes (the ${
      ceilings.fixedBytes.toLocaleString("en-US")
    } bytes of ${FIXED_LIST}, from memory)`,
    gets(["/same-bytes"]),
  );
  await ceilingTarget(
    "ceiling-raw-sqlite",
    "ceiling: GET /raw?… random mix, naive node:sqlite",
    gets(mix.map((q) => `/raw?${q}`)),
  );
}

/**
 * The same questions to the app and to a ceiling: the totals and the ids on the page must agree,
 * or the ceiling would not be the same query.
 */
export async function checkSameAnswers(
  appBase: string,
  bearer: Record<string, string>,
  ceilingBase: string,
  ceilingPath: string,
  mix: readonly string[],
  count: number,
) {
  const json = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    const text = await res.text();
    if (res.status !== 200) {
      throw new BenchFailure(`${url} answered ${res.status}: ${text.slice(0, 500)}`);
    }
    return JSON.parse(text);
  };
  for (const query of mix.slice(0, count)) {
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
