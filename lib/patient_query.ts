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
import { excerpt } from "./excerpt.ts";
import { STROKE_TYPES, type StrokeType } from "./stroke/admission_fields.ts";
import { PERIOD_YEARS } from "./stroke/quality_period.ts";
import { isPlainDate } from "./stroke/time_zone.ts";

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 500;
/** Page sizes offered in the browser. */
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** The treatments an admission filter can ask for. */
export const TREATMENTS = ["thrombolysis", "thrombectomy", "either", "neither"] as const;
export type Treatment = (typeof TREATMENTS)[number];

/**
 * "Has an admission that…": arrived in a period (dates, inclusive, in the user's time zone),
 * of a stroke type, with a treatment. Every part optional; together they describe one admission.
 */
export interface AdmissionCriteria {
  /** First day of arrival, `YYYY-MM-DD`. */
  from?: string;
  /** Last day of arrival (inclusive), `YYYY-MM-DD`. */
  to?: string;
  stroke_type?: StrokeType;
  /** Thrombolysis, thrombectomy, either of them, or neither. */
  treatment?: Treatment;
}

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
    /**
     * Patients with an admission matching these. Resolved to `ids` before a store reads
     * (`lib/admission_filter.ts`); a store handed criteria it cannot read refuses them.
     */
    admission?: AdmissionCriteria;
    /** Only the patients with these ids (ascending, distinct): what `admission` resolves to. */
    ids?: readonly number[];
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

/** The list's parameters of an admission filter, and the criterion each sets. */
export const ADMISSION_PARAMETERS = [
  "admitted_from",
  "admitted_to",
  "stroke_type",
  "treatment",
] as const;
type AdmissionParameter = (typeof ADMISSION_PARAMETERS)[number];
const CRITERION: Record<AdmissionParameter, keyof AdmissionCriteria> = {
  admitted_from: "from",
  admitted_to: "to",
  stroke_type: "stroke_type",
  treatment: "treatment",
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
  ...ADMISSION_PARAMETERS,
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

/**
 * The registry a request acts in (`registry={rid}`): read before any handler by the
 * `registryScope` middleware, and so taken by every records endpoint on top of its own.
 */
export const REGISTRY_PARAMETER = "registry";

/** Parses the list's query; reports every bad parameter. */
export function parseListQuery(params: URLSearchParams, options: ParseOptions = {}): ParsedQuery {
  const errors: FieldError[] = [];
  const filter: PatientFilter = {};
  const query: PatientListQuery = { ...DEFAULT_LIST_QUERY, filter };
  const seen = new Set<string>();
  for (const [name, raw] of params) {
    if (options.ignore?.includes(name) || name === REGISTRY_PARAMETER) continue;
    if (!(LIST_PARAMETERS as readonly string[]).includes(name)) {
      errors.push({ field: excerpt(name), message: `Unknown parameter "${excerpt(name)}"` });
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
      case "admitted_from":
      case "admitted_to": {
        const year = Number(text.slice(0, 4));
        if (!isPlainDate(text) || year < PERIOD_YEARS[0] || year > PERIOD_YEARS[1]) {
          bad(`${name} must be a date written YYYY-MM-DD, such as 2026-01-31`);
        } else filter.admission = { ...filter.admission, [CRITERION[name]]: text };
        break;
      }
      case "stroke_type":
      case "treatment": {
        const allowed: readonly string[] = name === "stroke_type" ? STROKE_TYPES : TREATMENTS;
        if (!allowed.includes(text)) bad(`${name} must be one of: ${allowed.join(", ")}`);
        else filter.admission = { ...filter.admission, [name]: text };
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
  const { from, to } = filter.admission ?? {};
  if (from !== undefined && to !== undefined && to < from) {
    errors.push({ field: "admitted_to", message: "admitted_to must not be before admitted_from" });
  }
  return errors.length ? { ok: false, errors } : { ok: true, query };
}

/** The query string of a list view, leaving out defaults, so that URLs stay short and stable. */
export function listQueryString(query: PatientListQuery): string {
  // Written as URLSearchParams would (a page draws some thirty of these, and URLSearchParams
  // costs more than the rest of a link).
  let out = "";
  const set = (name: string, value: string) => {
    out += `${out ? "&" : ""}${name}=${formEncoded(value)}`;
  };
  const { filter, sort } = query;
  if (filter.q !== undefined) set("q", String(filter.q));
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) set(field, String(value));
  }
  if (filter.age_min !== undefined) set("age_min", String(filter.age_min));
  if (filter.age_max !== undefined) set("age_max", String(filter.age_max));
  for (const name of ADMISSION_PARAMETERS) {
    const value = filter.admission?.[CRITERION[name]];
    if (value !== undefined) set(name, value);
  }
  if (sort.field !== "id" || sort.direction !== "asc") {
    set("sort", `${sort.direction === "desc" ? "-" : ""}${sort.field}`);
  }
  if (query.perPage !== DEFAULT_PER_PAGE) set("per_page", String(query.perPage));
  if (query.page !== 1) set("page", String(query.page));
  return out;
}

/** What URLSearchParams leaves as it is in a value. */
const FORM_SAFE = /^[\w.*-]*$/;

/** `value` as URLSearchParams writes it (`formerly smoked` → `formerly+smoked`). */
function formEncoded(value: string): string {
  return FORM_SAFE.test(value) ? value : new URLSearchParams({ v: value }).toString().slice(2);
}
