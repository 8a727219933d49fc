/** The dashboard's SVG charts, read through a DOM: rows, links, tables, axes and CSP safety. */
import assert from "node:assert/strict";
import { jsx } from "hono/jsx";
import {
  ForestPlot,
  type ForestPlotProps,
  type ForestTerm,
  RateChart,
  type RateChartProps,
  type RateRow,
} from "../components/Charts.tsx";
import { formatPercent, wilsonInterval } from "../lib/intervals.ts";
import { type DomElement, parseDom, textOf } from "./helpers/html.ts";

/** The same as `(<RateChart {...props} />).toString()` in a .tsx file, parsed. */
async function render(element: ReturnType<typeof jsx>) {
  const html = await element.toString();
  return { html, document: parseDom(html).document };
}
const rateChart = (props: RateChartProps) => render(jsx(RateChart, props));
const forestPlot = (props: ForestPlotProps) => render(jsx(ForestPlot, props));

const ROWS: RateRow[] = [
  { label: "Private", events: 31, total: 250, href: "/patients?work_type=Private" },
  {
    label: "Self-employed",
    events: 20,
    total: 120,
    href: "/patients?work_type=Self-employed",
    reference: { events: 65, total: 819 },
  },
  { label: "Never worked", events: 0, total: 0, reference: { events: 0, total: 22 } },
  { label: "<script>alert(1)</script>", events: 2, total: 40 },
];
const RATE_PROPS: RateChartProps = {
  id: "work",
  title: "Stroke rate by work type",
  description: "Your records; 95% Wilson intervals.",
  rows: ROWS,
  referenceLabel: "Published dataset",
};

const TERMS: ForestTerm[] = [
  { label: "Hypertension", reference: "No", oddsRatio: 3.7, low: 2.6, high: 5.2, pValue: 0.00002 },
  { label: "Rural", reference: "Urban", oddsRatio: 0.95, low: 0.72, high: 1.25, pValue: 0.7 },
  { label: "Heart disease", oddsRatio: 1.38, low: 0.91, high: 2.1, pValue: 0.0321 },
];

/** Elements that a strict CSP (no inline styles or scripts) would block or that run code. */
function cspProblems(document: DomElement): string[] {
  const problems: string[] = [];
  for (const el of document.querySelectorAll("*")) {
    if (el.hasAttribute("style")) problems.push(`style attribute on <${el.localName}>`);
    for (const name of el.getAttributeNames()) {
      if (name.startsWith("on")) problems.push(`${name} on <${el.localName}>`);
    }
  }
  for (const el of document.querySelectorAll("style, script")) problems.push(`<${el.localName}>`);
  return problems;
}

Deno.test("RateChart draws one row group per category in an SVG with a viewBox", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const svg = document.querySelector("figure svg.chart-svg");
  assert.ok(svg);
  assert.match(svg.getAttribute("viewBox") ?? "", /^0 0 3\d\d \d+$/);
  assert.equal(svg.getAttribute("width"), "100%");
  assert.equal(svg.querySelectorAll(".chart-row").length, ROWS.length);
  assert.equal(svg.querySelectorAll(".chart-bar").length, ROWS.length - 1);
});

Deno.test("RateChart links each row that has an href, named by what it shows, then the numbers", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const links = [...document.querySelectorAll("svg.chart-svg a")];
  assert.deepEqual(links.map((a) => a.getAttribute("href")), [
    "/patients?work_type=Private",
    "/patients?work_type=Self-employed",
  ]);
  assert.equal(
    links[0]?.getAttribute("aria-label"),
    "Private: 12.4%, 31 strokes in 250 records (95% CI 8.9% to 17.1%). Show these records",
  );
  assert.match(links[1]?.getAttribute("aria-label") ?? "", /; Published dataset 7\.9%\./);
  const plain = [...document.querySelectorAll("svg.chart-svg g.chart-row")];
  assert.equal(plain.length, 2);
  for (const row of plain) assert.equal(row.getAttribute("role"), "img");
});

Deno.test("RateChart writes each rate as text with its counts", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const values = [...document.querySelectorAll("svg.chart-svg .chart-value")].map(textOf);
  assert.deepEqual(values, ["12.4% (31/250)", "16.7% (20/120)", "5.0% (2/40)"]);
});

Deno.test("RateChart's table lists each category with its counts, rate and interval", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const table = document.querySelector("figure details table");
  assert.ok(table);
  assert.equal(textOf(table.querySelector("caption")), RATE_PROPS.title);
  assert.deepEqual([...table.querySelectorAll("thead th")].map(textOf), [
    "Category",
    "Records",
    "Strokes",
    "Rate",
    "95% CI",
    "Published dataset",
  ]);
  const rows = [...table.querySelectorAll("tbody tr")];
  assert.equal(rows.length, ROWS.length);
  const ci = wilsonInterval(20, 120);
  assert.deepEqual([...rows[1]?.children ?? []].map(textOf), [
    "Self-employed",
    "120",
    "20",
    formatPercent(ci.rate),
    `${formatPercent(ci.low)}–${formatPercent(ci.high)}`,
    "7.9%",
  ]);
  assert.equal(rows[1]?.querySelector("th a")?.getAttribute("href"), ROWS[1]?.href);
  assert.equal(textOf(rows[0]?.lastElementChild), "–");
});

Deno.test("A category with no records says so instead of drawing a bar", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const row = document.querySelectorAll("svg.chart-svg .chart-row")[2];
  assert.ok(row);
  assert.equal(row.querySelector(".chart-bar"), null);
  assert.equal(textOf(row.querySelector(".chart-none")), "no records");
  assert.equal(row.getAttribute("aria-label"), "Never worked: no records; Published dataset 0.0%");
  const cells = [...document.querySelectorAll("tbody tr")[2]?.children ?? []].map(textOf);
  assert.deepEqual(cells, ["Never worked", "0", "0", "no records", "0.0%"]);
});

Deno.test("RateChart writes no style attribute, style element, script or handler", async () => {
  const { document } = await rateChart(RATE_PROPS);
  assert.deepEqual(cspProblems(document), []);
});

Deno.test("RateChart's title is a heading that names the figure and the SVG", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const figure = document.querySelector("figure");
  const heading = document.querySelector("figcaption h3");
  assert.equal(textOf(heading), RATE_PROPS.title);
  assert.equal(figure?.getAttribute("id"), "work");
  assert.equal(figure?.getAttribute("aria-labelledby"), heading?.getAttribute("id"));
  assert.equal(
    document.querySelector("svg.chart-svg")?.getAttribute("aria-labelledby"),
    "work-title",
  );
  assert.equal(textOf(document.querySelector("figcaption .chart-desc")), RATE_PROPS.description);
  const heading2 = (await rateChart({ ...RATE_PROPS, headingLevel: 2 })).document;
  assert.equal(textOf(heading2.querySelector("figcaption h2")), RATE_PROPS.title);
});

Deno.test("RateChart escapes a label like <script> and shows it as text", async () => {
  const { html, document } = await rateChart(RATE_PROPS);
  assert.ok(!html.includes("<script>"));
  assert.equal(document.querySelectorAll("script").length, 0);
  assert.equal(textOf(document.querySelectorAll("tbody th")[3]), "<script>alert(1)</script>");
  assert.match(
    document.querySelectorAll("svg.chart-svg .chart-row")[3]?.getAttribute("aria-label") ?? "",
    /^<script>alert\(1\)<\/script>: [\d.]+%, 2 strokes/,
  );
});

Deno.test("RateChart names the reference marker in its legend when a row has one", async () => {
  const { document } = await rateChart(RATE_PROPS);
  const legend = [...document.querySelectorAll(".chart-legend li")].map(textOf);
  assert.deepEqual(legend, ["Your records", "95% confidence interval", "Published dataset"]);
  assert.equal(document.querySelectorAll("svg.chart-svg .chart-ref").length, 2);
  const plain = (await rateChart({ ...RATE_PROPS, rows: [{ label: "All", events: 1, total: 9 }] }))
    .document;
  assert.equal(plain.querySelectorAll(".chart-legend li").length, 2);
  assert.equal(plain.querySelectorAll("svg.chart-svg .chart-ref, thead th:nth-child(6)").length, 0);
});

Deno.test("RateChart's axis runs from 0 to a nice value just above the highest bound", async () => {
  const ticks = async (rows: RateRow[]) =>
    [...(await rateChart({ ...RATE_PROPS, rows })).document.querySelectorAll(".chart-tick")]
      .map(textOf);
  assert.deepEqual(await ticks(ROWS), ["0%", "10%", "20%", "30%"]);
  assert.deepEqual(await ticks([{ label: "All", events: 249, total: 5110 }]), [
    "0%",
    "2%",
    "4%",
    "6%",
  ]);
  assert.deepEqual(await ticks([{ label: "All", events: 5, total: 10 }]), [
    "0%",
    "20%",
    "40%",
    "60%",
    "80%",
  ]);
  assert.deepEqual(await ticks([{ label: "All", events: 10, total: 10 }]), [
    "0%",
    "25%",
    "50%",
    "75%",
    "100%",
  ]);
});

Deno.test("RateChart without rows says there is nothing to show", async () => {
  const { document } = await rateChart({ ...RATE_PROPS, rows: [] });
  assert.equal(textOf(document.querySelector(".chart-empty")), "No categories to show.");
  assert.equal(document.querySelectorAll("svg.chart-svg, table").length, 0);
});

Deno.test("ForestPlot's log axis has nice ticks around the data and a line at 1", async () => {
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms: TERMS });
  const ticks = [...document.querySelectorAll(".chart-tick")].map(textOf);
  assert.deepEqual(ticks, ["0.5", "1", "2", "5", "10"]);
  assert.equal(document.querySelectorAll("svg.chart-svg .chart-null").length, 1);
  assert.equal(textOf(document.querySelector(".chart-tick-null")), "1");
  assert.equal(
    document.querySelectorAll("svg.chart-svg .chart-row .chart-square").length,
    TERMS.length,
  );
});

Deno.test("ForestPlot labels only the decades when the terms span many of them", async () => {
  const wide = [...TERMS, { label: "Wide", oddsRatio: 0.3, low: 0.004, high: 40, pValue: 0.9 }];
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms: wide });
  assert.deepEqual([...document.querySelectorAll(".chart-tick")].map(textOf), [
    "0.01",
    "0.1",
    "1",
    "10",
    "100",
  ]);
});

Deno.test("An interval past the end of the forest plot's axis ends in an arrow", async () => {
  const terms = [...TERMS, { label: "Sparse", oddsRatio: 2, low: 0.001, high: 500, pValue: 0.5 }];
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms });
  const rows = [...document.querySelectorAll("svg.chart-svg .chart-row")];
  assert.deepEqual(rows.map((row) => row.querySelectorAll(".chart-arrow").length), [0, 0, 0, 2]);
  assert.ok(
    textOf(document.querySelector(".chart-legend")).includes("Interval runs past the axis"),
  );
  const inside = (await forestPlot({ id: "risk", title: "Odds ratios", terms: TERMS })).document;
  assert.equal(inside.querySelectorAll(".chart-arrow").length, 0);
});

Deno.test("ForestPlot's table shows each term's odds ratio, interval and p", async () => {
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms: TERMS });
  assert.deepEqual([...document.querySelectorAll("thead th")].map(textOf), [
    "Term",
    "Odds ratio",
    "95% CI",
    "p",
  ]);
  const rows = [...document.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map(textOf));
  assert.deepEqual(rows, [
    ["Hypertension vs No", "3.70", "2.60–5.20", "< 0.001"],
    ["Rural vs Urban", "0.95", "0.72–1.25", "0.700"],
    ["Heart disease", "1.38", "0.91–2.10", "0.032"],
  ]);
  const names = [...document.querySelectorAll("svg.chart-svg .chart-row")].map((g) =>
    g.getAttribute("aria-label")
  );
  assert.equal(
    names[0],
    "Hypertension compared with No: odds ratio 3.70 (95% CI 2.60 to 5.20), p < 0.001",
  );
  assert.match(names[2] ?? "", /, p = 0\.032$/);
});

Deno.test("ForestPlot writes no style attribute, style element, script or handler", async () => {
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms: TERMS });
  assert.deepEqual(cspProblems(document), []);
  assert.equal(textOf(document.querySelector("figcaption h3")), "Odds ratios");
});

Deno.test("RateChart cuts a long label in the SVG but keeps it whole in the table", async () => {
  const label = "A category label far too long for the label column";
  const { document } = await rateChart({ ...RATE_PROPS, rows: [{ label, events: 1, total: 3 }] });
  const drawn = textOf(document.querySelector("svg.chart-svg .chart-label"));
  assert.ok(drawn.endsWith("…") && label.startsWith(drawn.slice(0, -1)), drawn);
  assert.equal(textOf(document.querySelector("tbody th")), label);
  assert.match(
    document.querySelector("svg.chart-svg .chart-row")?.getAttribute("aria-label") ?? "",
    /^A category label far too long for the label column: /,
  );
  for (const name of ["Self-employed", "formerly smoked", "Formerly smoked", "Government job"]) {
    const rows = [{ label: name, events: 1, total: 3 }];
    const chart = (await rateChart({ ...RATE_PROPS, rows })).document;
    assert.equal(textOf(chart.querySelector("svg.chart-svg .chart-label")), name);
  }
});

Deno.test("ForestPlot draws no square for a term it cannot place on the axis", async () => {
  const terms = [
    ...TERMS,
    { label: "Off the axis", oddsRatio: 300, low: 150, high: 900, pValue: 0.01 },
    { label: "Not estimable", oddsRatio: Number.NaN, low: Number.NaN, high: Number.NaN, pValue: 1 },
  ];
  const { document } = await forestPlot({ id: "risk", title: "Odds ratios", terms });
  const rows = [...document.querySelectorAll("svg.chart-svg .chart-row")];
  assert.equal(rows[3]?.querySelector(".chart-square"), null);
  assert.equal(rows[3]?.querySelectorAll(".chart-arrow").length, 1);
  assert.equal(rows[4]?.getAttribute("aria-label"), "Not estimable: not estimable");
  assert.equal(rows[4]?.querySelector(".chart-ci"), null);
});
