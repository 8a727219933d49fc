/**
 * The patient list's query string — `page`, `per_page`, `sort`, `q` and the field filters —
 * parsed strictly (the API answers 400 for anything unknown or ill-typed) and written back
 * (the browser page keeps its state in the URL).
 */
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  type CategoricalField,
  FIELD_RULES,
  isPatientField,
  parsePatientId,
  type PatientField,
  type PatientFields,
} from "./patient_fields.ts";
import type { FieldError } from "./errors.ts";

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;
/** Page sizes offered in the browser. */
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** Filters of the patient list; every one is optional and they combine with AND. */
export type PatientFilter =
  & { [F in CategoricalField]?: PatientFields[F] }
  & {
    /** Matches the patient id. */
    q?: number;
    /** Smallest age included. */
    age_min?: number;
    /** Largest age included. */
    age_max?: number;
  };

export interface PatientSort {
  field: PatientField;
  direction: "asc" | "desc";
}

export interface PatientListQuery {
  filter: PatientFilter;
  sort: PatientSort;
  /** From 1. */
  page: number;
  perPage: number;
}

/** The default list: first page of 50, by id. */
export const DEFAULT_LIST_QUERY: PatientListQuery = {
  filter: {},
  sort: { field: "id", direction: "asc" },
  page: 1,
  perPage: DEFAULT_PER_PAGE,
};

/** Every parameter the list understands. */
export const LIST_PARAMETERS = [
  "page",
  "per_page",
  "sort",
  "q",
  ...CATEGORICAL_FIELDS,
  "age_min",
  "age_max",
] as const;

export type ParsedQuery = { ok: true; query: PatientListQuery } | {
  ok: false;
  errors: FieldError[];
};

export interface ParseOptions {
  /** Browser forms send empty fields for "any": treat them as absent (the API does not). */
  emptyMeansAbsent?: boolean;
  /** Parameters to ignore rather than refuse (e.g. the browser page's own). */
  ignore?: readonly string[];
}

function integer(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

function decimal(text: string): number | null {
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : null;
}

/** Parses the list's query; reports every bad parameter. */
export function parseListQuery(params: URLSearchParams, options: ParseOptions = {}): ParsedQuery {
  const errors: FieldError[] = [];
  const filter: PatientFilter = {};
  const query: PatientListQuery = { ...DEFAULT_LIST_QUERY, filter };
  const seen = new Set<string>();
  for (const [name, raw] of params) {
    if (options.ignore?.includes(name)) continue;
    if (!(LIST_PARAMETERS as readonly string[]).includes(name)) {
      errors.push({ field: name, message: `Unknown parameter "${name}"` });
      continue;
    }
    if (seen.has(name)) {
      errors.push({ field: name, message: `Give "${name}" once` });
      continue;
    }
    seen.add(name);
    const text = raw.trim();
    if (text === "" && options.emptyMeansAbsent) continue;
    const bad = (message: string) => errors.push({ field: name, message });
    switch (name) {
      case "page": {
        const page = integer(text, 1, 1_000_000);
        if (page === null) bad("page must be a whole number from 1");
        else query.page = page;
        break;
      }
      case "per_page": {
        const perPage = integer(text, 1, MAX_PER_PAGE);
        if (perPage === null) bad(`per_page must be a whole number from 1 to ${MAX_PER_PAGE}`);
        else query.perPage = perPage;
        break;
      }
      case "sort": {
        const field = text.startsWith("-") ? text.slice(1) : text;
        if (!isPatientField(field)) {
          bad("sort must be a field name, with - in front for descending");
        } else query.sort = { field, direction: text.startsWith("-") ? "desc" : "asc" };
        break;
      }
      case "q": {
        const id = parsePatientId(text);
        if (id === null) bad("q must be a patient ID (a whole number)");
        else filter.q = id;
        break;
      }
      case "age_min":
      case "age_max": {
        const age = decimal(text);
        if (age === null || age > FIELD_RULES.age.max) {
          bad(`${name} must be an age in years, e.g. 40 or 0.5`);
        } else filter[name] = age;
        break;
      }
      default: {
        const field = name as CategoricalField;
        const allowed = CATEGORICAL_VALUES[field] as readonly (string | number)[];
        const value = allowed.find((v) => String(v) === text);
        if (value === undefined) bad(`${name} must be one of: ${allowed.join(", ")}`);
        else (filter as Record<string, unknown>)[field] = value;
      }
    }
  }
  if (
    filter.age_min !== undefined && filter.age_max !== undefined && filter.age_min > filter.age_max
  ) {
    errors.push({ field: "age_min", message: "age_min must not be above age_max" });
  }
  return errors.length ? { ok: false, errors } : { ok: true, query };
}

/** The query string of a list view, leaving out defaults, so that URLs stay short and stable. */
export function listQueryString(query: PatientListQuery): string {
  const params = new URLSearchParams();
  const { filter, sort } = query;
  if (filter.q !== undefined) params.set("q", String(filter.q));
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) params.set(field, String(value));
  }
  if (filter.age_min !== undefined) params.set("age_min", String(filter.age_min));
  if (filter.age_max !== undefined) params.set("age_max", String(filter.age_max));
  if (sort.field !== "id" || sort.direction !== "asc") {
    params.set("sort", `${sort.direction === "desc" ? "-" : ""}${sort.field}`);
  }
  if (query.perPage !== DEFAULT_PER_PAGE) params.set("per_page", String(query.perPage));
  if (query.page !== 1) params.set("page", String(query.page));
  return params.toString();
}
