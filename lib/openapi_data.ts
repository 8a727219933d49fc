/** The OpenAPI paths of data in and out: CSV import (and its template), the codebook, exports. */
import {
  deidentifyParameters,
  filterParameters,
  flagParameter,
  heavyRefusals,
  type Json,
  json,
  media,
  type OpenApiArea,
  pick,
  problemResponse,
  queryParameter,
  ref,
  schemaOf,
  storedField,
} from "./openapi_parts.ts";
import { EXCERPT_CHARS } from "./excerpt.ts";
import { LISTED_ASSIGNED_IDS, LISTED_DIFFERENCES, LISTED_PROBLEMS } from "./import_report.ts";
import { PATIENT_FIELDS } from "./patient_fields.ts";
import { ADMISSION_FIELDS } from "./stroke/admission_fields.ts";
import { BANDS } from "./patient_stats.ts";
import { fieldSchemas } from "./patient_validation.ts";

const tags = ["data"];

const attachment = {
  "Content-Disposition": {
    description: "`attachment` with a dated file name",
    schema: { type: "string" },
  },
};

/** A codebook field's codes, each with its meaning. */
const allowedValues = {
  type: "array",
  items: {
    type: "object",
    required: ["value", "label"],
    additionalProperties: false,
    properties: { value: { type: ["string", "integer"] }, label: { type: "string" } },
  },
};

/**
 * A de-identified record: `pseudo_id` instead of `id`, the age as a five-year band, and with
 * `coarsen=true` glucose as a band and BMI to a whole number.
 */
function deidentifiedRecord(): Json {
  const fields = PATIENT_FIELDS.filter((f) => f !== "id");
  return {
    type: "object",
    required: ["pseudo_id", ...fields],
    additionalProperties: false,
    properties: {
      pseudo_id: {
        type: "string",
        pattern: "^[A-Z][A-Z2-7]{11}$",
        description:
          "Random per row and per export: 12 base32 characters, the first a letter (never a number)",
      },
      ...Object.fromEntries(fields.map((f) => [f, storedField(f)])),
      age: {
        type: "string",
        pattern: "^(\\d{1,3}-\\d{1,3}|90\\+|unknown)$",
        description:
          "Five-year band; `unknown` for an age the original app stored that cannot be read",
      },
      avg_glucose_level: {
        anyOf: [
          schemaOf(fieldSchemas.avg_glucose_level),
          { type: "string", enum: [...BANDS.glucose_band.labels, "unknown"] },
        ],
        description:
          "mg/dL; with `coarsen=true` the band: `<100`, `100-125` or `>=126` (`unknown` for a stored value that is not a number)",
      },
      bmi: {
        ...schemaOf(fieldSchemas.bmi),
        description: "kg/m²; with `coarsen=true` to the nearest whole number; null when unknown",
      },
    },
  };
}

export function dataArea(): OpenApiArea {
  return {
    paths: {
      "/api/patient_data/import": {
        post: {
          operationId: "importPatients",
          tags,
          summary: "Import patients from a CSV file (the dataset's columns, in any order)",
          description:
            "Send the file as the body (`text/csv`), header row first, columns in any order. Valid rows are stored in batches; every bad row is reported by line, field and value. `dry_run=true` stores nothing and reports what would happen. One import, export or summary runs at a time per user.",
          parameters: [
            queryParameter(
              "on_conflict",
              { type: "string", enum: ["skip", "update"], default: "skip" },
              "What to do with a row whose id you already have",
            ),
            flagParameter("dry_run", "Check and count everything, store nothing"),
          ],
          requestBody: { required: true, ...media("text/csv") },
          responses: {
            200: { description: "What was (or would be) stored", ...json(ref("ImportResult")) },
            ...pick(400, 401, 403, 413),
            ...heavyRefusals(),
          },
        },
      },
      "/api/patient_data/import/template": {
        get: {
          operationId: "getImportTemplate",
          tags,
          summary: "The import template: the header row in the dataset's order",
          description: "The header row of the dataset's CSV, in its column order. No login needed.",
          security: [],
          responses: {
            200: { description: "One CSV line", headers: attachment, ...media("text/csv") },
          },
        },
      },
      "/api/codebook": {
        get: {
          operationId: "getCodebook",
          tags,
          summary: "Every field's label, type, allowed values or range, unit and missing code",
          description:
            "The import's validator and this list come from the same table of rules, the records' or (`of=admissions`) the admissions'. No login needed.",
          security: [],
          parameters: [
            queryParameter(
              "format",
              { type: "string", enum: ["json", "csv"], default: "json" },
              "JSON (default) or CSV",
            ),
            queryParameter(
              "of",
              { type: "string", enum: ["patients", "admissions"], default: "patients" },
              "The record's fields (default) or an admission's",
            ),
          ],
          responses: {
            200: {
              description: "The codebook",
              content: {
                "application/json": {
                  schema: { anyOf: [ref("Codebook"), ref("AdmissionCodebook")] },
                },
                "text/csv": { schema: { type: "string" } },
              },
            },
            ...pick(400),
          },
        },
      },
      "/api/patient_data/export": {
        get: {
          operationId: "exportPatients",
          tags,
          summary: "Export every record matching the filters, in the sort's order (streamed)",
          description:
            "Streamed: the headers (and a de-identified export's `X-K-Anonymity` and `X-Suppressed-Rows`) come before the first row, and the export holds your heavy-work slot until its last row is sent. With the browser session, only the app's own pages may start it (Fetch Metadata).",
          parameters: [
            ...filterParameters(),
            queryParameter(
              "format",
              { type: "string", enum: ["csv", "json"], default: "csv" },
              "The dataset's CSV (default) or a JSON array of records",
            ),
            ...deidentifyParameters(
              "Pseudo ids, five-year age bands, shuffled rows; reports k-anonymity",
            ),
          ],
          responses: {
            200: {
              description:
                "The records. A de-identified export also carries `X-K-Anonymity` and `X-Suppressed-Rows`.",
              headers: attachment,
              content: {
                "text/csv": { schema: { type: "string" } },
                "application/json": {
                  schema: {
                    type: "array",
                    items: { anyOf: [ref("Patient"), ref("DeidentifiedPatient")] },
                  },
                },
              },
            },
            ...pick(400, 401),
            403: problemResponse(
              "Asked with the browser session by a page of another site (`Sec-Fetch-Site` `cross-site` or `same-site`): patient data is downloaded from the app's own pages only",
            ),
            ...heavyRefusals(),
          },
        },
      },
    },
    schemas: {
      ImportResult: {
        type: "object",
        required: [
          "inserted",
          "updated",
          "skipped",
          "dry_run",
          "errors",
          "errors_total",
          "differences",
          "differences_total",
          "assigned_ids",
          "assigned_ids_total",
        ],
        additionalProperties: false,
        properties: {
          inserted: { type: "integer", minimum: 0 },
          updated: { type: "integer", minimum: 0 },
          skipped: {
            type: "integer",
            minimum: 0,
            description: "Ids you have: unchanged, or (with `on_conflict=skip`) differing",
          },
          dry_run: { type: "boolean" },
          errors: {
            type: "array",
            maxItems: LISTED_PROBLEMS,
            description: `The first ${LISTED_PROBLEMS} problems, in the file's order`,
            items: {
              type: "object",
              required: ["line", "field", "value", "message"],
              additionalProperties: false,
              properties: {
                line: { type: "integer", minimum: 1, description: "The file's line number" },
                field: { type: "string", description: "Empty when the whole row is unreadable" },
                value: {
                  type: "string",
                  maxLength: EXCERPT_CHARS,
                  description:
                    `As written in the file (at most ${EXCERPT_CHARS} characters, cut with …)`,
                },
                message: { type: "string" },
              },
            },
          },
          errors_total: { type: "integer", minimum: 0, description: "Problems in all" },
          differences: {
            type: "array",
            maxItems: LISTED_DIFFERENCES,
            description: `The first ${LISTED_DIFFERENCES} rows whose id you have with other ` +
              "values: updated, or skipped under `on_conflict=skip`",
            items: {
              type: "object",
              required: ["line", "id", "changes"],
              additionalProperties: false,
              properties: {
                line: { type: "integer", minimum: 1 },
                id: { type: "integer", minimum: 1 },
                changes: {
                  type: "object",
                  description: "Each differing field: [stored value, the file's value]",
                  additionalProperties: {
                    type: "array",
                    minItems: 2,
                    maxItems: 2,
                    items: { type: ["string", "number", "null"] },
                  },
                },
              },
            },
          },
          differences_total: { type: "integer", minimum: 0 },
          assigned_ids: {
            type: "array",
            maxItems: LISTED_ASSIGNED_IDS,
            description: `The ids given to the first ${LISTED_ASSIGNED_IDS} rows that had none ` +
              "(none in a dry run)",
            items: {
              type: "object",
              required: ["line", "id"],
              additionalProperties: false,
              properties: {
                line: { type: "integer", minimum: 1 },
                id: { type: "integer", minimum: 1 },
              },
            },
          },
          assigned_ids_total: { type: "integer", minimum: 0 },
        },
      },
      DeidentifiedPatient: deidentifiedRecord(),
      Codebook: {
        type: "array",
        items: {
          type: "object",
          required: ["field", "label", "type", "description"],
          additionalProperties: false,
          properties: {
            field: { type: "string", enum: [...PATIENT_FIELDS] },
            label: { type: "string" },
            type: { type: "string", enum: ["integer", "number", "string"] },
            allowed: allowedValues,
            min: { type: "number" },
            min_exclusive: { type: "boolean", description: "The value must be above `min`" },
            max: { type: "number" },
            unit: { type: "string" },
            missing: { type: "string", description: "How an unknown value is written" },
            description: { type: "string" },
          },
        },
      },
      AdmissionCodebook: {
        type: "array",
        items: {
          type: "object",
          required: ["field", "label", "type", "nullable", "description"],
          additionalProperties: false,
          properties: {
            field: { type: "string", enum: [...ADMISSION_FIELDS] },
            label: { type: "string" },
            type: { type: "string", enum: ["integer", "string", "date-time"] },
            allowed: allowedValues,
            min: { type: "number" },
            max: { type: "number" },
            unit: { type: "string" },
            nullable: {
              type: "boolean",
              description: "Whether the value may be unknown (null in JSON, an empty CSV cell)",
            },
            description: { type: "string" },
          },
        },
      },
    },
  };
}
