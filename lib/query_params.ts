/** Strict reading of query strings shared by the API's endpoints: unknown or repeated parameters and paging. */
import { formatCount } from "./count_format.ts";
import { excerpt } from "./excerpt.ts";
import type { FieldError } from "./errors.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, REGISTRY_PARAMETER } from "./patient_query.ts";

/** Refuses any parameter not in `allowed`, and any given twice. */
export function onlyKnown(
  params: URLSearchParams,
  allowed: readonly string[],
  errors: FieldError[],
): void {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (name === REGISTRY_PARAMETER) continue; // read by the registryScope middleware
    if (!allowed.includes(name)) {
      errors.push({ field: excerpt(name), message: `Unknown parameter "${excerpt(name)}"` });
    } else if (seen.has(name)) errors.push({ field: name, message: `Give "${name}" once` });
    seen.add(name);
  }
}

/** A page of a list: from 1, and its size. */
export interface Paging {
  page: number;
  perPage: number;
}

/** A whole number parameter from `min` to `max`; `fallback` when absent (or empty, when allowed). */
export function wholeNumber(
  params: URLSearchParams,
  name: string,
  range: { min: number; max: number },
  errors: FieldError[],
  emptyMeansAbsent = false,
): number | undefined {
  const text = params.get(name)?.trim();
  if (text === undefined || (text === "" && emptyMeansAbsent)) return undefined;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (value >= range.min && value <= range.max) return value;
  errors.push({
    field: name,
    message: `${name} must be a whole number from ${formatCount(range.min)} to ${
      formatCount(range.max)
    }`,
  });
  return undefined;
}

/** `page` (from 1) and `per_page` (1 to 500, default 50), as the patient list reads them. */
export function readPaging(
  params: URLSearchParams,
  errors: FieldError[],
  emptyMeansAbsent = false,
): Paging {
  return {
    page: wholeNumber(params, "page", { min: 1, max: 1_000_000 }, errors, emptyMeansAbsent) ?? 1,
    perPage:
      wholeNumber(params, "per_page", { min: 1, max: MAX_PER_PAGE }, errors, emptyMeansAbsent) ??
        DEFAULT_PER_PAGE,
  };
}
