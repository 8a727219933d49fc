/**
 * Writes `lib/reference_stats.json`: the statistics of the published 5,110-record stroke
 * dataset, in the shape of `GET /api/patient_data/stats`, for `compare=reference`. It imports
 * the CSV (never committed) into a throw-away embedded store and counts it with the app's own
 * code, so the reference is banded exactly as a user's records are. Beside it, it writes
 * `bench/seed_distribution.json`: the per-age-band counts and quantiles from which
 * `deno task seed` and `deno task bench-scale` draw synthetic records (aggregates only).
 *
 *   deno task reference-stats [path/to/healthcare-dataset-stroke-data.csv]
 */
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { readCsvRecords } from "../lib/csv_rows.ts";
import { importPatients } from "../lib/patient_import.ts";
import { patientStats } from "../lib/patient_stats.ts";
import type { ReferenceStats } from "../lib/reference_stats.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import { seedDistribution } from "./synthetic_patients.ts";

const DEFAULT_CSV = fileURLToPath(
  new URL("../../shared/data/healthcare-dataset-stroke-data.csv", import.meta.url),
);
const OUTPUT = fileURLToPath(new URL("../lib/reference_stats.json", import.meta.url));
const SEED_OUTPUT = fileURLToPath(new URL("../bench/seed_distribution.json", import.meta.url));

const csvPath = Deno.args[0] ?? DEFAULT_CSV;
const bytes = await Deno.readFile(csvPath);
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");

const store = openSqlitePatientStore(":memory:");
try {
  const imported = await importPatients(store, 1, readCsvRecords(bytes, bytes.length), {
    onConflict: "skip",
    dryRun: false,
  });
  if (imported.errors.length > 0 || imported.skipped > 0) {
    throw new Error(
      `${csvPath}: ${imported.errors.length} bad rows, ${imported.skipped} repeated ids`,
    );
  }
  const stats = await patientStats(store, 1, {});
  const reference: ReferenceStats = {
    source: {
      name:
        "Stroke Prediction Dataset (healthcare-dataset-stroke-data.csv), as published on Kaggle",
      file: basename(csvPath),
      sha256,
      records: imported.rows,
      generated_by: "scripts/reference_stats.ts",
    },
    ...stats,
  };
  await Deno.writeTextFile(OUTPUT, `${JSON.stringify(reference, null, 2)}\n`);
  console.log(`Wrote ${OUTPUT}: ${stats.total} records, ${stats.stroke} strokes.`);

  const records: PatientFields[] = [];
  for await (const record of store.stream(1, {}, { field: "id", direction: "asc" })) {
    records.push(record);
  }
  const distribution = seedDistribution(records, {
    file: basename(csvPath),
    sha256,
    records: records.length,
    generated_by: "scripts/reference_stats.ts",
  });
  await Deno.writeTextFile(SEED_OUTPUT, `${JSON.stringify(distribution, null, 2)}\n`);
  console.log(`Wrote ${SEED_OUTPUT}: ${distribution.bands.length} age bands.`);
} finally {
  await store.close();
}
