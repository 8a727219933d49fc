/**
 * The dashboard's stroke-care section: the quality indicators of the admissions arriving in a
 * period (the same numbers as `GET /api/quality_indicators`) — times as medians and quartiles,
 * proportions with their numerator, denominator and 95 % Wilson interval — the door-to-needle
 * run chart and the Grotta chart of the 90-day mRS, a period selector, the for-sharing view
 * (counts 1–4 shown as `<5`, what is built on them left out) and the CSV download.
 */
import { formatCount } from "../../lib/count_format.ts";
import { formatPercent } from "../../lib/intervals.ts";
import { listQueryString, type PatientFilter } from "../../lib/patient_query.ts";
import {
  DOOR_TO_NEEDLE_TARGET,
  type Indicator,
  type ProportionIndicator,
  type QualityIndicators,
  rateInterval,
} from "../../lib/stroke/quality_indicators.ts";
import {
  forSharing,
  sharedCountText,
  type SharedIndicator,
  SMALLEST_SHOWN,
} from "../../lib/stroke/small_numbers.ts";
import { DEFAULT_LIST_QUERY } from "../../lib/patient_query.ts";
import { Field, FieldError, type FieldErrors } from "../Form.tsx";
import { here } from "../registry_url.ts";
import { GrottaChart } from "./GrottaChart.tsx";
import { RunChart } from "./RunChart.tsx";

export interface StrokeCareProps {
  /** The indicators as computed; null when the period could not be read. */
  indicators: QualityIndicators | null;
  /** The period as typed (`from`, `to`: YYYY-MM-DD) and its problems. */
  period: { from: string; to: string };
  errors: FieldErrors;
  /** Show the for-sharing form: small counts as `<5`, what is built on them left out. */
  sharing: boolean;
  /** The dashboard's filters (the indicators are of the patients they match). */
  filter: PatientFilter;
  /** The time zone the days and months are counted in. */
  zone: string;
}

/** Minutes as the tables write them: whole, or to one decimal. */
export function minutesValue(minutes: number | null): string {
  if (minutes === null) return "–";
  return Number.isInteger(minutes) ? formatCount(minutes) : minutes.toFixed(1);
}

/** A rate as the table writes it (one decimal of a percent), "–" when there is none. */
export function rateText(rate: number | null): string {
  return rate === null ? "–" : formatPercent(rate);
}

/** The query of this view: the filters, then the period and the options given. */
function viewQuery(filter: PatientFilter, extra: Record<string, string>): string {
  const params = new URLSearchParams(listQueryString({ ...DEFAULT_LIST_QUERY, filter }));
  for (const [name, value] of Object.entries(extra)) if (value !== "") params.set(name, value);
  return params.toString();
}

/** The hidden field that keeps a GET form in the page's registry (its action's query is dropped). */
function RegistryField() {
  const registry = new URL(here("/"), "http://page").searchParams.get("registry");
  return registry ? <input type="hidden" name="registry" value={registry} /> : null;
}

/** The dashboard's filters, as hidden fields of the period form (so that they are kept). */
function FilterFields({ filter }: { filter: PatientFilter }) {
  const params = new URLSearchParams(listQueryString({ ...DEFAULT_LIST_QUERY, filter }));
  return (
    <>{[...params].map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>
  );
}

function PeriodForm(props: StrokeCareProps) {
  const { period, errors } = props;
  return (
    <form
      method="get"
      action={here("/dashboard")}
      class="card stroke-period"
      aria-label="Period of the stroke-care indicators"
      novalidate
    >
      <RegistryField />
      <FilterFields filter={props.filter} />
      <div class="stroke-period-fields">
        <Field
          name="from"
          label="Arrivals from"
          type="date"
          value={period.from}
          error={errors.from}
          hint="Empty: from the first admission"
          idPrefix="stroke-"
        />
        <Field
          name="to"
          label="to (inclusive)"
          type="date"
          value={period.to}
          error={errors.to}
          hint="Empty: to the last admission"
          idPrefix="stroke-"
        />
        <div class="field stroke-sharing">
          <label class="check">
            <input
              type="checkbox"
              name="for_sharing"
              value="true"
              checked={props.sharing}
              aria-describedby="stroke-for_sharing-hint"
            />{" "}
            For sharing
          </label>
          <p class="hint" id="stroke-for_sharing-hint">
            Counts from 1 to {SMALLEST_SHOWN - 1}{" "}
            shown as “&lt;{SMALLEST_SHOWN}”, and the rates and times built on them left out
          </p>
          <FieldError id="stroke-for_sharing" error={errors.for_sharing} />
        </div>
      </div>
      <p class="stroke-period-actions">
        <button type="submit">Show</button>
      </p>
    </form>
  );
}

/** The times: n, median and quartiles, in minutes. */
function TimesTable({ shown }: { shown: SharedIndicator[] }) {
  const times = shown.filter((i): i is Extract<SharedIndicator, { n: unknown }> => "n" in i);
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-label="Times, in minutes">
      <table class="table indicators" id="stroke-times">
        <caption>Times, in minutes</caption>
        <thead>
          <tr>
            <th scope="col">Interval</th>
            <th scope="col" class="num">Admissions</th>
            <th scope="col" class="num">Median</th>
            <th scope="col" class="num">Quartiles (Q1–Q3)</th>
          </tr>
        </thead>
        <tbody>
          {times.map((t) => (
            <tr data-key={t.key}>
              <th scope="row">{t.label}</th>
              <td class="num">{sharedCountText(t.n)}</td>
              <td class="num">{minutesValue(t.median)}</td>
              <td class="num">
                {t.q1 === null || t.q3 === null
                  ? "–"
                  : `${minutesValue(t.q1)}–${minutesValue(t.q3)}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The proportions: numerator, denominator, rate and its 95 % Wilson interval. */
function RatesTable({ shown, raw }: { shown: SharedIndicator[]; raw: Indicator[] }) {
  const rows = shown.flatMap((s, i) =>
    "rate" in s ? [{ shown: s, raw: raw[i] as ProportionIndicator }] : []
  );
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-label="Proportions">
      <table class="table indicators" id="stroke-rates">
        <caption>Proportions, with 95% confidence intervals (Wilson)</caption>
        <thead>
          <tr>
            <th scope="col">Indicator</th>
            <th scope="col" class="num">Numerator</th>
            <th scope="col" class="num">Denominator</th>
            <th scope="col" class="num">Rate</th>
            <th scope="col" class="num">95% CI</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ shown: s, raw: r }) => {
            const ci = s.rate === null ? null : rateInterval(r);
            return (
              <tr data-key={s.key}>
                <th scope="row">{s.label}</th>
                <td class="num">{sharedCountText(s.numerator)}</td>
                <td class="num">{sharedCountText(s.denominator)}</td>
                <td class="num">{rateText(s.rate)}</td>
                <td class="num">
                  {ci ? `${formatPercent(ci.low)}–${formatPercent(ci.high)}` : "–"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function StrokeCareSection(props: StrokeCareProps) {
  const { indicators, sharing, period } = props;
  const shared = indicators && (sharing ? forSharing(indicators) : forSharingNot(indicators));
  const csv = here(
    `/api/quality_indicators?${viewQuery(props.filter, { ...period, format: "csv" })}`,
  );
  return (
    <section class="insight-section stroke-care" id="stroke-care" aria-labelledby="stroke-title">
      <h2 id="stroke-title">Stroke care</h2>
      <p class="lead">
        How fast admissions were treated and how patients did, by the measures of national stroke
        audits; arrivals {period.from ? `from ${period.from}` : "from the first admission"}{" "}
        {period.to ? `to ${period.to}` : "to the last"}, days and months in {props.zone}.
        {sharing && " Shown for sharing: small numbers are suppressed."}
      </p>
      <PeriodForm {...props} />
      {!indicators || !shared
        ? <p class="insight-empty">Correct the period to see the indicators.</p>
        : indicators.admissions === 0
        ? <p class="insight-empty">No admissions arrived in this period.</p>
        : (
          <>
            <dl class="insight-summary">
              <div>
                <dt>Admissions</dt>
                <dd id="stroke-admissions">{sharedCountText(shared.admissions)}</dd>
              </div>
            </dl>
            <div class="indicator-tables">
              <TimesTable shown={shared.indicators} />
              <RatesTable shown={shared.indicators} raw={indicators.indicators} />
            </div>
            <div class="chart-grid">
              <RunChart
                id="door-to-needle"
                months={shared.by_month}
                target={DOOR_TO_NEEDLE_TARGET}
              />
              <GrottaChart
                id="grotta"
                thrombolysed={shared.mrs_90d.thrombolysed}
                notThrombolysed={shared.mrs_90d.not_thrombolysed}
              />
            </div>
          </>
        )}
      <p>
        <a href={csv} download>Download the indicators (CSV, small numbers suppressed)</a>
      </p>
    </section>
  );
}

/** The indicators as they are, in the shape the for-sharing form has (nothing suppressed). */
function forSharingNot(q: QualityIndicators) {
  return { ...q, indicators: q.indicators as SharedIndicator[] };
}
