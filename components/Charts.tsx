/** Server-rendered SVG charts for the dashboard: rates with Wilson intervals, and a forest plot. */
import { formatCount } from "../lib/count_format.ts";
import type { Child } from "hono/jsx";
import {
  formatOddsRatio,
  formatPercent,
  formatPValue,
  type RateInterval,
  wilsonInterval,
} from "../lib/intervals.ts";

/** What every chart is given besides its data. */
export interface ChartOptions {
  /** Unique on the page; prefixes the ids inside the chart. */
  id: string;
  /** The title's heading level (default 3). */
  headingLevel?: 2 | 3 | 4 | undefined;
}

/** A chart's heading: its options, title and the description under it. */
export interface ChartHead extends ChartOptions {
  title: string;
  description?: string | undefined;
}

/** One category of a rate chart: the user's counts and, optionally, the reference dataset's. */
export interface RateRow {
  label: string;
  /** Records with a stroke. */
  events: number;
  /** Records in the category. */
  total: number;
  /** The patient list filtered to this category. */
  href?: string | undefined;
  reference?: { events: number; total: number };
}

export interface RateChartProps extends ChartHead {
  rows: RateRow[];
  /** Names the reference marker in the legend and the table (default "Reference dataset"). */
  referenceLabel?: string | undefined;
  /** A shorter name for the table's reference column, for narrow cards (default the label). */
  referenceColumn?: string | undefined;
  /** Names the bars in the legend (default "Your records"). */
  seriesLabel?: string | undefined;
  /**
   * The highest rate the axis must show, shared by charts that are compared (default: this
   * chart's {@link axisTop}).
   */
  axisMax?: number | undefined;
}

/** The fewest records a group needs to set the axis: a smaller one's wide interval does not. */
export const MIN_AXIS_GROUP = 10;

/**
 * The highest value a rate chart's axis must reach for these rows: the upper ends of the
 * intervals and the reference rates of groups of {@link MIN_AXIS_GROUP} records or more (of
 * every group, when none is that large).
 */
export function axisTop(rows: RateRow[]): number {
  const big = rows.filter((row) => row.total >= MIN_AXIS_GROUP);
  const counted = big.length > 0 ? big : rows;
  const values = counted.flatMap((row) => [
    ...(row.total > 0 ? [wilsonInterval(row.events, row.total).high] : []),
    ...(row.reference && row.reference.total >= Math.min(MIN_AXIS_GROUP, row.total || Infinity)
      ? [row.reference.events / row.reference.total]
      : []),
  ]);
  return Math.max(0, ...values);
}

/** One term of a logistic regression: its odds ratio with a 95 % interval. */
export interface ForestTerm {
  label: string;
  oddsRatio: number;
  low: number;
  high: number;
  pValue: number;
  /** The level the term is compared with, e.g. "never smoked". */
  reference?: string | undefined;
  /** A second line when there is no reference, e.g. "per 10 years". */
  detail?: string | undefined;
}

/** The second line of a term's label: "vs never smoked", or its detail. */
function subLabel(t: ForestTerm): string | undefined {
  return t.reference ? `vs ${t.reference}` : t.detail;
}

export interface ForestPlotProps extends ChartHead {
  terms: ForestTerm[];
}

/** Width of every chart's viewBox: about a phone's width, so 1 unit stays near 1 CSS pixel. */
export const WIDTH = 360;
/** Right edge of the label column (labels are right-aligned against the plot). */
const LABEL_END = 128;
const PLOT_LEFT = 138;
const PLOT_RIGHT = WIDTH - 16;
const PLOT_WIDTH = PLOT_RIGHT - PLOT_LEFT;
const TOP = 8;
export const LABEL_SIZE = 14;
export const SMALL_SIZE = 12;

const count = formatCount;

/** A rough width of a text in viewBox units, from DejaVu Sans (wider than most system fonts). */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) {
    if ("ijl|!'".includes(ch)) em += 0.28;
    else if (" .,:;()[]/-ftr".includes(ch)) em += 0.36;
    else if ("mMW%…".includes(ch)) em += 0.97;
    else if (ch === "w" || (ch >= "A" && ch <= "Z")) em += 0.72;
    else em += 0.62;
  }
  return em * size;
}

/** A label cut with an ellipsis to fit `width`; the full text stays in the table and names. */
export function fit(text: string, size: number, width: number): string {
  if (textWidth(text, size) <= width) return text;
  let cut = text;
  while (cut.length > 1 && textWidth(`${cut}…`, size) > width) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** The smallest number of decimals that writes `x` exactly (up to 4). */
function decimals(x: number): number {
  for (let d = 0; d < 4; d++) if (Math.abs(Number(x.toFixed(d)) - x) < 1e-9) return d;
  return 4;
}

/** A linear 0-based rate axis: at most five nice ticks (1, 2, 2.5 or 5 × 10ⁿ) up to `maxValue`. */
function rateAxis(maxValue: number): { max: number; ticks: number[]; digits: number } {
  const target = Math.min(1, Math.max(maxValue, 0.01));
  const raw = target / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw - 1e-12) ??
    10 * magnitude;
  const max = Math.min(1, Math.ceil(target / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; i * step <= max + 1e-12; i++) ticks.push(Number((i * step).toFixed(12)));
  return { max, ticks, digits: decimals(step * 100) };
}

function Heading({ level, id, text }: { level: 2 | 3 | 4; id: string; text: string }) {
  if (level === 2) return <h2 id={id} class="chart-title">{text}</h2>;
  if (level === 4) return <h4 id={id} class="chart-title">{text}</h4>;
  return <h3 id={id} class="chart-title">{text}</h3>;
}

type KeyKind = "bar" | "ci" | "ref" | "square" | "arrow";

/** A legend entry: its swatch (hidden from screen readers) and the words that carry the meaning. */
export type LegendEntry = readonly [key: Child, label: string];

/** A numeric column's heading in a chart's table: its words, and a tooltip when they are short. */
export type ColumnHead = string | { label: string; title: string };

/**
 * One chart: a caption (heading, description, legend), the plot's SVG scaled to its container,
 * and the numbers in a folded table below; when there is nothing to plot, the `empty` message
 * instead of legend, plot and table. The plot is a group labelled by the heading whose rows name
 * themselves or, with `imageDescription`, one image named by its own `<title>` (the chart's
 * title) and described by its `<desc>`.
 */
export function ChartFigure(props: {
  chart: ChartHead;
  /** The chart's class besides `chart`. */
  kind: string;
  legend: readonly LegendEntry[];
  /** A class the legend's list has besides `chart-legend`. */
  legendClass?: string;
  /** When there is nothing to plot: what to say instead of legend, plot and table. */
  empty?: string | undefined;
  /** The plot's height in viewBox units (its width is {@link WIDTH}). */
  height: number;
  /** What the plot shows, in words, when it is one image. */
  imageDescription?: string;
  /** The table's headings: the rows' own, then the numeric columns'. */
  columns: readonly [string, ...ColumnHead[]];
  /** The table's rows. */
  rows: Child;
  /** The plot. */
  children: Child;
}) {
  const { id, title, headingLevel, description } = props.chart;
  const empty = props.empty;
  const titleId = `${id}-title`;
  const svgTitleId = `${id}-svg-title`;
  const descId = `${id}-desc`;
  const image = props.imageDescription !== undefined;
  const [rowHead, ...numeric] = props.columns;
  return (
    <figure class={`chart ${props.kind}`} id={id} aria-labelledby={titleId}>
      <figcaption>
        <Heading level={headingLevel ?? 3} id={titleId} text={title} />
        {description && <p class="chart-desc">{description}</p>}
        {empty === undefined && props.legend.length > 0 && (
          <ul class={props.legendClass ? `chart-legend ${props.legendClass}` : "chart-legend"}>
            {props.legend.map(([key, label]) => (
              <li>
                {key} {label}
              </li>
            ))}
          </ul>
        )}
      </figcaption>
      {empty !== undefined ? <p class="chart-empty">{empty}</p> : (
        <>
          <svg
            class="chart-svg"
            viewBox={`0 0 ${WIDTH} ${props.height}`}
            width="100%"
            role={image ? "img" : "group"}
            aria-labelledby={image ? `${svgTitleId} ${descId}` : titleId}
          >
            {image && (
              <>
                <title id={svgTitleId}>{title}</title>
                <desc id={descId}>{props.imageDescription}</desc>
              </>
            )}
            {props.children}
          </svg>
          <details class="chart-data">
            <summary>
              Show the numbers<span class="visually-hidden">: {title}</span>
            </summary>
            <div class="table-wrap" role="region" aria-label={`${title}: the numbers`} tabindex={0}>
              <table class="table chart-table">
                <caption class="visually-hidden">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{rowHead}</th>
                    {numeric.map((c) =>
                      typeof c === "string"
                        ? <th scope="col" class="num">{c}</th>
                        : <th scope="col" class="num" title={c.title}>{c.label}</th>
                    )}
                  </tr>
                </thead>
                <tbody>{props.rows}</tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </figure>
  );
}

/** A text in the small size: ticks, values, notes; `anchor` is its `text-anchor` (start when none). */
export function SmallText(props: {
  class: string;
  x: number;
  y: number;
  anchor?: "middle" | "end";
  children: Child;
}) {
  return (
    <text
      class={props.class}
      x={props.x}
      y={props.y}
      font-size={SMALL_SIZE}
      {...(props.anchor ? { "text-anchor": props.anchor } : {})}
    >
      {props.children}
    </text>
  );
}

/** Vertical gridlines at the ticks with their labels below; the line at `base` stands out. */
function Gridlines(props: {
  ticks: number[];
  x: (value: number) => number;
  bottom: number;
  labelY: number;
  base: number;
  baseClass: string;
  baseLabelClass?: string;
  label: (value: number) => string;
}) {
  const { x, base } = props;
  return (
    <g aria-hidden="true">
      {props.ticks.map((t) => (
        <>
          <line
            class={t === base ? props.baseClass : "chart-gridline"}
            x1={x(t)}
            y1={TOP}
            x2={x(t)}
            y2={props.bottom}
          />
          <SmallText
            class={t === base && props.baseLabelClass
              ? `chart-tick ${props.baseLabelClass}`
              : "chart-tick"}
            x={x(t)}
            y={props.labelY}
            anchor="middle"
          >
            {props.label(t)}
          </SmallText>
        </>
      ))}
    </g>
  );
}

/** A small legend swatch; the words beside it carry the meaning. */
function Key({ kind }: { kind: KeyKind }) {
  return (
    <svg class="chart-key" viewBox="0 0 28 14" width="28" height="14" aria-hidden="true">
      {kind === "bar" && <rect class="chart-bar" x="0" y="2" width="28" height="10" />}
      {kind === "ci" && <WhiskerShape x1={3} x2={25} y={7} />}
      {kind === "ref" && <Diamond x={14} y={7} />}
      {kind === "square" && <rect class="chart-square" x="9" y="2" width="10" height="10" />}
      {kind === "arrow" && (
        <>
          <line class="chart-ci" x1="2" y1="7" x2="19" y2="7" />
          <polygon class="chart-arrow" points="26,7 18,2.5 18,11.5" />
        </>
      )}
    </svg>
  );
}

function WhiskerShape({ x1, x2, y }: { x1: number; x2: number; y: number }) {
  return (
    <>
      <line class="chart-ci" x1={x1} y1={y} x2={x2} y2={y} />
      <line class="chart-ci" x1={x1} y1={y - 5} x2={x1} y2={y + 5} />
      <line class="chart-ci" x1={x2} y1={y - 5} x2={x2} y2={y + 5} />
    </>
  );
}

function Diamond({ x, y }: { x: number; y: number }) {
  return (
    <polygon class="chart-ref" points={`${x},${y - 7} ${x + 6},${y} ${x},${y + 7} ${x - 6},${y}`} />
  );
}

/** Counts as "12.4% (31/250)". */
function rateText(events: number, total: number): string {
  return `${formatPercent(events / total)} (${count(events)}/${count(total)})`;
}

/**
 * What a screen reader hears for a row: first what the row shows (its label and rate, so that
 * the spoken name matches the visible text), then the counts, interval and reference rate.
 */
function rowName(row: RateRow, ci: RateInterval, ref: number | undefined, refLabel: string) {
  const numbers = row.total === 0
    ? "no records"
    : `${formatPercent(ci.rate)}, ${count(row.events)} strokes in ${count(row.total)} records ` +
      `(95% CI ${formatPercent(ci.low)} to ${formatPercent(ci.high)})`;
  const reference = ref === undefined ? "" : `; ${refLabel} ${formatPercent(ref)}`;
  return `${row.label}: ${numbers}${reference}${row.href ? ". Show these records" : ""}`;
}

const ROW_HEIGHT = 44;

/**
 * Stroke rates by category as a horizontal bar chart: a bar and its 95 % Wilson interval per
 * row, a diamond for the reference dataset's rate, the rate and counts as text, and the same
 * numbers in a table. Each row with an `href` is one link (label and bar) to those records.
 */
export function RateChart(props: RateChartProps) {
  const { rows } = props;
  const referenceLabel = props.referenceLabel ?? "Reference dataset";
  const stats = rows.map((row) => ({
    row,
    ci: wilsonInterval(row.events, row.total),
    ref: row.reference && row.reference.total > 0
      ? wilsonInterval(row.reference.events, row.reference.total).rate
      : undefined,
  }));
  const hasReference = rows.some((row) => row.reference);
  const axis = rateAxis(props.axisMax ?? axisTop(rows));
  // A value past the axis (a small group's interval) stops at its end, with an arrow.
  const x = (v: number) => PLOT_LEFT + (Math.min(v, axis.max) / axis.max) * PLOT_WIDTH;
  const past = (v: number) => v > axis.max + 1e-12;
  const anyPast = stats.some((s) => s.row.total > 0 && past(s.ci.high));
  const bottom = TOP + rows.length * ROW_HEIGHT;
  const height = bottom + 26;
  return (
    <ChartFigure
      chart={props}
      kind="rate-chart"
      legend={[
        [<Key kind="bar" />, props.seriesLabel ?? "Your records"],
        [<Key kind="ci" />, "95% confidence interval"],
        ...(hasReference ? [[<Key kind="ref" />, referenceLabel] as const] : []),
        ...(anyPast ? [[<Key kind="arrow" />, "Runs past the axis"] as const] : []),
      ]}
      empty={rows.length === 0 ? "No categories to show." : undefined}
      height={height}
      columns={[
        "Category",
        "Records",
        "Strokes",
        "Rate",
        "95% CI",
        ...(hasReference ? [props.referenceColumn ?? referenceLabel] : []),
      ]}
      rows={stats.map(({ row, ci }) => (
        <tr>
          <th scope="row">{row.href ? <a href={row.href}>{row.label}</a> : row.label}</th>
          <td class="num">{count(row.total)}</td>
          <td class="num">{count(row.events)}</td>
          {row.total === 0 ? <td class="num muted" colspan={2}>no records</td> : (
            <>
              <td class="num">{formatPercent(ci.rate)}</td>
              <td class="num">{`${formatPercent(ci.low)}–${formatPercent(ci.high)}`}</td>
            </>
          )}
          {hasReference && (
            <td class="num">
              {!row.reference
                ? "–"
                : row.reference.total === 0
                ? "no records"
                : formatPercent(row.reference.events / row.reference.total)}
            </td>
          )}
        </tr>
      ))}
    >
      <Gridlines
        ticks={axis.ticks}
        x={x}
        bottom={bottom}
        labelY={bottom + 17}
        base={0}
        baseClass="chart-axis"
        label={(t) => formatPercent(t, axis.digits)}
      />
      {stats.map(({ row, ci, ref }, i) => {
        const top = TOP + i * ROW_HEIGHT;
        const mid = top + ROW_HEIGHT / 2;
        const empty = row.total === 0;
        const name = rowName(row, ci, ref, referenceLabel);
        const noneX = ref !== undefined && x(ref) < PLOT_LEFT + 84 ? x(ref) + 12 : PLOT_LEFT + 6;
        const graphic = (
          <g aria-hidden="true">
            <rect
              class="chart-hit"
              x="0"
              y={top + 1}
              width={WIDTH}
              height={ROW_HEIGHT - 2}
              rx="4"
            />
            <text
              class="chart-label"
              x={LABEL_END}
              y={empty ? mid + 5 : top + 19}
              font-size={LABEL_SIZE}
              text-anchor="end"
            >
              {fit(row.label, LABEL_SIZE, LABEL_END - 2)}
            </text>
            {/* A space, so that the label and the rate read as two words, as the name has. */}{" "}
            {!empty && (
              <text
                class="chart-value"
                x={LABEL_END}
                y={top + 35}
                font-size={SMALL_SIZE}
                text-anchor="end"
              >
                {rateText(row.events, row.total)}
              </text>
            )}
            {empty
              ? (
                <text class="chart-none" x={noneX} y={mid + 4} font-size={SMALL_SIZE}>
                  no records
                </text>
              )
              : (
                <>
                  <rect
                    class="chart-bar"
                    x={PLOT_LEFT}
                    y={mid - 8}
                    width={x(ci.rate) - PLOT_LEFT}
                    height="16"
                  />
                  {past(ci.high)
                    ? (
                      <>
                        <line
                          class="chart-ci"
                          x1={x(ci.low)}
                          y1={mid}
                          x2={PLOT_RIGHT - 7}
                          y2={mid}
                        />
                        <line
                          class="chart-ci"
                          x1={x(ci.low)}
                          y1={mid - 5}
                          x2={x(ci.low)}
                          y2={mid + 5}
                        />
                        <polygon
                          class="chart-arrow"
                          points={`${PLOT_RIGHT},${mid} ${PLOT_RIGHT - 8},${mid - 4.5} ${
                            PLOT_RIGHT - 8
                          },${mid + 4.5}`}
                        />
                      </>
                    )
                    : <WhiskerShape x1={x(ci.low)} x2={x(ci.high)} y={mid} />}
                </>
              )}
            {ref !== undefined && <Diamond x={x(ref)} y={mid} />}
          </g>
        );
        return row.href
          ? <a class="chart-row chart-link" href={row.href} aria-label={name}>{graphic}</a>
          : <g class="chart-row" role="img" aria-label={name}>{graphic}</g>;
      })}
    </ChartFigure>
  );
}

/** The 1-2-5 values the log axis may stop at or label. */
const LOG_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
const DECADES = [0.01, 0.1, 1, 10, 100];
const LOG_MIN = 0.01;
const LOG_MAX = 100;

/** A log axis around 1 covering the terms (within 0.01–100), with ticks at nice values. */
function logAxis(terms: ForestTerm[]): { lo: number; hi: number; ticks: number[] } {
  const values = terms.flatMap((t) => [t.low, t.oddsRatio, t.high])
    .filter((v) => Number.isFinite(v) && v > 0);
  const min = Math.min(0.5, ...values);
  const max = Math.max(2, ...values);
  let lo = LOG_STEPS.findLast((s) => s <= min) ?? LOG_MIN;
  let hi = LOG_STEPS.find((s) => s >= max) ?? LOG_MAX;
  if (Math.log10(hi / lo) <= 2.25) {
    return {
      lo,
      hi,
      ticks: LOG_STEPS.filter((s) => s >= lo && s <= hi),
    };
  }
  lo = Math.max(LOG_MIN, 10 ** Math.floor(Math.log10(lo) + 1e-9));
  hi = Math.min(LOG_MAX, 10 ** Math.ceil(Math.log10(hi) - 1e-9));
  return { lo, hi, ticks: LOG_STEPS.filter((s) => s >= lo && s <= hi && DECADES.includes(s)) };
}

/** What a screen reader hears for a term: the odds ratio, its interval and p. */
function termName(t: ForestTerm, estimable: boolean): string {
  const term = t.reference
    ? `${t.label} compared with ${t.reference}`
    : t.detail
    ? `${t.label} ${t.detail}`
    : t.label;
  if (!estimable) return `${term}: not estimable`;
  const p = formatPValue(t.pValue);
  return `${term}: odds ratio ${formatOddsRatio(t.oddsRatio)} (95% CI ` +
    `${formatOddsRatio(t.low)} to ${formatOddsRatio(t.high)}), p ${
      p.startsWith("<") ? p : `= ${p}`
    }`;
}

const FOREST_ROW = 48;
/** Space kept between a value's label and the line at OR = 1. */
const NULL_GAP = 5;

/**
 * Where a forest row's value label is centred: near its square, wholly on one side of the line
 * at 1 (the square's side when the label fits there, else the roomier side), never across it;
 * null when it fits on neither side (the row then shows a shorter label).
 */
function valueCentre(width: number, near: number, line: number): number | null {
  const half = width / 2;
  const left = { lo: PLOT_LEFT + half, hi: line - NULL_GAP - half };
  const right = { lo: line + NULL_GAP + half, hi: WIDTH - 2 - half };
  const fits = (side: { lo: number; hi: number }) => side.lo <= side.hi;
  const preferred = near < line ? left : right;
  const other = preferred === left ? right : left;
  const side = fits(preferred) ? preferred : fits(other) ? other : null;
  return side && Math.min(side.hi, Math.max(side.lo, near));
}

/** A forest row's value label and where it goes: with its interval, or the odds ratio alone. */
function placedValue(texts: string[], near: number, line: number) {
  for (const text of texts) {
    const width = textWidth(text, SMALL_SIZE);
    const centre = valueCentre(width, near, line);
    if (centre !== null) return { text, width, centre };
  }
  const text = texts.at(-1)!;
  const width = textWidth(text, SMALL_SIZE);
  return { text, width, centre: line + NULL_GAP + width / 2 };
}

/**
 * Odds ratios with 95 % intervals on a log axis: a square and a line per term, a line at
 * OR = 1, arrows where an interval runs past the axis, and the numbers (with p) in a table.
 */
export function ForestPlot(props: ForestPlotProps) {
  const { terms } = props;
  const axis = logAxis(terms);
  const span = Math.log(axis.hi / axis.lo);
  const x = (v: number) => PLOT_LEFT + (Math.log(v / axis.lo) / span) * PLOT_WIDTH;
  const clipsLow = (t: ForestTerm) => !(t.low >= axis.lo);
  const clipsHigh = (t: ForestTerm) => !(t.high <= axis.hi);
  const anyArrow = terms.some((t) => clipsLow(t) || clipsHigh(t));
  const bottom = TOP + terms.length * FOREST_ROW;
  const height = bottom + 40;
  const ciText = (t: ForestTerm) => `${formatOddsRatio(t.low)}–${formatOddsRatio(t.high)}`;
  return (
    <ChartFigure
      chart={props}
      kind="forest-plot"
      legend={[
        [<Key kind="square" />, "Odds ratio"],
        [<Key kind="ci" />, "95% confidence interval"],
        ...(anyArrow ? [[<Key kind="arrow" />, "Interval runs past the axis"] as const] : []),
      ]}
      empty={terms.length === 0 ? "No terms to show." : undefined}
      height={height}
      columns={["Term", "Odds ratio", "95% CI", "p"]}
      rows={terms.map((t) => (
        <tr>
          <th scope="row">
            {t.label}
            {subLabel(t) && <span class="chart-vs">{` ${subLabel(t)}`}</span>}
          </th>
          <td class="num">{formatOddsRatio(t.oddsRatio)}</td>
          <td class="num">{ciText(t)}</td>
          <td class="num chart-p">{formatPValue(t.pValue)}</td>
        </tr>
      ))}
    >
      <Gridlines
        ticks={axis.ticks}
        x={x}
        bottom={bottom}
        labelY={bottom + 16}
        base={1}
        baseClass="chart-null"
        baseLabelClass="chart-tick-null"
        label={String}
      />
      <g aria-hidden="true">
        <text
          class="chart-axis-title"
          x={(PLOT_LEFT + PLOT_RIGHT) / 2}
          y={bottom + 34}
          font-size={SMALL_SIZE}
          text-anchor="middle"
        >
          Odds ratio (log scale)
        </text>
      </g>
      {terms.map((t, i) => {
        const top = TOP + i * FOREST_ROW;
        const mid = top + 30;
        const estimable = Number.isFinite(t.oddsRatio) && t.oddsRatio > 0;
        const inside = estimable && t.oddsRatio >= axis.lo && t.oddsRatio <= axis.hi;
        // The interval is left out of the label when it cannot fit beside the line at 1
        // (it is in the table and in the row's name).
        const placed = placedValue(
          estimable
            ? [`${formatOddsRatio(t.oddsRatio)} (${ciText(t)})`, formatOddsRatio(t.oddsRatio)]
            : ["not estimable"],
          inside ? x(t.oddsRatio) : x(1),
          x(1),
        );
        const lineEnd = clipsHigh(t) ? PLOT_RIGHT - 7 : x(t.high);
        const x1 = Math.min(clipsLow(t) ? PLOT_LEFT + 7 : x(t.low), lineEnd);
        const x2 = Math.max(x1, lineEnd);
        const name = termName(t, estimable);
        return (
          <g class="chart-row" role="img" aria-label={name}>
            <g aria-hidden="true">
              <text
                class="chart-label"
                x={LABEL_END}
                y={subLabel(t) ? top + 27 : mid + 5}
                font-size={LABEL_SIZE}
                text-anchor="end"
              >
                {fit(t.label, LABEL_SIZE, LABEL_END - 2)}
              </text>
              {subLabel(t) && (
                <text
                  class="chart-value"
                  x={LABEL_END}
                  y={top + 42}
                  font-size={SMALL_SIZE}
                  text-anchor="end"
                >
                  {fit(subLabel(t)!, SMALL_SIZE, LABEL_END - 2)}
                </text>
              )}
              <rect
                class="chart-text-bg"
                x={placed.centre - placed.width / 2 - 3}
                y={top + 8}
                width={placed.width + 6}
                height="15"
              />
              <text
                class="chart-value"
                x={placed.centre}
                y={top + 19}
                font-size={SMALL_SIZE}
                text-anchor="middle"
              >
                {placed.text}
              </text>
              {estimable && (
                <>
                  <line class="chart-ci" x1={x1} y1={mid} x2={x2} y2={mid} />
                  {clipsLow(t) && (
                    <polygon
                      class="chart-arrow"
                      points={`${PLOT_LEFT},${mid} ${PLOT_LEFT + 8},${mid - 4.5} ${PLOT_LEFT + 8},${
                        mid + 4.5
                      }`}
                    />
                  )}
                  {clipsHigh(t) && (
                    <polygon
                      class="chart-arrow"
                      points={`${PLOT_RIGHT},${mid} ${PLOT_RIGHT - 8},${mid - 4.5} ${
                        PLOT_RIGHT - 8
                      },${mid + 4.5}`}
                    />
                  )}
                  {inside && (
                    <rect
                      class="chart-square"
                      x={x(t.oddsRatio) - 5}
                      y={mid - 5}
                      width="10"
                      height="10"
                    />
                  )}
                </>
              )}
            </g>
          </g>
        );
      })}
    </ChartFigure>
  );
}
