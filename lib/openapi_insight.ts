/** The OpenAPI paths of insight: statistics (beside the published dataset), data quality, risk. */
import {
  filterParameters,
  type Json,
  json,
  type OpenApiArea,
  pick,
  problemResponse,
  queryParameter,
  ref,
} from "./openapi_parts.ts";
import { emptyBreakdown, STATS_FIELDS } from "./patient_stats.ts";

const tags = ["insight"];

const count = { type: "integer", minimum: 0 };
const share = { type: "number", minimum: 0, maximum: 1 };
const ratio = { type: "number", minimum: 0 };

const object = (properties: Record<string, Json>, optional: readonly string[] = []): Json => ({
  type: "object",
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
  additionalProperties: false,
  properties,
});

/** The list's filters; insight takes no page, page size or sort. */
const filters = () => filterParameters().filter((p) => p.name !== "sort");

/** Totals and the breakdown by every field and band, every value present. */
function statsProperties(): Record<string, Json> {
  return {
    total: count,
    stroke: count,
    by: object(Object.fromEntries(STATS_FIELDS.map((field) => [
      field,
      object(Object.fromEntries(
        Object.keys(emptyBreakdown(field)).map((value) => [value, ref("Tally")]),
      )),
    ]))),
  };
}

const refused = problemResponse(
  "Too few records or stroke events to fit the model; `detail` says how many there are",
);

export function insightArea(): OpenApiArea {
  return {
    paths: {
      "/api/patient_data/stats": {
        get: {
          tags,
          summary: "Records and strokes by every field and by age, glucose and BMI band",
          description:
            "Counted in the database over your records matching the filters. `compare=reference` adds the same counts for the published 5,110-record dataset (all of it, unfiltered).",
          parameters: [
            ...filters(),
            queryParameter(
              "compare",
              { type: "string", enum: ["reference"] },
              "Add the published dataset's counts as `reference`",
            ),
          ],
          responses: {
            200: { description: "The counts", ...json(ref("Stats")) },
            ...pick(400, 401, 503),
          },
        },
      },
      "/api/patient_data/quality": {
        get: {
          tags,
          summary: "Unknown values, possible duplicates and values worth checking",
          parameters: filters(),
          responses: {
            200: { description: "The quality report", ...json(ref("Quality")) },
            ...pick(400, 401, 503),
          },
        },
      },
      "/api/patient_data/risk": {
        get: {
          tags,
          summary:
            "Logistic regression of stroke on the other fields: associations, not a diagnosis",
          parameters: filters(),
          responses: {
            200: { description: "Odds ratios, AUC and calibration", ...json(ref("Risk")) },
            ...pick(400, 401, 503),
            422: refused,
          },
        },
      },
    },
    schemas: {
      Tally: object({ total: count, stroke: count }),
      Stats: object({
        ...statsProperties(),
        reference: object({
          source: object({
            name: { type: "string" },
            file: { type: "string" },
            sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
            records: count,
            generated_by: { type: "string" },
          }),
          ...statsProperties(),
        }),
      }, ["reference"]),
      Quality: object({
        total: count,
        missing: object({ bmi: count, smoking_status: count }),
        possible_duplicates: {
          type: "array",
          description: "Groups of ids whose eleven other fields are all equal",
          items: { type: "array", minItems: 2, items: { type: "integer", minimum: 1 } },
        },
        check: object({
          limits: {
            type: "array",
            items: object({
              field: { type: "string" },
              above: { type: "number" },
              rule: { type: "string" },
              why: { type: "string" },
            }),
          },
          values: {
            type: "array",
            items: object({
              id: { type: "integer", minimum: 1 },
              field: { type: "string" },
              value: { type: "number" },
              rule: { type: "string" },
            }),
          },
          truncated: { type: "boolean" },
        }),
      }),
      Risk: object({
        method: { type: "string" },
        note: { type: "string" },
        n: count,
        events: count,
        excluded: { ...count, description: "Records left out for an unknown BMI" },
        terms: {
          type: "array",
          items: object({
            term: { type: "string", description: "`field` or `field=value`" },
            field: { type: "string" },
            reference: {
              type: "string",
              description: "The level a `field=value` is compared with",
            },
            per: { type: "string", description: "The step a continuous term's odds ratio is per" },
            separated: {
              type: "boolean",
              description:
                "The level had only strokes, or none: its estimate is the penalty's alone, best read as unknown",
            },
            odds_ratio: ratio,
            ci_low: ratio,
            ci_high: ratio,
            p_value: share,
          }, ["reference", "per", "separated"]),
        },
        auc: object({ mean: share, folds: { type: "array", items: share } }),
        calibration: {
          type: "array",
          items: object({ predicted: share, observed: share, n: count }),
        },
        warnings: { type: "array", items: { type: "string" } },
      }),
    },
  };
}
