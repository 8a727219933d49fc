/**
 * The query parameters of data in and out — an import's and an export's — read with the API's
 * 400 rules (the export panel reads the same, with empty fields meaning absent).
 */
import { type FieldError, InvalidQueryError } from "./errors.ts";
import type { DeidentifyOptions, ExportFormat, ExportOptions } from "./patient_export.ts";
import type { OnConflict } from "./patient_import.ts";
import { insightFilter } from "./insight_query.ts";
import { parseListQuery, type PatientFilter, type PatientListQuery } from "./patient_query.ts";
import { onlyKnown } from "./query_params.ts";

const EXPORT_OPTIONS = ["format", "deidentify", "k_min", "coarsen"] as const;

/** A flag parameter: `true` or `false`; anything else is reported. */
function flag(
  params: URLSearchParams,
  name: string,
  errors: FieldError[],
): boolean {
  const value = params.get(name);
  if (value === null || value === "false") return false;
  if (value === "true") return true;
  errors.push({ field: name, message: `${name} must be true or false` });
  return false;
}

/** The parameters of an import: `on_conflict` and `dry_run`; throws `InvalidQueryError`. */
export function importParameters(
  params: URLSearchParams,
): { onConflict: OnConflict; dryRun: boolean } {
  const errors: FieldError[] = [];
  onlyKnown(params, ["on_conflict", "dry_run"], errors);
  const onConflict = params.get("on_conflict") ?? "skip";
  if (onConflict !== "skip" && onConflict !== "update") {
    errors.push({ field: "on_conflict", message: "on_conflict must be skip or update" });
  }
  const dryRun = flag(params, "dry_run", errors);
  if (errors.length) throw new InvalidQueryError(errors);
  return { onConflict: onConflict as OnConflict, dryRun };
}

/** The filters, sort and options of an export; throws `InvalidQueryError`. */
export function exportParameters(
  params: URLSearchParams,
  options: { emptyMeansAbsent?: boolean } = {},
): { query: PatientListQuery; options: ExportOptions } {
  const errors: FieldError[] = [];
  const parsed = parseListQuery(params, { ...options, ignore: EXPORT_OPTIONS });
  if (!parsed.ok) errors.push(...parsed.errors);
  for (const name of ["page", "per_page"]) {
    if (params.has(name)) {
      errors.push({
        field: name,
        message: `An export holds every matching record; leave ${name} out`,
      });
    }
  }
  const format = params.get("format") ?? "csv";
  if (format !== "csv" && format !== "json") {
    errors.push({ field: "format", message: "format must be csv or json" });
  }
  const deidentification = deidentifyOptions(params, errors, options);
  if (errors.length || !parsed.ok) throw new InvalidQueryError(errors);
  return {
    query: parsed.query,
    options: { format: format as ExportFormat, ...deidentification },
  };
}

/** `deidentify`, `k_min` and `coarsen`, the last two for a de-identified export only. */
function deidentifyOptions(
  params: URLSearchParams,
  errors: FieldError[],
  options: { emptyMeansAbsent?: boolean },
): DeidentifyOptions {
  const deidentify = flag(params, "deidentify", errors);
  const kText = params.get("k_min");
  let kMin: number | undefined;
  if (kText !== null && !(options.emptyMeansAbsent && kText === "")) {
    kMin = /^\d{1,6}$/.test(kText) ? Number(kText) : NaN;
    if (!(kMin >= 1)) {
      errors.push({ field: "k_min", message: "k_min must be a whole number from 1" });
    } else if (!deidentify) {
      errors.push({ field: "k_min", message: "k_min applies to a de-identified export only" });
    }
  }
  const coarsen = flag(params, "coarsen", errors);
  if (coarsen && !deidentify) {
    errors.push({ field: "coarsen", message: "coarsen applies to a de-identified export only" });
  }
  return { deidentify, kMin, coarsen };
}

/**
 * The parameters of the admissions' export: the list's filters (which patients' admissions),
 * `format` (CSV only), `deidentify`, `k_min` and `coarsen` as for the records' export; throws
 * `InvalidQueryError`.
 */
export function admissionExportParameters(
  params: URLSearchParams,
): { filter: PatientFilter; options: DeidentifyOptions } {
  const errors: FieldError[] = [];
  let filter: PatientFilter = {};
  try {
    filter = insightFilter(params, {
      options: EXPORT_OPTIONS,
      covers: "An admissions export holds every admission of the matching patients, by patient",
    });
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    errors.push(...error.errors);
  }
  const format = params.get("format") ?? "csv";
  if (format !== "csv") errors.push({ field: "format", message: "format must be csv" });
  const options = deidentifyOptions(params, errors, {});
  if (errors.length) throw new InvalidQueryError(errors);
  return { filter, options };
}
