/**
 * The OpenAPI paths of stroke care: a patient's admissions (read, create, replace, change,
 * delete, restore), their CSV import and export, and the quality indicators. The admission
 * schemas are the validator's own zod schemas (`lib/stroke/admission_rules.ts`).
 */
import { DEIDENTIFIED_ADMISSION_COLUMNS, MAX_SHIFT_WEEKS } from "./admission_export.ts";
import { MAX_ADMISSIONS_PER_PATIENT } from "./admission_store.ts";
import { formatCount } from "./count_format.ts";
import { EXCERPT_CHARS } from "./excerpt.ts";
import { LISTED_PROBLEMS } from "./import_report.ts";
import {
  deidentifyParameters,
  filterParameters,
  flagParameter,
  heavyRefusals,
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
import { conditionalOperations, createOperation, revisionResponse } from "./openapi_resource.ts";
import { ADMISSION_CSV_COLUMNS } from "./stroke/admission_json.ts";
import {
  admissionCreateSchema,
  admissionFieldSchemas,
  admissionPatchSchema,
  admissionReplaceSchema,
  admissionSchema,
} from "./stroke/admission_rules.ts";
import { INDICATORS } from "./stroke/quality_indicators.ts";
import { PERIOD_YEARS } from "./stroke/quality_period.ts";
import { SUPPRESSED } from "./stroke/small_numbers.ts";

const tags = ["admissions"];
const quality = ["quality"];

const count = { type: "integer", minimum: 0 };
/** A calendar date, `YYYY-MM-DD`. */
const DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$";
/** A count as shared: the number, or `<5` for 1 to 4. */
const sharedCount = {
  anyOf: [count, { type: "string", const: SUPPRESSED }],
  description: "A count; 1 to 4 are shown as `<5`",
};
const minutes = { type: ["number", "null"], description: "Minutes; null when n is 0" };
const rate = {
  type: ["number", "null"],
  minimum: 0,
  maximum: 1,
  description: "numerator / denominator; null when the denominator is 0",
};

const object = (properties: Record<string, Json>): Json => ({
  type: "object",
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
});

const attachment = {
  "Content-Disposition": {
    description: "`attachment` with a file name",
    schema: { type: "string" },
  },
};

const aidParameter = {
  name: "aid",
  in: "path",
  required: true,
  description: "The admission's number (`admission_id`), unique per patient",
  schema: schemaOf(admissionFieldSchemas.admission_id),
};

const ZONE_NOTE =
  "Date-times are ISO 8601 with the UTC offset of the user's time zone (`APP_TIMEZONE`, UTC by default), e.g. `2026-10-25T01:30:00+01:00`; any offset is accepted in a body, a time without one is refused.";

/** The indicators' answer; `shared` says whether counts may be `<5` (the for-sharing form). */
function indicatorsSchema(shared: boolean): Json {
  const n = shared ? sharedCount : count;
  const time = object({
    key: { type: "string", enum: INDICATORS.filter((i) => i.kind === "time").map((i) => i.key) },
    label: { type: "string" },
    n,
    median: minutes,
    q1: minutes,
    q3: minutes,
  });
  const proportion = object({
    key: {
      type: "string",
      enum: INDICATORS.filter((i) => i.kind === "proportion").map((i) => i.key),
    },
    label: { type: "string" },
    numerator: n,
    denominator: n,
    rate,
  });
  const grades = { type: "array", items: n, minItems: 7, maxItems: 7 };
  const day = {
    type: ["string", "null"],
    pattern: DATE_PATTERN,
    description: "YYYY-MM-DD (inclusive); null when open",
  };
  return {
    ...object({
      from: day,
      to: day,
      admissions: n,
      indicators: { type: "array", items: { anyOf: [time, proportion] } },
      mrs_90d: object({ all: grades, thrombolysed: grades, not_thrombolysed: grades }),
      by_month: {
        type: "array",
        items: object({
          month: { type: "string", pattern: "^\\d{4}-\\d{2}$" },
          admissions: n,
          door_to_needle_median: minutes,
          door_to_needle_n: n,
        }),
      },
    }),
    description: shared
      ? "For sharing: counts 1–4 shown as `<5`, and the rates, medians and quartiles built on them null"
      : "Counts of admissions; rates as fractions; times in minutes (median and quartiles by R's type 7)",
  };
}

export function admissionsArea(): OpenApiArea {
  return {
    paths: {
      "/api/patient_data/{id}/admissions": {
        parameters: [idParameter],
        get: {
          operationId: "listAdmissions",
          tags,
          summary: "A patient's admissions, oldest first",
          description:
            `Every live admission of the patient, by arrival. A patient that is not yours (or is deleted) is a 404. Each read is written to the audit log. ${ZONE_NOTE}`,
          responses: {
            200: {
              description: "The admissions",
              ...json({ type: "array", items: ref("Admission") }),
            },
            ...pick(401, 404, 503),
          },
        },
        post: createOperation(tags, "Admission", {
          operationId: "createAdmission",
          summary: "Add an admission to a patient (its number is assigned)",
          description:
            `\`stroke_type\` and \`arrival_at\` are required; a field left out is unknown (null). The rules between fields (no time in the future; onset ≤ arrival ≤ imaging, needle, puncture and discharge; died ⇔ mRS 6 at discharge; only mRS 6 at 90 days after a death in hospital) are a 422 naming each field, and nothing is stored. A patient has at most ${
              formatCount(MAX_ADMISSIONS_PER_PATIENT)
            } admissions (deleted ones count until they are purged): one more is a 422 naming \`admission_id\`. ${ZONE_NOTE}`,
          body: "NewAdmission",
        }, [400, 401, 403, 404, 413, 415, 422, 503]),
      },
      "/api/patient_data/{id}/admissions/deleted": {
        parameters: [idParameter],
        get: {
          operationId: "listDeletedAdmissions",
          tags,
          summary: "A patient's deleted admissions, most recently deleted first",
          description:
            "Deleted admissions can be restored until the retention period ends (`DELETED_RETENTION_DAYS`).",
          responses: {
            200: {
              description: "The deleted admissions",
              ...json({ type: "array", items: ref("DeletedAdmission") }),
            },
            ...pick(401, 404, 503),
          },
        },
      },
      "/api/patient_data/{id}/admissions/{aid}": {
        parameters: [idParameter, aidParameter],
        ...conditionalOperations({
          tags,
          schema: "Admission",
          name: "admission",
          aName: "an admission",
          read: {
            operationId: "getAdmission",
            summary: "Read one admission",
            description: "Each read is written to the audit log.",
          },
          replace: {
            operationId: "replaceAdmission",
            summary: "Replace every field of an admission",
            description: "As a create; `admission_id` may be repeated but not changed.",
            body: "AdmissionReplacement",
          },
          change: {
            operationId: "updateAdmission",
            summary: "Change some fields of an admission",
            description:
              "Only the fields sent change; the rules between fields are checked on the admission as it would be.",
            body: "AdmissionChanges",
          },
          remove: {
            operationId: "deleteAdmission",
            summary: "Delete an admission (restorable until it is purged)",
            description:
              "The admission leaves the patient's admissions, the quality indicators and exports at once, and can be restored (`POST …/admissions/{aid}/restore`) until the retention period ends.",
          },
        }),
      },
      "/api/patient_data/{id}/admissions/{aid}/restore": {
        parameters: [idParameter, aidParameter],
        post: {
          operationId: "restoreAdmission",
          tags,
          summary: "Restore a deleted admission",
          description:
            "Brings a deleted admission back to the patient's admissions with its admission number and a new revision; the restore is in the patient's history. One that was purged, or that is not among the patient's deleted admissions, is a 404.",
          parameters: [reasonHeader],
          responses: {
            200: revisionResponse("The restored admission", "Admission"),
            ...pick(401, 403),
            404: problemResponse("Not among the patient's deleted admissions"),
            ...pick(503),
          },
        },
      },
      "/api/admissions/import": {
        post: {
          operationId: "importAdmissions",
          tags,
          summary: "Import admissions from a CSV file (`patient_id` and the fields)",
          description: `The body is the file (\`text/csv\`): header first, the columns ${
            ADMISSION_CSV_COLUMNS.join(", ")
          } in any order (patient_id, stroke_type and arrival_at required). An unknown value is an empty cell; a date-time without an offset is read as the wall clock of your time zone (the earlier reading on a fall-back night). A row naming an admission_id the patient has is skipped, or changed with \`on_conflict=update\`; one naming a number the patient does not have keeps it. A new admission for a patient who has ${
            formatCount(MAX_ADMISSIONS_PER_PATIENT)
          } already (counting the file's rows before it) is reported at its line, field \`admission_id\`. Every bad row is reported by line; \`dry_run=true\` stores nothing.`,
          parameters: [
            queryParameter(
              "on_conflict",
              { type: "string", enum: ["skip", "update"], default: "skip" },
              "What to do with a row naming an admission the patient has",
            ),
            flagParameter("dry_run", "Check and count everything, store nothing"),
          ],
          requestBody: { required: true, ...media("text/csv") },
          responses: {
            200: {
              description: "What was (or would be) stored",
              ...json(ref("AdmissionImportResult")),
            },
            ...pick(400, 401, 403, 413),
            ...heavyRefusals(),
          },
        },
      },
      "/api/admissions/import/template": {
        get: {
          operationId: "getAdmissionsTemplate",
          tags,
          summary: "The admissions import template: its header row",
          description:
            "The columns of an admissions file, as the export writes them. No login needed.",
          security: [],
          responses: {
            200: { description: "One CSV line", headers: attachment, ...media("text/csv") },
          },
        },
      },
      "/api/admissions/export": {
        get: {
          operationId: "exportAdmissions",
          tags,
          summary:
            "The admissions of your live patients (those the filters match) as CSV, streamed (plain or de-identified)",
          description:
            `Every admission of the live patients the list's filters match (all of them without a filter; with the admission filters, every admission of a patient one of whose admissions matches). The import's columns, by patient then admission number; an unknown value is an empty cell; \`sort\`, \`page\` and \`per_page\` are refused. ${ZONE_NOTE}\n\nWith \`deidentify=true\` (a viewer's right too) each row is an admission and its patient as the records' de-identified export writes them — the columns ${
              DEIDENTIFIED_ADMISSION_COLUMNS.join(", ")
            }: a \`pseudo_id\` drawn for each patient of each export (the same on all of a patient's rows, never a number, no way back), the age in five-year bands, glucose and BMI coarsened with \`coarsen=true\`, the admissions of patients whose group (of gender, age band, marital status, work, residence — and coarsened glucose and BMI) is smaller than \`k_min\` left out, rows shuffled. Every date-time of a patient is moved by the same random whole number of weeks, ${MAX_SHIFT_WEEKS} at most either way and never 0, drawn for each patient of each export and kept nowhere, and written with the offset of the real time: every interval and the time of day and weekday are exact, no date is. \`X-K-Anonymity\` is the smallest group's size in patients, \`X-Suppressed-Rows\` the admissions left out; both come before the first row. With the browser session, only the app's own pages may start it (Fetch Metadata).`,
          parameters: [
            ...filterParameters().filter((p) => p.name !== "sort"),
            queryParameter("format", { type: "string", enum: ["csv"], default: "csv" }, "CSV"),
            ...deidentifyParameters(
              "Pseudo ids per patient, five-year age bands, every time moved by the patient's own random shift, shuffled rows; reports k-anonymity",
            ),
          ],
          responses: {
            200: {
              description:
                "The admissions. A de-identified export also carries `X-K-Anonymity` and `X-Suppressed-Rows`.",
              headers: attachment,
              ...media("text/csv"),
            },
            ...pick(400, 401),
            403: problemResponse("Started from another site's page (refused)"),
            ...heavyRefusals(),
          },
        },
      },
      "/api/quality_indicators": {
        get: {
          operationId: "getQualityIndicators",
          tags: quality,
          summary: "The stroke quality indicators over a period (and the list's filters)",
          description:
            "Over your admissions arriving from `from` to `to` (inclusive dates in your time zone; either may be left out) of the patients the filters match: door-to-needle and the other times as medians and quartiles (R's type 7), rates with their numerator and denominator, the 90-day mRS by thrombolysis and door-to-needle by month. `for_sharing=true` shows counts 1–4 as `<5` and leaves out what is built on them; `format=csv` is always in that form, proportions with their 95 % Wilson interval.",
          parameters: [
            ...filterParameters().filter((p) => p.name !== "sort"),
            queryParameter(
              "from",
              { type: "string", pattern: DATE_PATTERN },
              `First day of the period, YYYY-MM-DD (${PERIOD_YEARS[0]} to ${PERIOD_YEARS[1]})`,
            ),
            queryParameter("to", { type: "string", pattern: DATE_PATTERN }, "Last day, YYYY-MM-DD"),
            flagParameter("for_sharing", "Counts 1–4 as `<5`, and nothing built on them"),
            queryParameter(
              "format",
              { type: "string", enum: ["json", "csv"], default: "json" },
              "JSON (default) or CSV (always for sharing)",
            ),
          ],
          responses: {
            200: {
              description:
                "The indicators (as CSV: an attachment, named by the period, in `Content-Disposition`)",
              content: {
                "application/json": {
                  schema: { anyOf: [ref("QualityIndicators"), ref("SharedQualityIndicators")] },
                },
                "text/csv": { schema: { type: "string" } },
              },
            },
            ...pick(400, 401),
            ...heavyRefusals(),
          },
        },
      },
    },
    schemas: {
      Admission: schemaOf(admissionSchema),
      NewAdmission: schemaOf(admissionCreateSchema),
      AdmissionReplacement: schemaOf(admissionReplaceSchema),
      AdmissionChanges: (() => {
        const patch = schemaOf(admissionPatchSchema) as Json & { properties: Json };
        return {
          ...patch,
          properties: {
            ...patch.properties,
            admission_id: {
              ...schemaOf(admissionFieldSchemas.admission_id),
              description: "May repeat the admission's number, never change it",
            },
          },
          minProperties: 1,
        };
      })(),
      DeletedAdmission: (() => {
        const base = schemaOf(admissionSchema) as Json & {
          properties: Record<string, Json>;
          required: string[];
        };
        return {
          ...base,
          properties: { ...base.properties, deleted_at: schemaOf(isoTime) },
          required: [...base.required, "deleted_at"],
        };
      })(),
      AdmissionImportResult: object({
        inserted: count,
        updated: count,
        skipped: count,
        dry_run: { type: "boolean" },
        rows: { ...count, description: "Data rows read (the header not counted)" },
        errors: {
          type: "array",
          maxItems: LISTED_PROBLEMS,
          description: `The first ${LISTED_PROBLEMS} problems, in the file's order`,
          items: object({
            line: { type: "integer", minimum: 1 },
            field: { type: "string" },
            value: {
              type: "string",
              maxLength: EXCERPT_CHARS * 2,
              description: "The value as written (an excerpt)",
            },
            message: { type: "string" },
          }),
        },
        errors_total: count,
      }),
      QualityIndicators: indicatorsSchema(false),
      SharedQualityIndicators: indicatorsSchema(true),
    },
  };
}
