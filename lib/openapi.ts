/**
 * The OpenAPI 3.1 document of the JSON API, generated from the same zod schemas the validator
 * uses, so that the two cannot drift apart.
 */
import { z } from "zod";
import { ACCOUNT_RULES } from "./account_rules.ts";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  FIELD_LABELS,
  FIELD_RULES,
  PATIENT_FIELDS,
} from "./patient_fields.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from "./patient_query.ts";
import { fieldSchemas, newPatientSchema, patientChangesSchema } from "./patient_validation.ts";

type Json = Record<string, unknown>;

/** A zod schema as an OpenAPI 3.1 (JSON Schema 2020-12) schema object. */
function schemaOf(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema) as Json;
  return rest;
}

const isoTime = z.iso.datetime().meta({ description: "ISO 8601, UTC" });

const patientSchema = z.strictObject({
  ...fieldSchemas,
  created_at: isoTime,
  updated_at: isoTime,
});

const replaceSchema = newPatientSchema.meta({
  description: "Every field; `id` may repeat the record's id but not change it.",
});

const tokenRequestSchema = z.strictObject({
  email: z.string().max(ACCOUNT_RULES.email.max),
  password: z.string().max(1024),
  name: z.string().min(1).max(ACCOUNT_RULES.tokenName.max).optional(),
});

const tokenSchema = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  token: z.string().meta({ description: "Shown once: store it safely" }),
  created_at: isoTime,
});

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  request_id: z.string().optional(),
  errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
}).meta({ description: "RFC 9457 problem details" });

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ content: { "application/json": { schema } } });
const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

const errors = {
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

function pick(...codes: (keyof typeof errors)[]) {
  return Object.fromEntries(codes.map((code) => [code, errors[code]]));
}

const etagHeader = { ETag: { description: "The record's revision", schema: { type: "string" } } };
const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  description: "The ETag last read; the write fails with 412 when the record changed since.",
  schema: { type: "string" },
};
const idParameter = {
  name: "id",
  in: "path",
  required: true,
  description: "The patient's `id` field",
  schema: schemaOf(fieldSchemas.id),
};

/** The age filters take any age the field allows (and 0). */
const ageFilter = { type: "number", minimum: 0, maximum: FIELD_RULES.age.max };

function listParameters(): Json[] {
  const query = (name: string, schema: Json, description: string) => ({
    name,
    in: "query",
    required: false,
    description,
    schema,
  });
  return [
    query("page", { type: "integer", minimum: 1, default: 1 }, "Page number, from 1"),
    query(
      "per_page",
      { type: "integer", minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE },
      "Records per page",
    ),
    query(
      "sort",
      {
        type: "string",
        enum: PATIENT_FIELDS.flatMap((f) => [f, `-${f}`]),
        default: "id",
      },
      "Field to sort by; `-` in front for descending. Ties are broken by id.",
    ),
    query("q", schemaOf(fieldSchemas.id), "Patient id to find"),
    ...CATEGORICAL_FIELDS.map((field) => {
      const values = CATEGORICAL_VALUES[field] as readonly (string | number)[];
      return query(
        field,
        { type: typeof values[0] === "number" ? "integer" : "string", enum: [...values] },
        `Only patients with this ${FIELD_LABELS[field].toLowerCase()}`,
      );
    }),
    query("age_min", ageFilter, "Smallest age included, in years"),
    query("age_max", ageFilter, "Largest age included, in years"),
  ];
}

/** Builds the document (cheap; the route caches it). */
export function openApiDocument(): Json {
  const security = [{ bearerAuth: [] }, { sessionCookie: [] }];
  return {
    openapi: "3.1.0",
    info: {
      title: "Stroke Patient Management API",
      version: "1.0.0",
      description:
        "Read and write your stroke patient records. Get a token with POST /api/tokens (or on your profile page) and send it as `Authorization: Bearer <token>`. Errors are RFC 9457 problem details. Unknown query parameters and body fields are refused, never ignored.",
    },
    servers: [{ url: "/" }],
    security,
    paths: {
      "/api/tokens": {
        post: {
          summary: "Create an API token from an email and password",
          security: [],
          requestBody: { required: true, ...json(ref("TokenRequest")) },
          responses: {
            201: { description: "The new token (shown once)", ...json(ref("Token")) },
            ...pick(400, 401, 413, 415, 422, 429, 503),
          },
        },
      },
      "/api/tokens/{id}": {
        delete: {
          summary: "Revoke one of your API tokens",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
          responses: { 204: { description: "Revoked" }, ...pick(401, 403, 404, 503) },
        },
      },
      "/api/patient_data": {
        get: {
          summary: "List your patients, filtered, sorted and paginated",
          parameters: listParameters(),
          responses: {
            200: { description: "One page of records", ...json(ref("PatientList")) },
            ...pick(400, 401, 503),
          },
        },
        post: {
          summary: "Create a patient (the id is assigned when left out)",
          requestBody: { required: true, ...json(ref("NewPatient")) },
          responses: {
            201: {
              description: "Created",
              headers: { ...etagHeader, Location: { schema: { type: "string" } } },
              ...json(ref("Patient")),
            },
            ...pick(400, 401, 403, 409, 413, 415, 422, 503),
          },
        },
      },
      "/api/patient_data/{id}": {
        parameters: [idParameter],
        get: {
          summary: "Read one patient",
          responses: {
            200: { description: "The record", headers: etagHeader, ...json(ref("Patient")) },
            304: { description: "Not modified (If-None-Match)" },
            ...pick(401, 404, 503),
          },
        },
        put: {
          summary: "Replace every field of a patient",
          parameters: [ifMatch],
          requestBody: { required: true, ...json(ref("PatientReplacement")) },
          responses: {
            200: { description: "The new record", headers: etagHeader, ...json(ref("Patient")) },
            ...pick(400, 401, 403, 404, 412, 413, 415, 422, 503),
          },
        },
        patch: {
          summary: "Change some fields of a patient",
          parameters: [ifMatch],
          requestBody: { required: true, ...json(ref("PatientChanges")) },
          responses: {
            200: { description: "The new record", headers: etagHeader, ...json(ref("Patient")) },
            ...pick(400, 401, 403, 404, 412, 413, 415, 422, 503),
          },
        },
        delete: {
          summary: "Delete a patient",
          parameters: [ifMatch],
          responses: { 204: { description: "Deleted" }, ...pick(401, 403, 404, 412, 503) },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          security: [],
          responses: { 200: { description: "OpenAPI 3.1", ...json({ type: "object" }) } },
        },
      },
    },
    components: {
      schemas: {
        Patient: schemaOf(patientSchema),
        NewPatient: schemaOf(newPatientSchema),
        PatientReplacement: schemaOf(replaceSchema),
        PatientChanges: { ...schemaOf(patientChangesSchema), minProperties: 1 },
        PatientList: {
          type: "object",
          required: ["items", "total", "page", "per_page"],
          additionalProperties: false,
          properties: {
            items: { type: "array", items: ref("Patient") },
            total: { type: "integer", minimum: 0 },
            page: { type: "integer", minimum: 1 },
            per_page: { type: "integer", minimum: 1, maximum: MAX_PER_PAGE },
          },
        },
        TokenRequest: schemaOf(tokenRequestSchema),
        Token: schemaOf(tokenSchema),
        Problem: schemaOf(problemSchema),
      },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API token" },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "spm_session",
          description: "The browser session; unsafe methods also need the X-CSRF-Token header",
        },
      },
    },
  };
}
