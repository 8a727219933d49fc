/**
 * The door-to-needle run chart: the median minutes from arrival to thrombolysis month by month,
 * with the 60-minute target line and the median of the months as the centre line, as an SVG
 * with its own title and description, and the same numbers in a table.
 */
import { formatCount } from "../../lib/count_format.ts";
import { DOOR_TO_NEEDLE_TARGET } from "../../lib/stroke/quality_indicators.ts";
import { sharedCountText } from "../../lib/stroke/small_numbers.ts";
import {
  ChartFigure,
  type ChartOptions,
  SMALL_SIZE,
  SmallText,
  textWidth,
  WIDTH,
} from "../Charts.tsx";

/** One month of the chart; counts may be shared ones (`<5`). */
export interface RunChartMonth {
  /** `YYYY-MM`. */
  month: string;
  admissions: number | string;
  door_to_needle_median: number | null;
  /** Thrombolysed admissions of the month (the median's n), when known. */
  door_to_needle_n?: number | string | undefined;
}

export interface RunChartProps extends ChartOptions {
  months: RunChartMonth[];
  title?: string | undefined;
  /** The target line, in minutes (default 60). */
  target?: number | undefined;
}

const LEFT = 40;
const RIGHT = WIDTH - 12;
const TOP = 24;
const PLOT_HEIGHT = 170;
const BOTTOM = TOP + PLOT_HEIGHT;
const HEIGHT = BOTTOM + 44;

const MONTH_NAMES = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** `2026-03` as "Mar 2026". */
export function monthName(month: string): string {
  return `${MONTH_NAMES[Number(month.slice(5, 7)) - 1] ?? month} ${month.slice(0, 4)}`;
}

/** Minutes as the chart writes them: whole minutes, or one decimal below 10. */
export function minutesText(minutes: number): string {
  return minutes < 10 && !Number.isInteger(minutes)
    ? `${minutes.toFixed(1)} min`
    : `${formatCount(Math.round(minutes))} min`;
}

/** A minutes axis from 0 with nice steps (10, 15, 30, 60 …) reaching past the target. */
function minutesAxis(maxValue: number, target: number): { max: number; ticks: number[] } {
  const top = Math.max(maxValue, target * 1.25);
  const step = [10, 15, 20, 30, 60, 120, 240].find((s) => top / s <= 5) ?? 480;
  const max = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= max; t += step) ticks.push(t);
  return { max, ticks };
}

/** The median of the months' medians (the run chart's centre line), or null. */
function centreOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What the description says: the period, how many months met the target, the gaps. */
function describe(months: RunChartMonth[], target: number, centre: number | null): string {
  if (months.length === 0) return "No months to show.";
  const shown = months.filter((m) => m.door_to_needle_median !== null);
  const within = shown.filter((m) => m.door_to_needle_median! <= target).length;
  const period = months.length === 1
    ? monthName(months[0]!.month)
    : `${monthName(months[0]!.month)} to ${monthName(months.at(-1)!.month)}`;
  const parts = [
    `Median minutes from arrival to thrombolysis, by month, ${period}.`,
    shown.length === 0
      ? "No month has a door-to-needle time to show."
      : `${within} of ${shown.length} months with a median within the ${target}-minute target.`,
  ];
  if (centre !== null) parts.push(`The median of the months is ${minutesText(centre)}.`);
  const gaps = months.length - shown.length;
  if (gaps > 0 && shown.length > 0) {
    parts.push(`${gaps} month${gaps === 1 ? " has" : "s have"} no median to show.`);
  }
  return parts.join(" ");
}

/** Which months get a label under the axis: all when they fit, else every k-th (and January). */
function labelEvery(count: number): number {
  const room = (RIGHT - LEFT) / Math.max(1, count);
  const width = textWidth("Mar", SMALL_SIZE) + 6;
  return Math.max(1, Math.ceil(width / room));
}

/**
 * Door-to-needle median by month: a point per month with a median (a line joins consecutive
 * ones, a month without one leaves a gap), a dashed target line and the centre line.
 */
export function RunChart(props: RunChartProps) {
  const { months } = props;
  const target = props.target ?? DOOR_TO_NEEDLE_TARGET;
  const title = props.title ?? "Door-to-needle time by month";
  const values = months.flatMap((m) =>
    m.door_to_needle_median === null ? [] : [m.door_to_needle_median]
  );
  const centre = centreOf(values);
  const axis = minutesAxis(Math.max(0, ...values), target);
  const slot = (RIGHT - LEFT) / Math.max(1, months.length);
  const x = (i: number) => LEFT + slot * (i + 0.5);
  const y = (minutes: number) => BOTTOM - (Math.min(minutes, axis.max) / axis.max) * PLOT_HEIGHT;
  const every = labelEvery(months.length);
  const description = describe(months, target, centre);

  // The line: joined runs of months that have a median.
  let path = "";
  months.forEach((m, i) => {
    if (m.door_to_needle_median === null) return;
    const joined = i > 0 && months[i - 1]!.door_to_needle_median !== null;
    path += `${joined ? "L" : "M"}${x(i).toFixed(1)} ${y(m.door_to_needle_median).toFixed(1)}`;
  });

  return (
    <ChartFigure
      chart={{ ...props, title, description }}
      kind="run-chart"
      legend={[
        [<RunKey kind="point" />, "Median door-to-needle time of the month"],
        [<RunKey kind="target" />, `Target: ${target} minutes`],
        ...(centre !== null ? [[<RunKey kind="centre" />, "Median of the months"] as const] : []),
      ]}
      empty={months.length === 0 ? "No months to show." : undefined}
      height={HEIGHT}
      imageDescription={description}
      columns={["Month", "Admissions", "Thrombolysed", "Median door to needle"]}
      rows={months.map((m) => (
        <tr>
          <th scope="row">{monthName(m.month)}</th>
          <td class="num">{sharedCountText(m.admissions)}</td>
          <td class="num">
            {m.door_to_needle_n === undefined ? "–" : sharedCountText(m.door_to_needle_n)}
          </td>
          <td class="num">
            {m.door_to_needle_median === null ? "–" : minutesText(m.door_to_needle_median)}
          </td>
        </tr>
      ))}
    >
      <g aria-hidden="true">
        {axis.ticks.map((t) => (
          <line
            class={t === 0 ? "chart-axis" : "chart-gridline"}
            x1={LEFT}
            y1={y(t)}
            x2={RIGHT}
            y2={y(t)}
          />
        ))}
        {[...new Set([...axis.ticks, target])].map((t) => (
          <SmallText
            class={t === target ? "chart-tick run-target-label" : "chart-tick"}
            x={LEFT - 5}
            y={y(t) + 4}
            anchor="end"
          >
            {t}
          </SmallText>
        ))}
        <SmallText class="chart-axis-title" x={4} y={TOP - 12}>Minutes</SmallText>
        <line class="run-target" x1={LEFT} y1={y(target)} x2={RIGHT} y2={y(target)} />
        {centre !== null && (
          <line class="run-centre" x1={LEFT} y1={y(centre)} x2={RIGHT} y2={y(centre)} />
        )}
        {path && <path class="run-line" d={path} />}
        {months.map((m, i) => {
          const median = m.door_to_needle_median;
          // Every January, and every k-th month unless a January follows too closely.
          const januaryNear = months.slice(i + 1, i + every).some((n) => n.month.endsWith("-01"));
          const label = m.month.endsWith("-01") || (i % every === 0 && !januaryNear);
          return (
            <>
              {median !== null && (
                <circle
                  class={median <= target ? "run-point" : "run-point run-point-over"}
                  cx={x(i)}
                  cy={y(median)}
                  r="4"
                >
                  <title>{`${monthName(m.month)}: ${minutesText(median)}`}</title>
                </circle>
              )}
              {label && (
                <SmallText class="chart-tick" x={x(i)} y={BOTTOM + 16} anchor="middle">
                  {MONTH_NAMES[Number(m.month.slice(5, 7)) - 1]}
                </SmallText>
              )}
              {(i === 0 || m.month.endsWith("-01")) && (
                <SmallText class="chart-tick" x={x(i)} y={BOTTOM + 32} anchor="middle">
                  {m.month.slice(0, 4)}
                </SmallText>
              )}
            </>
          );
        })}
      </g>
    </ChartFigure>
  );
}

/** A legend swatch of the run chart; the words beside it carry the meaning. */
function RunKey({ kind }: { kind: "point" | "target" | "centre" }) {
  return (
    <svg class="chart-key" viewBox="0 0 28 14" width="28" height="14" aria-hidden="true">
      {kind === "point" && (
        <>
          <line class="run-line" x1="0" y1="7" x2="28" y2="7" />
          <circle class="run-point" cx="14" cy="7" r="4" />
        </>
      )}
      {kind === "target" && <line class="run-target" x1="0" y1="7" x2="28" y2="7" />}
      {kind === "centre" && <line class="run-centre" x1="0" y1="7" x2="28" y2="7" />}
    </svg>
  );
}
