/** An insight request's parameters (statistics, quality, risk): the list's filters, `compare`. */
import { type FieldError, InvalidQueryError } from "./errors.ts";
import { parseListQuery, type PatientFilter } from "./patient_query.ts";

/** The list's parameters that choose a page or an order, which a summary of every record has not. */
const LIST_ONLY = ["page", "per_page", "sort"] as const;

/**
 * The list's filters of an insight request, with the same 400 rules; `page`, `per_page` and
 * `sort` are refused (an API caller) or ignored (the dashboard, reached from a list view).
 * `options` names the request's own further parameters, which the caller reads.
 */
export function insightFilter(
  params: URLSearchParams,
  { options = [], browser = false, covers = "Insight covers every matching record, in no order" }: {
    options?: readonly string[];
    browser?: boolean;
    /** Why paging and order do not apply, in words (the start of the refusal's message). */
    covers?: string;
  } = {},
): PatientFilter {
  const errors: FieldError[] = [];
  const ignore = browser ? [...options, ...LIST_ONLY] : options;
  const parsed = parseListQuery(params, { ignore, emptyMeansAbsent: browser });
  if (!parsed.ok) errors.push(...parsed.errors);
  for (const name of browser ? [] : LIST_ONLY) {
    if (params.has(name)) {
      errors.push({
        field: name,
        message: `${covers}; leave ${name} out`,
      });
    }
  }
  for (const name of options) {
    if (params.getAll(name).length > 1) {
      errors.push({ field: name, message: `Give "${name}" once` });
    }
  }
  if (errors.length || !parsed.ok) throw new InvalidQueryError(errors);
  return parsed.query.filter;
}

/** `compare=reference` (or absent); anything else is reported. */
export function compareReference(params: URLSearchParams, browser = false): boolean {
  const compare = params.get("compare");
  if (compare === null || (browser && compare === "")) return false;
  if (compare === "reference") return true;
  throw new InvalidQueryError([{ field: "compare", message: "compare must be reference" }]);
}
