/** The shared real data (the 5,110-row dataset, werkzeug hashes): found, skipped with a message, or required in CI. */
import { parse } from "csv-parse/sync";
import { join } from "node:path";
import type { PatientFields } from "../../lib/patient_fields.ts";
import { parsePatientText, validatePatient } from "../../lib/patient_validation.ts";
import { IN_CI } from "./backends.ts";

const env = Deno.env.toObject();
const SHARED_DATA = env.SPM_SHARED_DATA ??
  new URL("../../../shared/data/", import.meta.url).pathname;

/** Path of a file of the shared data, or null when it is absent (a fresh clone). Required in CI. */
export function sharedDataFile(name: string): string | null {
  const path = join(SHARED_DATA, name);
  try {
    Deno.statSync(path);
    return path;
  } catch {
    if (IN_CI) throw new Error(`CI needs the shared data file ${path}`);
    return null;
  }
}

/** Says a test was skipped because the shared data is not there. */
export function skipWithoutData(name: string): boolean {
  const missing = sharedDataFile(name) === null;
  if (missing) console.warn(`Skipped: ${name} is not in ${SHARED_DATA} (set SPM_SHARED_DATA).`);
  return missing;
}

export const DATASET = "healthcare-dataset-stroke-data.csv";
export const WERKZEUG_HASHES = "werkzeug-hashes.json";

let datasetCache: { rows: Record<string, string>[]; patients: PatientFields[] } | null = null;

/** The real dataset: its CSV rows as text, and as validated patients. Null when absent. */
export function loadDataset():
  | { rows: Record<string, string>[]; patients: PatientFields[] }
  | null {
  if (datasetCache) return datasetCache;
  const path = sharedDataFile(DATASET);
  if (!path) return null;
  const rows = parse(Deno.readTextFileSync(path), { columns: true, bom: true }) as Record<
    string,
    string
  >[];
  const patients = rows.map((row, i) => {
    const result = validatePatient(parsePatientText(row), "create");
    if (!result.ok) throw new Error(`Dataset line ${i + 2}: ${JSON.stringify(result.errors)}`);
    return result.value as PatientFields;
  });
  datasetCache = { rows, patients };
  return datasetCache;
}
