/**
 * The OpenAPI 3.1 document of the JSON API, generated from the same zod schemas the validator
 * uses, so that the two cannot drift apart.
 */
import { z } from "zod";
import { ACCOUNT_RULES } from "./account_rules.ts";
import { auditArea } from "./openapi_audit.ts";
import { dataArea } from "./openapi_data.ts";
import { insightArea } from "./openapi_insight.ts";
import {
  etagHeader,
  idParameter,
  ifMatch,
  isoTime,
  type Json,
  json,
  listParameters,
  type OpenApiArea,
  pick,
  reasonHeader,
  ref,
  schemaOf,
} from "./openapi_parts.ts";
import { MAX_PER_PAGE } from "./patient_query.ts";
import { fieldSchemas, newPatientSchema, patientChangesSchema } from "./patient_validation.ts";

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
  code: z.string().max(64).optional().meta({
    description:
      "Required when the account has two-factor authentication on: the authenticator app's current 6-digit code, or one of the recovery codes. Ignored otherwise.",
  }),
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

/** The tokens, the patient records themselves, and this document. */
function recordsArea(): OpenApiArea {
  const tags = ["patients"];
  return {
    paths: {
      "/api/tokens": {
        post: {
          tags: ["tokens"],
          summary:
            "Create an API token from an email and password (and the second factor's code, when it is on)",
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
          tags: ["tokens"],
          summary: "Revoke one of your API tokens",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
          responses: { 204: { description: "Revoked" }, ...pick(401, 403, 404, 503) },
        },
      },
      "/api/patient_data": {
        get: {
          tags,
          summary: "List your patients, filtered, sorted and paginated",
          parameters: listParameters(),
          responses: {
            200: { description: "One page of records", ...json(ref("PatientList")) },
            ...pick(400, 401, 503),
          },
        },
        post: {
          tags,
          summary: "Create a patient (the id is assigned when left out)",
          parameters: [reasonHeader],
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
          tags,
          summary: "Read one patient",
          responses: {
            200: { description: "The record", headers: etagHeader, ...json(ref("Patient")) },
            304: { description: "Not modified (If-None-Match)" },
            ...pick(401, 404, 503),
          },
        },
        put: {
          tags,
          summary: "Replace every field of a patient",
          parameters: [ifMatch, reasonHeader],
          requestBody: { required: true, ...json(ref("PatientReplacement")) },
          responses: {
            200: { description: "The new record", headers: etagHeader, ...json(ref("Patient")) },
            ...pick(400, 401, 403, 404, 412, 413, 415, 422, 503),
          },
        },
        patch: {
          tags,
          summary: "Change some fields of a patient",
          parameters: [ifMatch, reasonHeader],
          requestBody: { required: true, ...json(ref("PatientChanges")) },
          responses: {
            200: { description: "The new record", headers: etagHeader, ...json(ref("Patient")) },
            ...pick(400, 401, 403, 404, 412, 413, 415, 422, 503),
          },
        },
        delete: {
          tags,
          summary: "Move a patient to recently deleted (restorable until it is purged)",
          parameters: [ifMatch, reasonHeader],
          responses: { 204: { description: "Deleted" }, ...pick(401, 403, 404, 412, 503) },
        },
      },
      "/api/openapi.json": {
        get: {
          tags: ["meta"],
          summary: "This document",
          security: [],
          responses: { 200: { description: "OpenAPI 3.1", ...json({ type: "object" }) } },
        },
      },
    },
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
  };
}

/**
 * Every area's paths and schemas, in the order they appear in the document. A new area adds
 * its own `openapi_*.ts` module and one line here.
 */
const AREAS: (() => OpenApiArea)[] = [recordsArea, dataArea, auditArea, insightArea];

/** Builds the document (cheap; the route caches it). */
export function openApiDocument(): Json {
  const areas = AREAS.map((area) => area());
  return {
    openapi: "3.1.0",
    info: {
      title: "Stroke Patient Management API",
      version: "1.0.0",
      description:
        "Read and write your stroke patient records. Get a token with POST /api/tokens (or on your profile page) and send it as `Authorization: Bearer <token>`. Errors are RFC 9457 problem details. Unknown query parameters and body fields are refused, never ignored.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths: Object.assign({}, ...areas.map((area) => area.paths)),
    components: {
      schemas: Object.assign({}, ...areas.map((area) => area.schemas ?? {})),
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
