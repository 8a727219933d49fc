/**
 * The OpenAPI paths of history and deletes (a record's history, recently deleted, restore) and of
 * administration (users, lock, unlock, end sessions, the audit log).
 */
import { ACCOUNT_AUDIT_ACTIONS, ADMIN_AUDIT_COLUMNS, AUDIT_ACTIONS } from "./audit.ts";
import {
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
  storedRecordSchema,
} from "./openapi_parts.ts";
import { revisionResponse } from "./openapi_resource.ts";
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from "./patient_query.ts";

const history = ["history"];

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

function userAction(
  operationId: string,
  summary: string,
  description: string,
  extra: Record<number, Json> = {},
): Json {
  return {
    post: {
      operationId,
      tags: admin,
      summary,
      description,
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
          operationId: "listDeletedPatients",
          tags: history,
          summary: "Your recently deleted patients, most recently deleted first",
          description:
            "Deleted records stay here, restorable, until the retention period ends; then they are purged.",
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
          operationId: "getPatientHistory",
          tags: history,
          summary: "Who created, changed, viewed, deleted or restored a patient, newest first",
          description:
            "Every create, change (each field's before and after), view, export, import, delete and restore of the record: who, when, from which address and why.",
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
          operationId: "restorePatient",
          tags: history,
          summary: "Restore the most recently deleted copy of a patient",
          description:
            "Brings back the most recently deleted copy; a 409 when the id is in use again.",
          parameters: [reasonHeader],
          responses: {
            200: revisionResponse("The restored record", "Patient"),
            ...pick(401, 403),
            404: problemResponse("Not among your recently deleted records"),
            409: problemResponse("You have a patient with this id again: restore it later"),
            ...pick(503),
          },
        },
      },
      "/api/admin/users": {
        get: {
          operationId: "listUsers",
          tags: admin,
          summary: "Every user, with their record counts (never their records)",
          description:
            "Administrators only: counts of each user's records, never the records themselves.",
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
        "lockUser",
        "Lock an account: it cannot log in, its sessions end, its tokens answer 401",
        "Administrators only. The account's sessions end and its tokens answer 401 until it is unlocked.",
        { 409: problemResponse("You cannot lock your own account") },
      ),
      "/api/admin/users/{id}/unlock": userAction(
        "unlockUser",
        "Unlock an account",
        "Administrators only. The account can log in again and its tokens work again.",
      ),
      "/api/admin/users/{id}/end-sessions": userAction(
        "endUserSessions",
        "End every session of an account",
        "Administrators only. Every browser session of the account ends.",
      ),
      "/api/admin/audit": {
        get: {
          operationId: "searchAuditLog",
          tags: admin,
          summary: "The audit log of every user, newest first: who did what, when, from where",
          description:
            "Administrators only. Filters by user, action and dates; `format=csv` downloads the same entries. Field names and counts only, never patient values.",
          parameters: [
            queryParameter("user_id", { type: "integer", minimum: 1 }, "Whose records"),
            queryParameter(
              "registry",
              { type: "string", pattern: "^[pt][a-z0-9]{1,39}$" },
              "The entries of one registry (its id; deleted team registries too); not with user_id",
            ),
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
        required: ["at", "user_id", "user_name", "action", "changes"],
        additionalProperties: false,
        properties: {
          at: time,
          user_id: {
            type: ["integer", "null"],
            description: "Who; null for the app itself (the purge after the retention period)",
          },
          user_name: {
            type: ["string", "null"],
            description:
              "Who, by their account's name (null for the app, or an account since deleted)",
          },
          action: {
            type: "string",
            enum: AUDIT_ACTIONS.filter((a) => a !== "export" && !ACCOUNT_AUDIT_ACTIONS.includes(a)),
            description:
              "`import`: the record came from a CSV import before imports wrote an entry per record (the file's entry)",
          },
          admission_id: {
            type: "integer",
            minimum: 1,
            description:
              "Present when the entry is about one of the patient's admissions: its number (`changes` then names admission fields)",
          },
          changes: {
            type: "object",
            description: "Each changed field's value before and after (null before a create)",
            additionalProperties: {
              type: "array",
              description: "`[before, after]`",
              minItems: 2,
              maxItems: 2,
              items: { type: ["string", "number", "null"] },
            },
          },
          reason: { type: "string" },
          import: {
            type: "object",
            description: "The CSV import that made this create or update: its file and line",
            required: ["file_name", "line"],
            additionalProperties: false,
            properties: {
              file_name: {
                type: ["string", "null"],
                description: "The uploaded file's name; null for an import through the API",
              },
              line: { type: "integer", minimum: 1 },
            },
          },
        },
      },
      DeletedList: page(storedRecordSchema({ deleted_at: schemaOf(isoTime) })),
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
          owner_id: {
            type: "integer",
            description:
              "Whose records: the number of their registry (the user's id for a personal registry, negative for a team registry)",
          },
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
