/**
 * The Grotta bar chart of the 90-day modified Rankin Scale: one horizontal 100 % bar per group
 * (thrombolysed, not thrombolysed), split into mRS 0 to 6 with each grade's number written in
 * its segment, as an SVG with its own title and description, and the counts in a table.
 */
import { formatCount } from "../../lib/count_format.ts";
import { formatPercent } from "../../lib/intervals.ts";
import { MRS_GRADES, MRS_LABELS, type MrsGrade } from "../../lib/stroke/admission_fields.ts";
import { sharedCountText } from "../../lib/stroke/small_numbers.ts";
import {
  ChartFigure,
  type ChartOptions,
  fit,
  LABEL_SIZE,
  SMALL_SIZE,
  SmallText,
  textWidth,
  WIDTH,
} from "../Charts.tsx";

/** A group's counts of mRS 0 … 6; a count may be a shared one (`<5`). */
export type GrottaCounts = readonly (number | string)[];

export interface GrottaRow {
  label: string;
  counts: GrottaCounts;
}

export interface GrottaChartProps extends ChartOptions {
  thrombolysed: GrottaCounts;
  notThrombolysed: GrottaCounts;
  title?: string | undefined;
}

const LEFT = 8;
const RIGHT = WIDTH - 8;
const BAR_HEIGHT = 30;
const ROW_HEIGHT = 80;
const TOP = 4;
/** The caption's description: how to read the bars. */
const HOW_TO_READ =
  "Each bar is 100 % of its group; the number in a segment is the mRS grade, the share is below it.";

/** The counts as numbers, or null when one is hidden (a small number shared as `<5`). */
function numbers(counts: GrottaCounts): number[] | null {
  return counts.every((c) => typeof c === "number") ? counts as number[] : null;
}

function describeRow(row: GrottaRow): string {
  const values = numbers(row.counts);
  if (!values) return `${row.label}: not shown, some counts are too small to share.`;
  const total = values.reduce((a, b) => a + b, 0);
  if (total === 0) return `${row.label}: no 90-day mRS recorded.`;
  const shares = values.map((v, g) => `mRS ${g} ${formatPercent(v / total, 0)}`).join(", ");
  return `${row.label} (${formatCount(total)} patients): ${shares}.`;
}

/**
 * 90-day mRS of the thrombolysed and the not thrombolysed side by side. A group with no
 * recorded mRS, or with a count hidden for sharing, says so instead of a bar.
 */
export function GrottaChart(props: GrottaChartProps) {
  const title = props.title ?? "Modified Rankin Scale at 90 days";
  const rows: GrottaRow[] = [
    { label: "Thrombolysed", counts: props.thrombolysed },
    { label: "Not thrombolysed", counts: props.notThrombolysed },
  ];
  const description = `The share of patients at each grade of the modified Rankin Scale 90 ` +
    `days after the stroke, from 0 (no symptoms) to 6 (dead). ${rows.map(describeRow).join(" ")}`;
  const height = TOP + rows.length * ROW_HEIGHT;
  const width = RIGHT - LEFT;
  return (
    <ChartFigure
      chart={{ ...props, title, description: HOW_TO_READ }}
      kind="grotta-chart"
      legend={MRS_GRADES.map((g) => [<GradeKey grade={g} />, `${g} ${MRS_LABELS[g]}`] as const)}
      legendClass="grotta-legend"
      height={height}
      imageDescription={description}
      columns={[
        "Group",
        ...MRS_GRADES.map((g) => ({ label: `mRS ${g}`, title: MRS_LABELS[g] })),
        "Total",
      ]}
      rows={rows.map((row) => {
        const values = numbers(row.counts);
        const total = values?.reduce((a, b) => a + b, 0) ?? null;
        return (
          <tr>
            <th scope="row">{row.label}</th>
            {row.counts.map((c) => (
              <td class="num">
                {sharedCountText(c)}
                {total !== null && total > 0 && (
                  <span class="chart-vs">{` ${formatPercent((c as number) / total)}`}</span>
                )}
              </td>
            ))}
            <td class="num">{total === null ? "–" : formatCount(total)}</td>
          </tr>
        );
      })}
    >
      <g aria-hidden="true">
        {rows.map((row, r) => {
          const top = TOP + r * ROW_HEIGHT;
          const barTop = top + 22;
          const values = numbers(row.counts);
          const total = values ? values.reduce((a, b) => a + b, 0) : 0;
          const heading = values
            ? `${row.label} (n = ${formatCount(total)})`
            : `${row.label} (small numbers)`;
          let x = LEFT;
          return (
            <>
              <text class="chart-label" x={LEFT} y={top + 15} font-size={LABEL_SIZE}>
                {fit(heading, LABEL_SIZE, width)}
              </text>
              {!values || total === 0
                ? (
                  <SmallText class="chart-none" x={LEFT} y={barTop + 19}>
                    {values ? "No 90-day mRS recorded" : "Not shown: counts under 5 are not shared"}
                  </SmallText>
                )
                : values.map((count, g) => {
                  if (count === 0) return null;
                  const w = (count / total) * width;
                  const start = x;
                  x += w;
                  const share = formatPercent(count / total, 0);
                  const grade = textWidth(String(g), SMALL_SIZE) + 2 <= w;
                  const below = textWidth(share, SMALL_SIZE) + 2 <= w;
                  return (
                    <>
                      <rect
                        class={`grotta-${g}`}
                        x={start}
                        y={barTop}
                        width={w}
                        height={BAR_HEIGHT}
                      >
                        <title>
                          {`mRS ${g} (${MRS_LABELS[g as 0]}): ${formatCount(count)} (${share})`}
                        </title>
                      </rect>
                      {grade && (
                        <SmallText
                          class={`grotta-text-${g}`}
                          x={start + w / 2}
                          y={barTop + 19}
                          anchor="middle"
                        >
                          {g}
                        </SmallText>
                      )}
                      {below && (
                        <SmallText
                          class="chart-value"
                          x={start + w / 2}
                          y={barTop + BAR_HEIGHT + 13}
                          anchor="middle"
                        >
                          {share}
                        </SmallText>
                      )}
                    </>
                  );
                })}
            </>
          );
        })}
      </g>
    </ChartFigure>
  );
}

/** A legend swatch: the grade's colour; the words beside it carry the meaning. */
function GradeKey({ grade }: { grade: MrsGrade }) {
  return (
    <svg class="chart-key" viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">
      <rect class={`grotta-${grade}`} x="0" y="0" width="14" height="14" />
    </svg>
  );
}
