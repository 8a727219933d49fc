/**
 * Building blocks of the OpenAPI document that every area's paths share: zod schemas as JSON
 * Schema, references, the problem responses by status, and the patient list's query parameters.
 * Each area (`openapi_*.ts`) builds its own paths from these; `openapi.ts` assembles them.
 */
import { z } from "zod";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  FIELD_LABELS,
  FIELD_RULES,
  PATIENT_FIELDS,
  type PatientField,
} from "./patient_fields.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, TREATMENTS } from "./patient_query.ts";
import { STROKE_TYPES } from "./stroke/admission_fields.ts";
import { fieldSchemas } from "./patient_validation.ts";

export type Json = Record<string, unknown>;

/** One area's contribution to the document: its paths and the schemas they refer to. */
export interface OpenApiArea {
  paths: Record<string, Json>;
  schemas?: Record<string, Json>;
}

/** A zod schema as an OpenAPI 3.1 (JSON Schema 2020-12) schema object. */
export function schemaOf(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema) as Json;
  return rest;
}

export const isoTime = z.iso.datetime().meta({ description: "ISO 8601, UTC" });

/**
 * A field of a stored record: as the field rules say or, in a document the original app wrote,
 * the value as stored when it is not (see the data-quality check's `unreadable`).
 */
export function storedField(field: PatientField): Json {
  return {
    anyOf: [
      schemaOf(fieldSchemas[field]),
      {
        type: ["string", "number", "boolean", "null"],
        description:
          "Only in a document the original app wrote: the value as stored when it cannot be read as the field rules say (null when the field is missing). The data-quality check lists it.",
      },
    ],
  };
}

/** A time of a stored record: null when unknown (a document the original app wrote). */
function storedTime(description: string): Json {
  return { anyOf: [schemaOf(isoTime), { type: "null" }], description };
}

/**
 * A stored record as the API shows it: the twelve fields, `created_at` and `updated_at`, then
 * `extra`.
 */
export function storedRecordSchema(extra: Record<string, Json> = {}): Json {
  const properties: Record<string, Json> = {
    ...Object.fromEntries(PATIENT_FIELDS.map((field) => [field, storedField(field)])),
    created_at: storedTime("When the record was made; null when unknown (the original app's)"),
    updated_at: storedTime("When the app last changed it; null when it never has"),
    ...extra,
  };
  return {
    type: "object",
    required: Object.keys(properties),
    additionalProperties: false,
    properties,
  };
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Json) => ({ content: { "application/json": { schema } } });
/** A body of another media type (CSV downloads and uploads). */
export const media = (type: string, schema: Json = { type: "string" }) => ({
  content: { [type]: { schema } },
});

export const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

const ERRORS = {
  400: problemResponse("Malformed JSON or a bad query"),
  401: {
    ...problemResponse("No or bad credentials"),
    headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  },
  403: problemResponse("CSRF check failed (session-authenticated calls only)"),
  404: problemResponse("No such record for this user"),
  409: problemResponse("The id is taken"),
  412: problemResponse("If-Match names an old revision; nothing was written"),
  413: problemResponse("The body is too large"),
  415: problemResponse("The body is not JSON"),
  422: problemResponse("Invalid fields, each named in `errors`; nothing was stored"),
  429: {
    ...problemResponse("Too many failed attempts"),
    headers: { "Retry-After": { schema: { type: "integer" } } },
  },
  503: problemResponse("A database is unreachable; try again shortly"),
};

const retryAfter = {
  "Retry-After": { description: "Seconds to wait", schema: { type: "integer", minimum: 1 } },
};

/**
 * The refusals of a heavy request (a summary, an export, an import): one runs at a time per
 * user, and a few in all.
 */
export function heavyRefusals(): Json {
  return {
    429: {
      ...problemResponse(
        "Your last export, import or summary is still running (one runs at a time per user); `detail` names it. Nothing was done: try again when it has finished.",
      ),
      headers: retryAfter,
    },
    503: {
      ...problemResponse(
        "A database is unreachable, or the server is busy with other users' exports and summaries; try again shortly",
      ),
      headers: retryAfter,
    },
  };
}

/** The standard problem responses for these statuses. */
export function pick(...codes: (keyof typeof ERRORS)[]): Json {
  return Object.fromEntries(codes.map((code) => [code, ERRORS[code]]));
}

export const etagHeader = {
  ETag: { description: "The record's revision", schema: { type: "string" } },
};

export const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  description: "The ETag last read; the write fails with 412 when the record changed since.",
  schema: { type: "string" },
};

/** Why a change is made: kept with its audit entry (the browser forms' `reason` field). */
export const reasonHeader = {
  name: "X-Change-Reason",
  in: "header",
  required: false,
  description: "Why the change is made; kept in the audit log (at most 500 characters are kept)",
  schema: { type: "string" },
};

export const idParameter = {
  name: "id",
  in: "path",
  required: true,
  description: "The patient's `id` field",
  schema: schemaOf(fieldSchemas.id),
};

/** A query parameter. */
export const queryParameter = (name: string, schema: Json, description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

/** A query parameter that is `true` or `false` (default `false`). */
export const flagParameter = (name: string, description: string) =>
  queryParameter(name, { type: "string", enum: ["true", "false"], default: "false" }, description);

/**
 * `deidentify`, `k_min` and `coarsen`, as the records' and the admissions' exports take them;
 * `deidentified` says what `deidentify` does to that export.
 */
export function deidentifyParameters(deidentified: string): Json[] {
  return [
    flagParameter("deidentify", deidentified),
    queryParameter(
      "k_min",
      { type: "integer", minimum: 1 },
      "De-identified only: leave out rows of groups smaller than this",
    ),
    flagParameter(
      "coarsen",
      "De-identified only: glucose in three bands (`<100`, `100-125`, `>=126` mg/dL) and BMI to a whole number, both then counted in k. Without it, exact glucose and BMI let anyone holding the plain records link every row back.",
    ),
  ];
}

/** The age filters take any age the field allows (and 0). */
const ageFilter = { type: "number", minimum: 0, maximum: FIELD_RULES.age.max };

/** The list's filters and sort (every endpoint that takes filters takes these). */
export function filterParameters(): Json[] {
  return [
    queryParameter(
      "sort",
      { type: "string", enum: PATIENT_FIELDS.flatMap((f) => [f, `-${f}`]), default: "id" },
      "Field to sort by; `-` in front for descending. Ties are broken by id.",
    ),
    queryParameter("q", schemaOf(fieldSchemas.id), "Patient id to find"),
    ...CATEGORICAL_FIELDS.map((field) => {
      const values = CATEGORICAL_VALUES[field] as readonly (string | number)[];
      return queryParameter(
        field,
        { type: typeof values[0] === "number" ? "integer" : "string", enum: [...values] },
        `Only patients with this ${FIELD_LABELS[field].toLowerCase()}`,
      );
    }),
    queryParameter("age_min", ageFilter, "Smallest age included, in years"),
    queryParameter("age_max", ageFilter, "Largest age included, in years"),
    queryParameter(
      "admitted_from",
      { type: "string", format: "date" },
      "Only patients with an admission arriving on or after this day (in the user's time zone); the admission filters together describe one admission",
    ),
    queryParameter(
      "admitted_to",
      { type: "string", format: "date" },
      "Only patients with an admission arriving on or before this day (in the user's time zone)",
    ),
    queryParameter(
      "stroke_type",
      { type: "string", enum: [...STROKE_TYPES] },
      "Only patients with an admission of this stroke type",
    ),
    queryParameter(
      "treatment",
      { type: "string", enum: [...TREATMENTS] },
      "Only patients with an admission treated so: thrombolysis, thrombectomy, either of them, or neither",
    ),
  ];
}

/** Paging, then the filters and sort: the list's parameters in the parser's order. */
export function listParameters(): Json[] {
  return [
    queryParameter("page", { type: "integer", minimum: 1, default: 1 }, "Page number, from 1"),
    queryParameter(
      "per_page",
      { type: "integer", minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE },
      "Records per page",
    ),
    ...filterParameters(),
  ];
}
