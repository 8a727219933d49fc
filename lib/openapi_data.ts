/** The OpenAPI paths of data in and out: CSV import (and its template), the codebook, exports. */
import {
  filterParameters,
  type Json,
  json,
  media,
  type OpenApiArea,
  pick,
  queryParameter,
  ref,
  schemaOf,
} from "./openapi_parts.ts";
import { PATIENT_FIELDS } from "./patient_fields.ts";
import { fieldSchemas } from "./patient_validation.ts";

const tags = ["data"];

const attachment = {
  "Content-Disposition": {
    description: "`attachment` with a dated file name",
    schema: { type: "string" },
  },
};

const flag = (name: string, description: string) =>
  queryParameter(name, { type: "string", enum: ["true", "false"], default: "false" }, description);

/** A de-identified record: `pseudo_id` instead of `id`, the age as a five-year band. */
function deidentifiedRecord(): Json {
  const fields = PATIENT_FIELDS.filter((f) => f !== "id");
  return {
    type: "object",
    required: ["pseudo_id", ...fields],
    additionalProperties: false,
    properties: {
      pseudo_id: { type: "integer", minimum: 1, description: "Random per export" },
      ...Object.fromEntries(fields.map((f) => [f, schemaOf(fieldSchemas[f])])),
      age: {
        type: "string",
        pattern: "^(\\d{1,3}-\\d{1,3}|90\\+)$",
        description: "Five-year band",
      },
    },
  };
}

export function dataArea(): OpenApiArea {
  return {
    paths: {
      "/api/patient_data/import": {
        post: {
          tags,
          summary: "Import patients from a CSV file (the dataset's columns, in any order)",
          parameters: [
            queryParameter(
              "on_conflict",
              { type: "string", enum: ["skip", "update"], default: "skip" },
              "What to do with a row whose id you already have",
            ),
            flag("dry_run", "Check and count everything, store nothing"),
          ],
          requestBody: { required: true, ...media("text/csv") },
          responses: {
            200: { description: "What was (or would be) stored", ...json(ref("ImportResult")) },
            ...pick(400, 401, 403, 413, 503),
          },
        },
      },
      "/api/patient_data/import/template": {
        get: {
          tags,
          summary: "The import template: the header row in the dataset's order",
          security: [],
          responses: {
            200: { description: "One CSV line", headers: attachment, ...media("text/csv") },
          },
        },
      },
      "/api/codebook": {
        get: {
          tags,
          summary: "Every field's label, type, allowed values or range, unit and missing code",
          security: [],
          parameters: [
            queryParameter(
              "format",
              { type: "string", enum: ["json", "csv"], default: "json" },
              "JSON (default) or CSV",
            ),
          ],
          responses: {
            200: {
              description: "The codebook",
              content: {
                "application/json": { schema: ref("Codebook") },
                "text/csv": { schema: { type: "string" } },
              },
            },
            ...pick(400),
          },
        },
      },
      "/api/patient_data/export": {
        get: {
          tags,
          summary: "Export every record matching the filters, in the sort's order (streamed)",
          parameters: [
            ...filterParameters(),
            queryParameter(
              "format",
              { type: "string", enum: ["csv", "json"], default: "csv" },
              "The dataset's CSV (default) or a JSON array of records",
            ),
            flag(
              "deidentify",
              "Pseudo ids, five-year age bands, shuffled rows; reports k-anonymity",
            ),
            queryParameter(
              "k_min",
              { type: "integer", minimum: 1 },
              "De-identified only: leave out rows of groups smaller than this",
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
            ...pick(400, 401, 503),
          },
        },
      },
    },
    schemas: {
      ImportResult: {
        type: "object",
        required: ["inserted", "updated", "skipped", "dry_run", "errors"],
        additionalProperties: false,
        properties: {
          inserted: { type: "integer", minimum: 0 },
          updated: { type: "integer", minimum: 0 },
          skipped: { type: "integer", minimum: 0 },
          dry_run: { type: "boolean" },
          errors: {
            type: "array",
            items: {
              type: "object",
              required: ["line", "field", "value", "message"],
              additionalProperties: false,
              properties: {
                line: { type: "integer", minimum: 1, description: "The file's line number" },
                field: { type: "string", description: "Empty when the whole row is unreadable" },
                value: { type: "string", description: "As written in the file" },
                message: { type: "string" },
              },
            },
          },
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
            allowed: {
              type: "array",
              items: {
                type: "object",
                required: ["value", "label"],
                additionalProperties: false,
                properties: { value: { type: ["string", "integer"] }, label: { type: "string" } },
              },
            },
            min: { type: "number" },
            min_exclusive: { type: "boolean", description: "The value must be above `min`" },
            max: { type: "number" },
            unit: { type: "string" },
            missing: { type: "string", description: "How an unknown value is written" },
            description: { type: "string" },
          },
        },
      },
    },
  };
}
