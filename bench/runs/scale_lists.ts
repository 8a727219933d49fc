/** Scale: seeded random list queries, timed one at a time or from several clients at once. */
import { CATEGORICAL_VALUES } from "../../lib/patient_fields.ts";
import { mulberry32 } from "../../lib/random.ts";
import { timedGet } from "../lib/client.ts";
import { type Latencies, percentile, summarize } from "../lib/stats.ts";

const SORTS = [
  "id",
  "age",
  "avg_glucose_level",
  "bmi",
  "stroke",
  "gender",
  "work_type",
  "smoking_status",
  "hypertension",
];
const FILTERS = Object.entries(CATEGORICAL_VALUES) as [string, readonly (string | number)[]][];

/** `count` different list queries: random sorts, filters, page sizes and pages (seeded). */
export function listQueries(count: number, size: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const queries = new Set<string>();
  while (queries.size < count) {
    const params = new URLSearchParams();
    const perPage = pick([25, 50, 50, 50, 100, 200]);
    const roll = random();
    const filtered = roll >= 0.05;
    if (roll < 0.03) {
      // A patient looked up by id.
      params.set("q", String(1 + Math.floor(random() * size)));
    } else if (filtered) {
      for (const [field, values] of FILTERS) {
        if (random() < 0.15) params.set(field, String(pick(values)));
      }
      if (random() < 0.3) {
        const low = Math.floor(random() * 80);
        params.set("age_min", String(low));
        params.set("age_max", String(low + 5 + Math.floor(random() * 30)));
      }
    }
    const sort = pick(SORTS);
    if (sort !== "id" || random() < 0.5) params.set("sort", `${random() < 0.5 ? "-" : ""}${sort}`);
    params.set("per_page", String(perPage));
    // Most views are the first pages; some go far, and 5 % (unfiltered: the last page is
    // known) anywhere in the list.
    const lastPage = Math.max(1, Math.ceil(size / perPage));
    const page = !filtered
      ? 1 + Math.floor(random() * lastPage)
      : random() < 0.6
      ? 1
      : random() < 0.7
      ? 2 + Math.floor(random() * 9)
      : 11 + Math.floor(random() * 190);
    params.set("page", String(page));
    queries.add(`/api/patient_data?${params}`);
  }
  return [...queries];
}

/** Sends `paths` from `clients` clients at once; their times, the slowest and the p50 by sort. */
export async function measureList(
  base: string,
  headers: Record<string, string>,
  paths: string[],
  clients: number,
): Promise<Latencies> {
  const timings: { path: string; ms: number }[] = [];
  let failed = 0;
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < paths.length) {
      const path = paths[next++]!;
      const { status, ms } = await timedGet(base, path, headers);
      timings.push({ path, ms: Math.round(ms * 100) / 100 });
      if (status !== 200) failed++;
    }
  }));
  const bySort: Record<string, number[]> = {};
  for (const { path, ms } of timings) {
    const sort = new URL(path, base).searchParams.get("sort")?.replace(/^-/, "") ?? "id";
    (bySort[sort] ??= []).push(ms);
  }
  return {
    ...summarize(timings.map((t) => t.ms), failed),
    slowest: [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5),
    by_sort: Object.fromEntries(
      Object.entries(bySort).map((
        [sort, ms],
      ) => [sort, { requests: ms.length, p50: percentile(ms, 0.5) }]),
    ),
  };
}
