/**
 * The OpenAPI 3.1 document of the JSON API, generated from the same zod schemas the validator
 * uses, so that the two cannot drift apart.
 */
import { z } from "zod";
import { ACCOUNT_RULES } from "./account_rules.ts";
import { admissionsArea } from "./openapi_admissions.ts";
import { auditArea } from "./openapi_audit.ts";
import { dataArea } from "./openapi_data.ts";
import { insightArea } from "./openapi_insight.ts";
import { registriesArea } from "./openapi_registries.ts";
import {
  idParameter,
  isoTime,
  type Json,
  json,
  listParameters,
  type OpenApiArea,
  pick,
  problemResponse,
  queryParameter,
  ref,
  schemaOf,
  storedRecordSchema,
} from "./openapi_parts.ts";
import { conditionalOperations, createOperation } from "./openapi_resource.ts";
import { MAX_PER_PAGE } from "./patient_query.ts";
import { newPatientSchema, patientChangesSchema } from "./patient_validation.ts";

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
  registry: z.string().min(1).max(64).optional().meta({
    description:
      "A registry's id (`GET /api/registries`): the token acts in that registry only, with no more rights than you have there at the time of each call. Without it, the token acts in each of your registries (your personal one when a call names none).",
  }),
});

const tokenSchema = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  token: z.string().meta({ description: "Shown once: store it safely" }),
  created_at: isoTime,
  registry: z.string().optional().meta({
    description: "The one registry the token acts in, when it was made for one",
  }),
});

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  request_id: z.string().optional(),
  required_role: z.enum(["owner", "editor", "viewer"]).optional().meta({
    description: "A registry member's 403: the least role that may do what was asked",
  }),
  errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
}).meta({ description: "RFC 9457 problem details" });

/** The tokens, the patient records themselves, and this document. */
function recordsArea(): OpenApiArea {
  const tags = ["patients"];
  return {
    paths: {
      "/api/tokens": {
        post: {
          operationId: "createToken",
          tags: ["tokens"],
          summary:
            "Create an API token from an email and password (and the second factor's code, when it is on)",
          description:
            "The token stands for you in every API call until you revoke it (here or on your profile page). Failed attempts are throttled per account and per client address: too many answer 429 with Retry-After.",
          security: [],
          requestBody: { required: true, ...json(ref("TokenRequest")) },
          responses: {
            201: { description: "The new token (shown once)", ...json(ref("Token")) },
            ...pick(400, 401),
            404: problemResponse("`registry` names no registry you are a member of"),
            ...pick(413, 415, 422, 429, 503),
          },
        },
      },
      "/api/tokens/{id}": {
        delete: {
          operationId: "revokeToken",
          tags: ["tokens"],
          summary: "Revoke one of your API tokens",
          description:
            "Revokes one of your own tokens at once; another user's token id is a 404, as is one already revoked.",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
          responses: { 204: { description: "Revoked" }, ...pick(401, 403, 404, 503) },
        },
      },
      "/api/patient_data": {
        get: {
          operationId: "listPatients",
          tags,
          summary: "List your patients, filtered, sorted and paginated",
          description:
            "Filters are exact matches (`q` matches the id; `age_min` and `age_max` an inclusive range); unknown or ill-typed parameters are a 400, never ignored. `total` counts every matching record.",
          parameters: listParameters(),
          responses: {
            200: { description: "One page of records", ...json(ref("PatientList")) },
            ...pick(400, 401, 503),
          },
        },
        post: createOperation(tags, "Patient", {
          operationId: "createPatient",
          summary: "Create a patient (the id is assigned when left out)",
          description:
            "Validates every field against the codebook: unknown fields or values out of range are a 422 naming each, and nothing is stored. Without an `id`, the next free one is assigned. The answer carries the record's ETag.",
          body: "NewPatient",
        }, [400, 401, 403, 409, 413, 415, 422, 503]),
      },
      "/api/patient_data/{id}": {
        parameters: [idParameter],
        ...conditionalOperations({
          tags,
          schema: "Patient",
          name: "record",
          aName: "a record",
          read: {
            operationId: "getPatient",
            summary: "Read one patient",
            description:
              "Another user's record is a 404, never its data. Each read is written to the audit log.",
          },
          replace: {
            operationId: "replacePatient",
            summary: "Replace every field of a patient",
            description: "Every field but the id, which may be repeated but not changed.",
            body: "PatientReplacement",
          },
          change: {
            operationId: "updatePatient",
            summary: "Change some fields of a patient",
            description: "Only the fields sent change.",
            body: "PatientChanges",
          },
          remove: {
            operationId: "deletePatient",
            summary: "Move a patient to recently deleted (restorable until it is purged)",
            description:
              "The record leaves lists, statistics and exports at once and can be restored (`POST /api/patient_data/{id}/restore`) until the retention period ends.",
          },
        }),
      },
      "/api/openapi.json": {
        get: {
          operationId: "getOpenApiDocument",
          tags: ["meta"],
          summary: "This document",
          description:
            "OpenAPI 3.1: every operation, with the request and response schemas the app checks. No login needed.",
          security: [],
          responses: { 200: { description: "OpenAPI 3.1", ...json({ type: "object" }) } },
        },
      },
    },
    schemas: {
      Patient: storedRecordSchema(),
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
const AREAS: (() => OpenApiArea)[] = [
  recordsArea,
  registriesArea,
  dataArea,
  auditArea,
  insightArea,
  admissionsArea,
];

/** The operations' groups, in the document's order, each said in a sentence. */
const TAGS = [
  { name: "tokens", description: "API tokens: create one from an email and password, revoke it" },
  {
    name: "registries",
    description:
      "Shared sets of records: your registries, team registries you create, their members and roles",
  },
  {
    name: "patients",
    description: "Your patient records: list, read, create, replace, change and delete",
  },
  {
    name: "data",
    description: "Data in and out: CSV import and its template, the codebook, streamed exports",
  },
  {
    name: "history",
    description: "What happened to a record, recently deleted records and their restore",
  },
  {
    name: "insight",
    description: "Statistics, data quality and the risk model of your (filtered) records",
  },
  {
    name: "admissions",
    description:
      "Stroke care: a patient's admissions with treatment times and outcomes, their CSV import and export",
  },
  {
    name: "quality",
    description: "Stroke care: the quality indicators a stroke unit is judged by",
  },
  {
    name: "admin",
    description: "Administrators only: the users and the audit log, never patient values",
  },
  { name: "meta", description: "This document" },
];

/** Builds the document (cheap; the route caches it). */
/** The records endpoints: each acts in one registry, named by `registry`. */
const RECORD_PATHS = /^\/api\/(patient_data|admissions|quality_indicators)(\/|$)/;

/**
 * Every records operation takes `registry` (the caller's personal registry without it) and may
 * answer 404 for a registry the caller is not a member of and 403 for a role without the right.
 */
function inRegistries(paths: Record<string, Json>): Record<string, Json> {
  for (const [path, item] of Object.entries(paths)) {
    if (!RECORD_PATHS.test(path) || path.endsWith("/template")) continue;
    const operations = item as Record<
      string,
      { parameters?: Json[]; responses: Record<string, Json> }
    >;
    for (const [method, operation] of Object.entries(operations)) {
      if (method === "parameters") continue;
      operation.parameters = [
        ...(operation.parameters ?? []),
        queryParameter(
          "registry",
          { type: "string", minLength: 1, maxLength: 40 },
          "The registry to act in (an id from `GET /api/registries`); without it, the caller's personal registry. A token bound to a registry acts in it alone.",
        ),
      ];
      operation.responses["404"] ??= problemResponse("No such registry (or record) for this user");
      // Every role may read: a read is refused only for an export with identifiable values.
      if (method === "get" && !path.endsWith("/export")) continue;
      operation.responses["403"] = problemResponse(
        "The caller's role in the registry lacks the right (`required_role` names the role needed); or, for session calls, the CSRF check failed",
      );
    }
  }
  return paths;
}

export function openApiDocument(): Json {
  const areas = AREAS.map((area) => area());
  return {
    openapi: "3.1.0",
    info: {
      title: "Stroke Patient Management API",
      version: "1.0.0",
      description:
        "Read and write your stroke patient records. Get a token with POST /api/tokens (or on your profile page) and send it as `Authorization: Bearer <token>`. Errors are RFC 9457 problem details. Unknown query parameters and body fields are refused, never ignored. The read-only FHIR R4 API (with Bulk Data export) is not described here: its CapabilityStatement is at /fhir/metadata.",
      contact: { name: "The administrators of this installation" },
      license: { name: "Proprietary: all rights reserved" },
    },
    tags: TAGS,
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths: inRegistries(Object.assign({}, ...areas.map((area) => area.paths))),
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
