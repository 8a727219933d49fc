/** The OpenAPI paths of insight: statistics (beside the published dataset), data quality, risk. */
import {
  filterParameters,
  heavyRefusals,
  type Json,
  json,
  type OpenApiArea,
  pick,
  problemResponse,
  queryParameter,
  ref,
} from "./openapi_parts.ts";
import { PATIENT_FIELDS } from "./patient_fields.ts";
import { MAX_CHECKS } from "./patient_quality.ts";
import { ADMISSION_CHECKS } from "./stroke/admission_checks.ts";
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
          operationId: "getStats",
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
            ...pick(400, 401),
            ...heavyRefusals(),
          },
        },
      },
      "/api/patient_data/quality": {
        get: {
          operationId: "getQuality",
          tags,
          summary:
            "Unknown values, possible duplicates, values worth checking, and admissions to check",
          description:
            "Counted in the database over your records matching the filters, and over their live admissions in one streaming pass (`admissions`: days in your time zone). One summary runs at a time per user; the records' part is kept until your records change, the admissions' part is checked afresh each time.",
          parameters: filters(),
          responses: {
            200: { description: "The quality report", ...json(ref("Quality")) },
            ...pick(400, 401),
            ...heavyRefusals(),
          },
        },
      },
      "/api/patient_data/risk": {
        get: {
          operationId: "getRisk",
          tags,
          summary:
            "Logistic regression of stroke on the other fields: associations, not a diagnosis",
          description:
            "Odds ratios per 10 years of age, 10 mg/dL of glucose and 5 units of BMI, and per level against a stated reference; 95 % Wald intervals; AUC over 5 stratified folds. It describes associations in your records, not a diagnosis. Kept until your records change.",
          parameters: filters(),
          responses: {
            200: { description: "Odds ratios, AUC and calibration", ...json(ref("Risk")) },
            ...pick(400, 401),
            ...heavyRefusals(),
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
        unreadable: object({
          records: { ...count, description: "Records holding at least one such value" },
          values: {
            type: "array",
            description:
              "Values the original app stored otherwise than the field rules say, by record id: `text` (a number or code stored as text: read as it, but in no age filter and sorted last by the database until the record is saved), `unreadable` (shown as stored), `missing`, `out_of_range`. The first change of a record stores what can be read in its type.",
            items: object({
              id: {
                anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }],
                description: "null when the id itself cannot be read",
              },
              field: { type: "string", enum: [...PATIENT_FIELDS] },
              value: {
                type: ["string", "number", "boolean", "null"],
                description: "As stored; null when missing",
              },
              problem: { type: "string", enum: ["unreadable", "missing", "text", "out_of_range"] },
            }),
          },
          truncated: { type: "boolean", description: "More records than are listed" },
        }),
        admissions: object({
          total: { ...count, description: "Live admissions of the records checked" },
          as_of: {
            type: "string",
            pattern: "^\\d{4}-\\d{2}-\\d{2}$",
            description: "Today (YYYY-MM-DD) in `time_zone`, which the 90-day mRS rule counts from",
          },
          time_zone: { type: "string", description: "The IANA time zone whose days are counted" },
          checks: {
            type: "array",
            description:
              "One entry per rule, always all four in this order: `nihss_missing` (no `nihss_arrival`), `mrs_90d_missing` (discharged alive on a day more than 104 days before `as_of`, no `mrs_90d`), `thrombolysis_haemorrhagic` (a `haemorrhagic` stroke with `thrombolysis_at`), `onset_to_needle_over_4_5h` (`thrombolysis_at` more than 270 minutes after `last_known_well_at`)",
            items: object({
              key: { type: "string", enum: ADMISSION_CHECKS.map((c) => c.key) },
              label: { type: "string" },
              rule: { type: "string", description: "The rule as a condition on the fields" },
              why: { type: "string" },
              count: { ...count, description: "Admissions the rule finds" },
              admissions: {
                type: "array",
                maxItems: MAX_CHECKS,
                description: "The first of them by patient id, then admission number",
                items: object({
                  patient_id: { type: "integer", minimum: 1 },
                  admission_id: { type: "integer", minimum: 1 },
                }),
              },
              truncated: { type: "boolean", description: "More admissions than are listed" },
            }),
          },
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
