/**
 * `/dashboard`: the stroke rate of the user's (filtered) records by every field and band, each
 * an SVG chart with its table and the published dataset's rate beside it; then data quality
 * and the risk factors.
 */
import { formatCount } from "../lib/count_format.ts";
import { formatPercent, wilsonInterval } from "../lib/intervals.ts";
import type { StatsReport } from "../lib/insight_service.ts";
import {
  CATEGORICAL_FIELDS,
  type CategoricalField,
  FIELD_LABELS,
  FIELD_RULES,
} from "../lib/patient_fields.ts";
import { valueLabel } from "../lib/patient_format.ts";
import type { Quality } from "../lib/patient_quality.ts";
import {
  DEFAULT_LIST_QUERY,
  type PatientFilter,
  type PatientListQuery,
} from "../lib/patient_query.ts";
import { BANDS, type StatsField } from "../lib/patient_stats.ts";
import type { RiskReport } from "../lib/risk_model.ts";
import { RateChart, type RateRow } from "./Charts.tsx";
import { listUrl } from "./htmx.ts";
import { Filters, filterValues } from "./PatientsPage.tsx";
import { QualityPanel } from "./QualityPanel.tsx";
import { RiskPanel } from "./RiskPanel.tsx";

export interface DashboardProps {
  query: PatientListQuery;
  stats: StatsReport;
  quality: Quality;
  /** The model, or why it could not be fitted. */
  risk: RiskReport | { refused: string };
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

function rowsOf(stats: StatsReport, field: StatsField, filter: PatientFilter): RateRow[] {
  const reference = stats.reference?.by[field];
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

function Summary({ stats }: { stats: StatsReport }) {
  const ci = wilsonInterval(stats.stroke, stats.total);
  const ref = stats.reference;
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
          <dt>Published dataset</dt>
          <dd>
            {`${formatPercent(ref.stroke / ref.total)} of ${formatCount(ref.total)}`}
          </dd>
        </div>
      )}
    </dl>
  );
}

/** What the filters select, in words, for the filter panel's summary. */
function filterWords(filter: PatientFilter): string {
  const words: string[] = [];
  if (filter.q !== undefined) words.push(`patient ${filter.q}`);
  for (const field of CATEGORICAL_FIELDS) {
    const value = filter[field];
    if (value !== undefined) {
      words.push(`${FIELD_LABELS[field].toLowerCase()}: ${valueLabel(field, value)}`);
    }
  }
  if (filter.age_min !== undefined) words.push(`age from ${filter.age_min}`);
  if (filter.age_max !== undefined) words.push(`age to ${filter.age_max}`);
  return words.join(", ");
}

export function DashboardPage({ query, stats, quality, risk }: DashboardProps) {
  const { filter } = query;
  const words = filterWords(filter);
  return (
    <div class="dashboard-page">
      <div class="page-heading">
        <h1>Dashboard</h1>
        <p class="actions">
          <a class="button button-secondary" href={listHref(filter)}>
            {words ? "Show these patients" : "Show all patients"}
          </a>
        </p>
      </div>
      <p class="lead">
        Your records{words ? ` (${words})` : ""}: how often a stroke was recorded, by each field,
        with 95% confidence intervals, beside the published stroke dataset (all{" "}
        {formatCount(stats.reference?.total ?? 5110)}{" "}
        records, not filtered). These describe your records; they are not a diagnosis.
      </p>
      <details class="card dashboard-filters">
        <summary>{words ? `Filters: ${words}` : "Filter the records"}</summary>
        <Filters query={query} values={filterValues(query)} action="/dashboard" />
      </details>
      <Summary stats={stats} />
      <section aria-labelledby="rates-title">
        <h2 id="rates-title">Stroke rate by field</h2>
        {stats.total === 0
          ? (
            <p class="insight-empty">
              No records match{words ? " these filters" : " yet"}.{" "}
              <a href="/patients">Add or import patients</a> to see their statistics.
            </p>
          )
          : (
            <div class="chart-grid">
              {CHARTS.map(({ field, title, description }) => (
                <RateChart
                  id={`rate-${field.replaceAll("_", "-")}`}
                  title={title}
                  description={description}
                  rows={rowsOf(stats, field, filter)}
                  referenceLabel="Published dataset"
                  referenceColumn="Published"
                />
              ))}
            </div>
          )}
      </section>
      <QualityPanel quality={quality} filter={filter} />
      <RiskPanel risk={risk} />
    </div>
  );
}
