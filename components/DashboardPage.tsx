/**
 * `/dashboard`: the stroke rate of the user's (filtered) records by every field and band, each
 * an SVG chart with its table and the published dataset's rate beside it; then data quality
 * and the risk factors.
 */
import type { Child } from "hono/jsx";
import { formatCount } from "../lib/count_format.ts";
import { formatPercent, wilsonInterval } from "../lib/intervals.ts";
import type { QualityReport, StatsReport } from "../lib/insight_service.ts";
import { CATEGORICAL_FIELDS, type CategoricalField, FIELD_RULES } from "../lib/patient_fields.ts";
import { filterInWords, valueLabel } from "../lib/patient_format.ts";
import {
  DEFAULT_LIST_QUERY,
  type PatientFilter,
  type PatientListQuery,
} from "../lib/patient_query.ts";
import { BANDS, type StatsField } from "../lib/patient_stats.ts";
import type { Tally } from "../lib/patient_store.ts";
import type { RiskReport } from "../lib/risk_model.ts";
import { axisTop, MIN_AXIS_GROUP, RateChart, type RateRow } from "./Charts.tsx";
import { listUrl } from "./htmx.ts";
import { Filters, filterValues } from "./PatientsPage.tsx";
import { QualityPanel } from "./QualityPanel.tsx";
import { RiskPanel } from "./RiskPanel.tsx";
import { here, mayDo } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

export interface DashboardProps {
  query: PatientListQuery;
  stats: StatsReport;
  quality: QualityReport;
  /** The model, or why it could not be fitted. */
  risk: RiskReport | { refused: string };
  /** The stroke-care indicators' section (components/stroke/StrokeCareSection.tsx). */
  strokeCare?: Child;
}

/** The charts, in the order a clinician reads risk factors. */
const CHARTS: readonly { field: StatsField; title: string; description?: string }[] = [
  { field: "age_band", title: "Stroke rate by age", description: "Age in years." },
  { field: "gender", title: "Stroke rate by gender" },
  { field: "hypertension", title: "Stroke rate by hypertension" },
  { field: "heart_disease", title: "Stroke rate by heart disease" },
  { field: "smoking_status", title: "Stroke rate by smoking status" },
  {
    field: "glucose_band",
    title: "Stroke rate by average glucose level",
    description: "Average glucose level in mg/dL.",
  },
  {
    field: "bmi_band",
    title: "Stroke rate by BMI",
    description: "Body mass index in kg/m²; unknown when not recorded.",
  },
  { field: "work_type", title: "Stroke rate by work type" },
  { field: "Residence_type", title: "Stroke rate by residence" },
  { field: "ever_married", title: "Stroke rate by marital status (ever married)" },
];

/** A band's label in words: "Under 18", "18–39", "80 and over" (the unit is in the description). */
export function bandLabel(label: string): string {
  if (label === "unknown") return "Unknown";
  if (label.startsWith("<")) return `Under ${label.slice(1)}`;
  if (label.startsWith(">=")) return `${label.slice(2)} and over`;
  if (label.endsWith("+")) return `${label.slice(0, -1)} and over`;
  return label.replace("-", "–");
}

/** The patient list of these filters (the first page). */
export function listHref(filter: PatientFilter): string {
  return listUrl({ ...DEFAULT_LIST_QUERY, filter });
}

/**
 * The list of the records in one category, within the current filters; none for a band the
 * list cannot filter by (glucose, BMI), or an age band outside the current age range. Age
 * bands end 0.01 below the next band's lower bound, as ages are recorded to two decimals.
 */
function categoryHref(filter: PatientFilter, field: StatsField, value: string): string | undefined {
  if (field === "age_band") {
    const { cuts, labels } = BANDS.age_band;
    const i = labels.indexOf(value as (typeof labels)[number]);
    const low = Math.max(i > 0 ? cuts[i - 1]! : 0, filter.age_min ?? 0);
    const high = Math.min(
      i < cuts.length ? cuts[i]! - 0.01 : FIELD_RULES.age.max,
      filter.age_max ?? Infinity,
    );
    if (low > high) return undefined;
    const range = {
      ...(low > 0 ? { age_min: low } : {}),
      ...(high < FIELD_RULES.age.max ? { age_max: Number(high.toFixed(2)) } : {}),
    };
    const { age_min: _min, age_max: _max, ...rest } = filter;
    return listHref({ ...rest, ...range });
  }
  if (field in BANDS) return undefined;
  const rule = FIELD_RULES[field as keyof typeof FIELD_RULES];
  if (rule.kind !== "category") return undefined;
  const typed = (rule.values as readonly (string | number)[]).find((v) => String(v) === value);
  return typed === undefined ? undefined : listHref({ ...filter, [field]: typed });
}

/**
 * The published dataset beside the records, with the same filter applied: all of it without a
 * filter; one category when the filter is on one categorical field (the counts it ships are per
 * field, so only that chart and the summary can apply it); otherwise nothing, and why.
 */
export interface ReferenceView {
  /** The dataset's counts as filtered: totals, and the breakdowns that the filter allows. */
  tally?: Tally | undefined;
  by: Partial<Record<StatsField, Record<string, Tally>>>;
  /** Why some or all of the comparison is not shown (none when all of it is). */
  note?: string | undefined;
}

export function referenceFor(filter: PatientFilter, stats: StatsReport): ReferenceView {
  const reference = stats.reference;
  if (!reference) return { by: {} };
  const set = Object.keys(filter) as (keyof PatientFilter)[];
  if (set.length === 0) return { tally: reference, by: reference.by };
  const perField = "it is published as counts of one field at a time";
  const field = set[0]!;
  if (set.length > 1 || !(CATEGORICAL_FIELDS as readonly string[]).includes(field)) {
    return {
      by: {},
      note: `The published dataset is not shown beside these records: ${perField}, ` +
        "so this filter cannot be applied to it.",
    };
  }
  const categorical = field as CategoricalField;
  const value = String(filter[categorical]);
  const tally = reference.by[categorical][value];
  if (!tally) return { by: {}, note: "The published dataset has no such records to compare." };
  const chart = CHARTS.find((c) => c.field === categorical)?.title.toLowerCase() ?? field;
  return {
    tally,
    by: { [categorical]: { [value]: tally } },
    note: `The published dataset is shown with the same filter in the summary and in “${chart}” ` +
      `only: ${perField}, so the other charts cannot apply the filter to it.`,
  };
}

function rowsOf(
  stats: StatsReport,
  field: StatsField,
  filter: PatientFilter,
  referenceBy: ReferenceView["by"],
): RateRow[] {
  const reference = referenceBy[field];
  return Object.entries(stats.by[field]).map(([value, tally]) => {
    const ref = reference?.[value];
    return {
      label: field in BANDS ? bandLabel(value) : valueLabel(field as CategoricalField, value),
      events: tally.stroke,
      total: tally.total,
      href: tally.total > 0 ? categoryHref(filter, field, value) : undefined,
      ...(ref ? { reference: { events: ref.stroke, total: ref.total } } : {}),
    };
  });
}

function Summary(
  { stats, reference, filtered }: {
    stats: StatsReport;
    reference?: Tally | undefined;
    filtered: boolean;
  },
) {
  const ci = wilsonInterval(stats.stroke, stats.total);
  const ref = reference;
  return (
    <dl class="insight-summary">
      <div>
        <dt>Records</dt>
        <dd>{formatCount(stats.total)}</dd>
      </div>
      <div>
        <dt>Strokes</dt>
        <dd>{formatCount(stats.stroke)}</dd>
      </div>
      <div>
        <dt>Stroke rate (95% CI)</dt>
        <dd>
          {stats.total === 0
            ? "–"
            : `${formatPercent(ci.rate)} (${formatPercent(ci.low)}–${formatPercent(ci.high)})`}
        </dd>
      </div>
      {ref && (
        <div>
          <dt>Published dataset{filtered ? ", same filter" : ""}</dt>
          <dd>
            {`${formatPercent(ref.stroke / ref.total)} of ${formatCount(ref.total)}`}
          </dd>
        </div>
      )}
    </dl>
  );
}

export function DashboardPage({ query, stats, quality, risk, strokeCare }: DashboardProps) {
  const { filter } = query;
  const words = filterInWords(filter);
  const reference = referenceFor(filter, stats);
  const charts = CHARTS.map((chart) => ({
    ...chart,
    rows: rowsOf(stats, chart.field, filter, reference.by),
  }));
  // One axis for every chart, so that rates compare at a glance; set by groups of 10 or more.
  const axisMax = Math.max(...charts.map((chart) => axisTop(chart.rows)));
  return (
    <div class="dashboard-page">
      <div class="page-heading">
        <h1>
          Dashboard<RegistryTag />
        </h1>
        <p class="actions">
          <a class="button button-secondary" href={listHref(filter)}>
            {words ? "Show these patients" : "Show all patients"}
          </a>
        </p>
      </div>
      <p class="lead">
        Your records{words ? ` (${words})` : ""}: how often a stroke was recorded, by each field,
        with 95% confidence intervals{reference.tally
          ? `, beside the published stroke dataset (${
            words ? "the same filter applied to its" : "all its"
          } ${formatCount(reference.tally.total)} records)`
          : ""}. These describe your records; they are not a diagnosis.
      </p>
      <details class="card dashboard-filters">
        <summary>{words ? `Filters: ${words}` : "Filter the records"}</summary>
        <Filters query={query} values={filterValues(query)} action="/dashboard" />
      </details>
      <Summary stats={stats} reference={reference.tally} filtered={words !== ""} />
      <section aria-labelledby="rates-title">
        <h2 id="rates-title">Stroke rate by field</h2>
        {stats.total === 0
          ? (
            <p class="insight-empty">
              No records match{words ? " these filters" : " yet"}. {mayDo("write")
                ? (
                  <>
                    <a href={here("/patients")}>Add or import patients</a> to see their statistics.
                  </>
                )
                : "Their statistics show here once an editor adds or imports patients."}
            </p>
          )
          : (
            <>
              <p class="chart-note">
                Every chart has the same scale, set by groups of {MIN_AXIS_GROUP}{" "}
                records or more; a smaller group's interval may run past it (an arrow says so).
                {reference.note && ` ${reference.note}`}
              </p>
              <div class="chart-grid">
                {charts.map(({ field, title, description, rows }) => (
                  <RateChart
                    id={`rate-${field.replaceAll("_", "-")}`}
                    title={title}
                    description={description}
                    rows={rows}
                    axisMax={axisMax}
                    referenceLabel="Published dataset"
                    referenceColumn="Published"
                  />
                ))}
              </div>
            </>
          )}
      </section>
      {strokeCare}
      <QualityPanel quality={quality} filter={filter} />
      <RiskPanel risk={risk} />
    </div>
  );
}
