/**
 * The patient list's address as the browser page reads it: leniently, so that a filter mistake
 * is a message in words at its field (never an error page, as it is for the API); the view an
 * htmx request comes from; and the few sums that keep the page's count true to the rows on
 * screen.
 */
import type { Context } from "hono";
import { formatCount } from "../lib/count_format.ts";
import { excerpt } from "../lib/excerpt.ts";
import type { FieldErrors } from "../components/Form.tsx";
import {
  FILTER_FIELDS,
  type FilterField,
  FILTERS_OPEN,
  filterValues,
} from "../components/PatientsPage.tsx";
import { pageCount } from "../components/PatientTable.tsx";
import { FIELD_LABELS, FIELD_RULES } from "../lib/patient_fields.ts";
import { parseUrl } from "../lib/safe_url.ts";
import {
  DEFAULT_LIST_QUERY,
  MAX_PER_PAGE,
  parseListQuery,
  type PatientListQuery,
} from "../lib/patient_query.ts";

/** A comma typed as the decimal mark ("28,4"), which the app reads only as a point. */
export function commaDecimal(text: string | undefined): boolean {
  return /^\s*\d+,\d+\s*$/.test(text ?? "");
}

/** What the list's address asks for, as the browser page reads it. */
export interface ListView {
  /** The view to show; when a filter has a problem, the part of it that is fine. */
  query: PatientListQuery;
  /** The text of each filter field (as typed, for one with a problem). */
  values: Partial<Record<FilterField, string>>;
  /** Problems at filter fields, in words: the table shows no rows until they are corrected. */
  errors: FieldErrors;
  /** Parts of the address that belong to no field and were left out, as `name=value`. */
  ignored: string[];
  /** The address asks for the filter panel open (`filters=open`). */
  filtersOpen: boolean;
}

/** Parts of the address that are not the view: a row added inline, the open filter panel. */
const NOT_THE_VIEW = ["added", FILTERS_OPEN.name];

const isFilterField = (name: string): name is FilterField =>
  (FILTER_FIELDS as readonly string[]).includes(name);

/** A filter's problem in a clinician's words (the API's messages name URL parameters). */
function filterMessage(field: FilterField, params: URLSearchParams): string {
  const given = params.getAll(field);
  if (given.length > 1) return "Give one value only";
  const text = (given[0] ?? "").trim();
  switch (field) {
    case "q":
      return "Enter a patient ID: a whole number, such as 1234";
    case "per_page":
      return `Choose from 1 to ${formatCount(MAX_PER_PAGE)} rows per page`;
    case "age_min":
    case "age_max": {
      // Fine on its own: then it is the range that is upside down.
      if (parseListQuery(new URLSearchParams({ [field]: text })).ok) {
        return `“Age from” (${excerpt(params.get("age_min") ?? "")}) is above “Age to” (${
          excerpt(params.get("age_max") ?? "")
        })`;
      }
      if (commaDecimal(text)) {
        return `Write decimals with a point: ${excerpt(text.replace(",", "."))}`;
      }
      return `Enter an age in years from 0 to ${FIELD_RULES.age.max}, such as 40 or 0.5`;
    }
    case "admitted_from":
    case "admitted_to":
      if (parseListQuery(new URLSearchParams({ [field]: text })).ok) {
        return "“Arrived to” is before “Arrived from”";
      }
      return "Enter a date, such as 2026-01-31";
    case "stroke_type":
    case "treatment":
      return `“${excerpt(text)}” is not one of the choices for the ${field.replace("_", " ")}`;
    default:
      return `“${excerpt(text)}” is not one of the choices for ${
        FIELD_LABELS[field].toLowerCase()
      }`;
  }
}

/** Reads the list's address leniently: a problem is shown at its field, never as an error page. */
export function listViewOf(params: URLSearchParams): ListView {
  const filtersOpen = params.get(FILTERS_OPEN.name) === FILTERS_OPEN.value;
  const parsed = parseListQuery(params, { emptyMeansAbsent: true, ignore: NOT_THE_VIEW });
  if (parsed.ok) {
    const values = filterValues(parsed.query);
    return { query: parsed.query, values, errors: {}, ignored: [], filtersOpen };
  }
  const errors: FieldErrors = {};
  const ignored: string[] = [];
  const rest = new URLSearchParams(params);
  for (const { field } of parsed.errors) {
    if (isFilterField(field)) errors[field] = filterMessage(field, params);
    else ignored.push(...params.getAll(field).map((value) => `${field}=${value}`));
    rest.delete(field);
  }
  const fallback = parseListQuery(rest, { emptyMeansAbsent: true, ignore: NOT_THE_VIEW });
  const query = fallback.ok ? fallback.query : DEFAULT_LIST_QUERY;
  const values = filterValues(query);
  for (const field of Object.keys(errors) as FilterField[]) values[field] = params.get(field) ?? "";
  return { query, values, errors, ignored, filtersOpen };
}

/** The list view the browser is showing (an htmx request's `HX-Current-URL`), or the default. */
export function currentView(c: Context): ListView {
  const url = parseUrl(c.req.header("HX-Current-URL") ?? "");
  return listViewOf(url?.searchParams ?? new URLSearchParams());
}

/** The list view the browser is showing (for counts after an htmx change), or the default. */
export function currentQuery(c: Context): PatientListQuery {
  return currentView(c).query;
}

/** A word about the parts of the list's address that were left out, if any. */
export function ignoredAlert(view: ListView): string | undefined {
  return view.ignored.length
    ? `Part of the address was not understood and is left out: ${
      view.ignored.map((p) => `“${p}”`).join(", ")
    }.`
    : undefined;
}

/**
 * The list view a record's page comes back to: the one its address carries (the edit and delete
 * forms send it along), else the list it was opened from. A row's links do not repeat the view
 * (fifty rows a page), and the browser says where it came from (`Referer`: the app's
 * Referrer-Policy is same-origin). The default view when neither says.
 */
export function carriedQuery(c: Context): PatientListQuery {
  const own = new URL(c.req.url).searchParams;
  if ([...own.keys()].some((name) => name !== "registry")) return listViewOf(own).query;
  const from = parseUrl(c.req.header("Referer") ?? "", c.req.url);
  return from?.pathname === "/patients" ? listViewOf(from.searchParams).query : DEFAULT_LIST_QUERY;
}

/** The view as drawn for `total` matching rows: a page beyond the last shows the last. */
export function clampPage(query: PatientListQuery, total: number): PatientListQuery {
  const last = pageCount(query, total);
  return query.page > last ? { ...query, page: last } : query;
}

/** How many rows a page of this view holds when `total` rows match. */
export function rowsOnPage(query: PatientListQuery, total: number): number {
  return Math.max(0, Math.min(query.perPage, total - (query.page - 1) * query.perPage));
}

export function isFiltered(query: PatientListQuery): boolean {
  return Object.keys(query.filter).length > 0;
}
