/**
 * Big registries under the same load: users with 204,400 records (the dataset's size forty
 * times) and a million, synthetic (`scripts/seed.ts`, drawn from the dataset's aggregates),
 * seeded into the running app's store before anything is measured, and listed with the API
 * random mix at the bench's connections right after the 5,110-record registry's run. Each
 * rate is given as a share of that run's; a registry's first lists wait for its list index
 * (`db/patients/sqlite/list_index.ts`), hence a longer warm-up.
 */
import { bearerFor } from "../lib/client.ts";
import { appTarget, type Bench, gets, measure, progress } from "../lib/measure.ts";
import { seedUser } from "../lib/processes.ts";
import type { EmbeddedApp } from "./embedded.ts";

/** The goals of issue 27: a share of the small registry's rate, and a p99 (ms). */
const GOALS: Record<number, { share: number; p99Ms: number | null }> = {
  204_400: { share: 0.5, p99Ms: null },
  1_000_000: { share: 0.3, p99Ms: 250 },
};

const PASSWORD = "big registry password";

export interface BigRegistry {
  records: number;
  email: string;
  seedSeconds: number;
}

export interface BigRegistryResult {
  records: number;
  target: string;
  seed_seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** The rate as a share of the 5,110-record registry's (`api-random`). */
  share: number;
  goal_share: number | null;
  goal_p99_ms: number | null;
  /** Every goal of the size met (null: none set). */
  met: boolean | null;
  load_1m: number;
}

/** Seeds one user per size into the app's store (its DATA_DIR) while it runs. */
export async function seedBigRegistries(
  env: Record<string, string>,
  sizes: readonly number[],
): Promise<BigRegistry[]> {
  const out: BigRegistry[] = [];
  for (const records of sizes) {
    progress(`Seeding a registry of ${records.toLocaleString("en-US")} records…`);
    const email = `big-${records}@example.org`;
    const summary = await seedUser(env, {
      count: records,
      email,
      password: PASSWORD,
      summaryPath: `${env.DATA_DIR}/seed-${records}.json`,
    });
    out.push({ records, email, seedSeconds: summary.seconds });
  }
  return out;
}

/** The random mix on each big registry; call right after the `api-random` target. */
export async function measureBigRegistries(
  bench: Bench,
  app: EmbeddedApp,
  mix: readonly string[],
  registries: readonly BigRegistry[],
) {
  const { results, settings } = bench;
  const small = results.targets.find((t) => t.id === "api-random");
  for (const registry of registries) {
    const headers = await bearerFor(app.child.base, {
      email: registry.email,
      password: PASSWORD,
      name: "bench",
    });
    const records = registry.records.toLocaleString("en-US");
    const result = await measure(
      bench,
      appTarget(bench, app, {
        id: `api-random-${registry.records}`,
        label: `GET /api/patient_data?… random mix, a registry of ${records} (bearer token)`,
        requests: gets(mix.map((q) => `/api/patient_data?${q}`)),
        headers,
        warmupSeconds: settings.bigWarmupSeconds,
      }),
    );
    results.ratio(result.id, "api-random");
    const goal = GOALS[registry.records] ?? null;
    const share = small ? result.rps / small.rps : NaN;
    results.bigRegistries.push({
      records: registry.records,
      target: result.id,
      seed_seconds: registry.seedSeconds,
      rps: result.rps,
      p50_ms: result.p50_ms,
      p99_ms: result.p99_ms,
      share,
      goal_share: goal?.share ?? null,
      goal_p99_ms: goal?.p99Ms ?? null,
      met: goal ? share >= goal.share && (goal.p99Ms === null || result.p99_ms < goal.p99Ms) : null,
      load_1m: result.load_1m,
    });
  }
}
