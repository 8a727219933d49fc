/** Scale: the list's totals and the statistics, checked against the seeder's and the database's. */
import { MongoClient } from "mongodb";
import { DatabaseSync } from "node:sqlite";
import type { SeedSummary } from "../../scripts/seed.ts";
import { timedGet } from "../lib/client.ts";
import type { AppProcess } from "../lib/processes.ts";
import { percentile } from "../lib/stats.ts";

interface CountCheck {
  filter: string;
  total: number;
  expected: number;
  ms: number;
}

export interface CountResult {
  exact: boolean;
  database_total: number;
  p50: number;
  max: number;
  checks: CountCheck[];
}

export interface StatsResult {
  exact: boolean;
  first_ms: number;
  second_ms: number;
}

/** Where the run's records are: the embedded store's folder, or a MongoDB database. */
export interface Store {
  dir: string;
  mongo?: { uri: string; database: string };
}

/** The user's records, counted in the database itself. */
async function databaseCount(store: Store, userId: number): Promise<number> {
  if (store.mongo) {
    const client = new MongoClient(store.mongo.uri);
    try {
      return await client.db(store.mongo.database).collection("Patient_data")
        .countDocuments({ user_id: userId });
    } finally {
      await client.close();
    }
  }
  const db = new DatabaseSync(`${store.dir}/patients.db`, { readOnly: true });
  try {
    const row = db.prepare("SELECT COUNT(*) AS n FROM patients WHERE user_id = ?").get(userId);
    return Number((row as { n: number }).n);
  } finally {
    db.close();
  }
}

/** The list's total for no filter and the rarest and commonest value of each field. */
export async function measureCounts(
  app: AppProcess,
  headers: Record<string, string>,
  summary: SeedSummary,
  store: Store,
): Promise<CountResult> {
  const checks: CountCheck[] = [];
  const database = await databaseCount(store, summary.user_id);
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
    const { status, ms, body } = await timedGet(app.child.base, path, headers);
    const total = status === 200 ? Number(JSON.parse(body).total) : -status;
    checks.push({ filter: filter || "(none)", total, expected, ms: Math.round(ms * 100) / 100 });
  }
  const times = checks.map((c) => c.ms);
  return {
    exact: database === summary.user_total && checks.every((c) => c.total === c.expected),
    database_total: database,
    p50: percentile(times, 0.5),
    max: Math.max(...times),
    checks,
  };
}

/** `GET /api/patient_data/stats` twice, its total, strokes and genders checked. */
export async function measureStats(
  app: AppProcess,
  headers: Record<string, string>,
  summary: SeedSummary,
): Promise<StatsResult> {
  const first = await timedGet(app.child.base, "/api/patient_data/stats", headers);
  const second = await timedGet(app.child.base, "/api/patient_data/stats", headers);
  let exact = first.status === 200;
  if (exact) {
    const stats = JSON.parse(first.body);
    exact = stats.total === summary.user_total && stats.stroke === summary.stroke &&
      Object.entries(summary.by.gender!).every(([g, n]) => stats.by.gender[g].total === n);
  }
  return { exact, first_ms: Math.round(first.ms), second_ms: Math.round(second.ms) };
}
