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
} from "./patient_fields.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from "./patient_query.ts";
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
