/**
 * The OpenAPI paths of history and deletes (a record's history, recently deleted, restore) and of
 * administration (users, lock, unlock, end sessions, the audit log).
 */
import { z } from "zod";
import { ADMIN_AUDIT_COLUMNS, AUDIT_ACTIONS } from "./audit.ts";
import {
  etagHeader,
  idParameter,
  isoTime,
  type Json,
  json,
  media,
  type OpenApiArea,
  pick,
  problemResponse,
  queryParameter,
  reasonHeader,
  ref,
  schemaOf,
} from "./openapi_parts.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from "./patient_query.ts";
import { fieldSchemas } from "./patient_validation.ts";

const history = ["history"];

const deletedPatientSchema = z.strictObject({
  ...fieldSchemas,
  created_at: isoTime,
  updated_at: isoTime,
  deleted_at: isoTime,
});
const admin = ["admin"];

const paging = [
  queryParameter("page", { type: "integer", minimum: 1, default: 1 }, "Page number, from 1"),
  queryParameter(
    "per_page",
    { type: "integer", minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE },
    "Items per page",
  ),
];

/** The admin operations' 403 is mostly about the role. */
const notAdmin = {
  403: problemResponse(
    "You are not an administrator (or, with a browser session, the CSRF check failed)",
  ),
};

const time = schemaOf(isoTime);
const nullableTime = { anyOf: [time, { type: "null" }] };

const page = (items: Json) => ({
  type: "object",
  required: ["items", "total", "page", "per_page"],
  additionalProperties: false,
  properties: {
    items: { type: "array", items },
    total: { type: "integer", minimum: 0 },
    page: { type: "integer", minimum: 1 },
    per_page: { type: "integer", minimum: 1, maximum: MAX_PER_PAGE },
  },
});

const userId = {
  name: "id",
  in: "path",
  required: true,
  description: "The user's id",
  schema: { type: "integer", minimum: 1 },
};

function userAction(summary: string, extra: Record<number, Json> = {}): Json {
  return {
    post: {
      tags: admin,
      summary,
      parameters: [userId],
      responses: {
        200: { description: "The user after it", ...json(ref("AdminUser")) },
        ...pick(401),
        ...notAdmin,
        ...pick(404),
        ...extra,
        ...pick(503),
      },
    },
  };
}

export function auditArea(): OpenApiArea {
  return {
    paths: {
      "/api/patient_data/deleted": {
        get: {
          tags: history,
          summary: "Your recently deleted patients, most recently deleted first",
          parameters: paging,
          responses: {
            200: { description: "One page of deleted records", ...json(ref("DeletedList")) },
            ...pick(400, 401, 503),
          },
        },
      },
      "/api/patient_data/{id}/history": {
        parameters: [idParameter],
        get: {
          tags: history,
          summary: "Who created, changed, viewed, deleted or restored a patient, newest first",
          responses: {
            200: {
              description: "The patient's audit entries",
              ...json({ type: "array", items: ref("HistoryEntry") }),
            },
            ...pick(401, 404, 503),
          },
        },
      },
      "/api/patient_data/{id}/restore": {
        parameters: [idParameter],
        post: {
          tags: history,
          summary: "Restore the most recently deleted copy of a patient",
          parameters: [reasonHeader],
          responses: {
            200: {
              description: "The restored record",
              headers: etagHeader,
              ...json(ref("Patient")),
            },
            ...pick(401, 403),
            404: problemResponse("Not among your recently deleted records"),
            409: problemResponse("You have a patient with this id again: restore it later"),
            ...pick(503),
          },
        },
      },
      "/api/admin/users": {
        get: {
          tags: admin,
          summary: "Every user, with their record counts (never their records)",
          parameters: paging,
          responses: {
            200: { description: "One page of users", ...json(page(ref("AdminUser"))) },
            ...pick(400, 401),
            ...notAdmin,
            ...pick(503),
          },
        },
      },
      "/api/admin/users/{id}/lock": userAction(
        "Lock an account: it cannot log in, its sessions end, its tokens answer 401",
        { 409: problemResponse("You cannot lock your own account") },
      ),
      "/api/admin/users/{id}/unlock": userAction("Unlock an account"),
      "/api/admin/users/{id}/end-sessions": userAction("End every session of an account"),
      "/api/admin/audit": {
        get: {
          tags: admin,
          summary: "The audit log of every user, newest first: who did what, when, from where",
          parameters: [
            queryParameter("user_id", { type: "integer", minimum: 1 }, "Whose records"),
            queryParameter("action", { type: "string", enum: [...AUDIT_ACTIONS] }, "One action"),
            queryParameter("patient_id", idParameter.schema, "One patient id"),
            queryParameter(
              "from",
              { type: "string" },
              "From this date (2026-03-01) or ISO 8601 time on",
            ),
            queryParameter(
              "to",
              { type: "string" },
              "Up to this date (the whole day) or ISO 8601 time",
            ),
            ...paging,
            queryParameter(
              "format",
              { type: "string", enum: ["json", "csv"], default: "json" },
              "One page as JSON (default), or every matching entry as CSV",
            ),
          ],
          responses: {
            200: {
              description: "Entries (field names only, never values)",
              content: {
                "application/json": { schema: page(ref("AdminAuditEntry")) },
                ...media("text/csv").content,
              },
            },
            ...pick(400, 401),
            ...notAdmin,
            ...pick(503),
          },
        },
      },
    },
    schemas: {
      HistoryEntry: {
        type: "object",
        required: ["at", "user_id", "action", "changes"],
        additionalProperties: false,
        properties: {
          at: time,
          user_id: {
            type: ["integer", "null"],
            description: "Who; null for the app itself (the purge after the retention period)",
          },
          action: {
            type: "string",
            enum: AUDIT_ACTIONS.filter((a) => a !== "export"),
            description: "`import`: the record came from a CSV import (the file's entry)",
          },
          changes: {
            type: "object",
            description: "Each changed field's value before and after (null before a create)",
            additionalProperties: { type: "array", minItems: 2, maxItems: 2 },
          },
          reason: { type: "string" },
        },
      },
      DeletedList: page(schemaOf(deletedPatientSchema)),
      AdminUser: {
        type: "object",
        required: [
          "id",
          "name",
          "email",
          "admin",
          "locked",
          "locked_at",
          "created_at",
          "last_login_at",
          "two_factor",
          "records",
        ],
        additionalProperties: false,
        properties: {
          id: { type: "integer" },
          name: { type: "string" },
          email: { type: "string" },
          admin: { type: "boolean" },
          locked: { type: "boolean" },
          locked_at: nullableTime,
          created_at: { ...nullableTime, description: "Null for accounts older than this record" },
          last_login_at: nullableTime,
          two_factor: { type: "boolean", description: "Whether a second factor (TOTP) is on" },
          records: { type: "integer", minimum: 0, description: "How many patients they have" },
          sessions_ended: { type: "integer", minimum: 0, description: "After an action" },
        },
      },
      AdminAuditEntry: {
        type: "object",
        required: ["id", ...ADMIN_AUDIT_COLUMNS],
        additionalProperties: false,
        properties: {
          id: { type: "string" },
          at: time,
          owner_id: { type: "integer", description: "Whose records" },
          user_id: { type: ["integer", "null"], description: "Who; null for the app itself" },
          action: { type: "string", enum: [...AUDIT_ACTIONS] },
          patient_id: { type: ["integer", "null"] },
          fields: { type: "array", items: { type: "string" }, description: "Changed fields" },
          reason: { type: ["string", "null"] },
          client: { type: ["string", "null"] },
          request_id: { type: ["string", "null"] },
          details: { type: ["object", "null"], description: "Import counts, export filters" },
          status: { type: "string", enum: ["pending", "done", "failed", "interrupted"] },
        },
      },
    },
  };
}
