/**
 * The random mix of list queries: sort, filter and page combinations drawn from a seeded PRNG,
 * so that every run (and every target of a run) asks the same questions in the same order.
 * Pages are drawn from those that exist for the combination on the dataset, so that no request
 * lands past the last page.
 */
import type { PatientFields } from "../../lib/patient_fields.ts";
import { mulberry32 } from "../../lib/random.ts";

/** The eight fields the mix sorts on, each ascending or descending. */
export const SORT_FIELDS = [
  "id",
  "age",
  "avg_glucose_level",
  "bmi",
  "gender",
  "work_type",
  "smoking_status",
  "stroke",
] as const;

/** The filters the mix draws from, with the values it uses. */
const CATEGORY_FILTERS: Record<string, readonly (string | number)[]> = {
  gender: ["Male", "Female"],
  hypertension: [0, 1],
  heart_disease: [0, 1],
  ever_married: ["Yes", "No"],
  work_type: ["children", "Govt_job", "Never_worked", "Private", "Self-employed"],
  Residence_type: ["Rural", "Urban"],
  smoking_status: ["formerly smoked", "never smoked", "smokes", "Unknown"],
  stroke: [0, 1],
};
const FILTER_NAMES = [...Object.keys(CATEGORY_FILTERS), "age"] as const;

export const PER_PAGE = 50;
export const MAX_PAGE = 40;

export interface MixOptions {
  seed: number;
  count: number;
}

/**
 * `count` query strings (without the `?`) such as
 * `sort=-age&gender=Female&stroke=1&page=3&per_page=50`.
 */
export function randomMix(patients: readonly PatientFields[], options: MixOptions): string[] {
  const random = mulberry32(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const out: string[] = [];
  for (let n = 0; n < options.count; n++) {
    const params = new URLSearchParams();
    const field = pick(SORT_FIELDS);
    params.set("sort", random() < 0.5 ? field : `-${field}`);
    // 0 filters 30 %, 1 filter 40 %, 2 filters 20 %, 3 filters 10 %.
    const r = random();
    const filterCount = r < 0.3 ? 0 : r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
    const names = new Set<string>();
    while (names.size < filterCount) names.add(pick(FILTER_NAMES));
    const tests: ((p: PatientFields) => boolean)[] = [];
    for (const name of names) {
      if (name === "age") {
        const min = pick([0, 18, 30, 45, 60, 70]);
        const max = min + pick([10, 20, 40]);
        const which = random();
        if (which < 0.8) params.set("age_min", String(min));
        if (which >= 0.4) params.set("age_max", String(max));
        const lo = params.has("age_min") ? min : -Infinity;
        const hi = params.has("age_max") ? max : Infinity;
        tests.push((p) => p.age >= lo && p.age <= hi);
      } else {
        const value = pick(CATEGORY_FILTERS[name]!);
        params.set(name, String(value));
        tests.push((p) => (p as unknown as Record<string, unknown>)[name] === value);
      }
    }
    const total = patients.filter((p) => tests.every((t) => t(p))).length;
    const pages = Math.max(1, Math.min(MAX_PAGE, Math.ceil(total / PER_PAGE)));
    params.set("page", String(1 + Math.floor(random() * pages)));
    params.set("per_page", String(PER_PAGE));
    out.push(params.toString());
  }
  return out;
}
