/** The published dataset's statistics, shipped as a small JSON of counts (`compare=reference`). */
import data from "./reference_stats.json" with { type: "json" };
import type { Stats } from "./patient_stats.ts";

/** The statistics of the published dataset, and where they come from. */
export interface ReferenceStats extends Stats {
  source: {
    /** What the dataset is. */
    name: string;
    /** The CSV file counted (never part of the repository). */
    file: string;
    /** SHA-256 of that file, so anyone can check that they hold the same data. */
    sha256: string;
    records: number;
    /** The script that wrote the JSON. */
    generated_by: string;
  };
}

/** Written by `deno task reference-stats` from `../shared/data/`. */
export const REFERENCE_STATS = data as unknown as ReferenceStats;
