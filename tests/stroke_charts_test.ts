/** The run chart and the Grotta chart, read through a DOM: SVG title and description, tables. */
import assert from "node:assert/strict";
import { jsx } from "hono/jsx";
import { GrottaChart, type GrottaChartProps } from "../components/stroke/GrottaChart.tsx";
import { RunChart, type RunChartProps } from "../components/stroke/RunChart.tsx";
import { MRS_GRADES } from "../lib/stroke/admission_fields.ts";
import { forSharing } from "../lib/stroke/small_numbers.ts";
import { qualityIndicators } from "../lib/stroke/quality_indicators.ts";
import { syntheticAdmissions } from "../lib/stroke/synthetic_admissions.ts";
import { type Dom, type DomElement, parseDom, textOf } from "./helpers/html.ts";

async function render(element: ReturnType<typeof jsx>): Promise<Dom> {
  return parseDom(await element.toString());
}
const runChart = (props: RunChartProps) => render(jsx(RunChart, props));
const grottaChart = (props: GrottaChartProps) => render(jsx(GrottaChart, props));

/** The SVG's accessible name and description, from the elements `aria-labelledby` names. */
function svgLabel(dom: Dom, svg: DomElement): string[] {
  const ids = svg.getAttribute("aria-labelledby")!.split(" ");
  return ids.map((id) => {
    const element = dom.find(`#${id}`);
    assert.ok(element, `aria-labelledby names #${id}, which is missing`);
    return textOf(element);
  });
}

/** Attributes and elements a strict CSP would block. */
function cspProblems(dom: Dom): string[] {
  const problems: string[] = [];
  for (const el of dom.all("*")) {
    if (el.hasAttribute("style")) problems.push(`style on <${el.localName}>`);
    for (const name of el.getAttributeNames()) {
      if (name.startsWith("on")) problems.push(`${name} on <${el.localName}>`);
    }
  }
  return [...problems, ...dom.all("style, script").map((el) => `<${el.localName}>`)];
}

const MONTHS: RunChartProps["months"] = [
  { month: "2026-01", admissions: 20, door_to_needle_median: 48, door_to_needle_n: 6 },
  { month: "2026-02", admissions: 18, door_to_needle_median: 72.5, door_to_needle_n: 5 },
  { month: "2026-03", admissions: 9, door_to_needle_median: null, door_to_needle_n: 0 },
  { month: "2026-04", admissions: 22, door_to_needle_median: 55, door_to_needle_n: 7 },
  { month: "2026-05", admissions: 25, door_to_needle_median: 41, door_to_needle_n: 8 },
];

Deno.test("RunChart draws an SVG named by its <title> and described by its <desc>", async () => {
  const dom = await runChart({ id: "dtn", months: MONTHS });
  const svg = dom.get("figure#dtn svg.chart-svg");
  assert.equal(svg.getAttribute("role"), "img");
  const [title, desc] = svgLabel(dom, svg);
  assert.equal(title, "Door-to-needle time by month");
  assert.equal(dom.get("svg > title").id, svg.getAttribute("aria-labelledby")!.split(" ")[0]);
  assert.ok(dom.find("svg > desc"));
  assert.match(desc!, /Jan 2026 to May 2026/);
  assert.match(desc!, /3 of 4 months with a median within the 60-minute target/);
  assert.match(desc!, /1 month has no median to show/);
  assert.equal(dom.text("figure#dtn h3"), "Door-to-needle time by month");
  assert.deepEqual(cspProblems(dom), []);
});

Deno.test("RunChart shows a point per month with a median, a gap where there is none, and the 60-minute line", async () => {
  const dom = await runChart({ id: "dtn", months: MONTHS });
  const points = dom.all("svg.chart-svg circle.run-point");
  assert.equal(points.length, 4);
  assert.deepEqual(points.map((p) => textOf(p.querySelector("title"))), [
    "Jan 2026: 48 min",
    "Feb 2026: 73 min",
    "Apr 2026: 55 min",
    "May 2026: 41 min",
  ]);
  assert.equal(dom.all("circle.run-point-over").length, 1, "February is over the target");
  const path = dom.get("svg.chart-svg path.run-line").getAttribute("d")!;
  assert.equal(path.match(/M/g)?.length, 2, "the line breaks at March");
  const target = dom.get("svg.chart-svg line.run-target");
  assert.equal(target.getAttribute("y1"), target.getAttribute("y2"));
  assert.equal(dom.text("svg.chart-svg text.run-target-label"), "60");
  // The target line sits between the points for 55 and 72.5 minutes.
  const y = (i: number) => Number(points[i]!.getAttribute("cy"));
  const targetY = Number(target.getAttribute("y1"));
  assert.ok(y(2) > targetY && y(1) < targetY, "higher minutes are drawn higher");
});

Deno.test("RunChart has a table with every month, shared counts as they are", async () => {
  const months = [...MONTHS, {
    month: "2026-06",
    admissions: "<5",
    door_to_needle_median: null,
    door_to_needle_n: "<5",
  }];
  const dom = await runChart({ id: "dtn", months, title: "Door to needle <b>2026</b>" });
  const table = dom.get("figure#dtn details table");
  assert.equal(textOf(table.querySelector("caption")), "Door to needle <b>2026</b>");
  const rows = [...table.querySelectorAll("tbody tr")].map((tr) =>
    [...tr.children].map((cell) => textOf(cell))
  );
  assert.deepEqual(rows, [
    ["Jan 2026", "20", "6", "48 min"],
    ["Feb 2026", "18", "5", "73 min"],
    ["Mar 2026", "9", "0", "–"],
    ["Apr 2026", "22", "7", "55 min"],
    ["May 2026", "25", "8", "41 min"],
    ["Jun 2026", "<5", "<5", "–"],
  ]);
  assert.equal(dom.all("b").length, 0, "the title is text, not markup");
});

Deno.test("RunChart with no months says so and draws nothing", async () => {
  const dom = await runChart({ id: "dtn", months: [] });
  assert.equal(dom.all("svg.chart-svg").length, 0);
  assert.equal(dom.text(".chart-empty"), "No months to show.");
  assert.equal(dom.all("table").length, 0);
});

Deno.test("RunChart draws the months of real indicators, for sharing too", async () => {
  const patients = Array.from(
    { length: 2000 },
    (_, i) => ({ id: i + 1, age: 70, stroke: 1 as const }),
  );
  const admissions = [
    ...syntheticAdmissions(patients, { seed: 4, now: new Date("2026-07-01T00:00:00Z") }),
  ]
    .map((a) => a.admission);
  const q = qualityIndicators(admissions, {
    from: "2025-07-01",
    to: "2026-06-30",
    zone: "Europe/London",
  });
  const dom = await runChart({ id: "dtn", months: q.by_month });
  assert.equal(dom.all("tbody tr").length, 12);
  assert.equal(
    dom.all("svg.chart-svg circle.run-point").length,
    q.by_month.filter((m) => m.door_to_needle_median !== null).length,
  );
  const shared = await runChart({ id: "dtn", months: forSharing(q).by_month });
  assert.equal(shared.all("tbody tr").length, 12);
});

const GROTTA: GrottaChartProps = {
  id: "grotta",
  thrombolysed: [10, 12, 8, 6, 4, 2, 8],
  notThrombolysed: [30, 40, 35, 30, 25, 15, 25],
};

Deno.test("GrottaChart draws an SVG named by its <title> and described by its <desc>", async () => {
  const dom = await grottaChart(GROTTA);
  const svg = dom.get("figure#grotta svg.chart-svg");
  assert.equal(svg.getAttribute("role"), "img");
  const [title, desc] = svgLabel(dom, svg);
  assert.equal(title, "Modified Rankin Scale at 90 days");
  assert.match(desc!, /Thrombolysed \(50 patients\): mRS 0 20%, mRS 1 24%/);
  assert.match(desc!, /Not thrombolysed \(200 patients\): mRS 0 15%/);
  assert.deepEqual(cspProblems(dom), []);
});

Deno.test("GrottaChart splits each bar into mRS 0 to 6 in proportion, labelled in words and numbers", async () => {
  const dom = await grottaChart({ ...GROTTA, thrombolysed: [10, 12, 8, 0, 4, 2, 8] });
  const legend = dom.all(".grotta-legend li").map(textOf);
  assert.deepEqual(legend, [
    "0 No symptoms",
    "1 No significant disability",
    "2 Slight disability",
    "3 Moderate disability",
    "4 Moderately severe disability",
    "5 Severe disability",
    "6 Dead",
  ]);
  const segments = dom.all("svg.chart-svg rect[class^='grotta-']");
  assert.equal(segments.length, 6 + 7, "no segment for a grade nobody has");
  const lysed = segments.slice(0, 6);
  assert.deepEqual(lysed.map((r) => r.getAttribute("class")), [
    "grotta-0",
    "grotta-1",
    "grotta-2",
    "grotta-4",
    "grotta-5",
    "grotta-6",
  ]);
  const widths = lysed.map((r) => Number(r.getAttribute("width")));
  const full = widths.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(widths[0]! / full - 10 / 44) < 1e-9);
  assert.ok(Math.abs(widths[5]! / full - 8 / 44) < 1e-9);
  const notLysed = segments.slice(6).map((r) => Number(r.getAttribute("width")));
  assert.ok(Math.abs(notLysed.reduce((a, b) => a + b, 0) - full) < 1e-9, "both bars are 100%");
  assert.equal(
    textOf(lysed[3]!.querySelector("title")),
    "mRS 4 (Moderately severe disability): 4 (9%)",
  );
  assert.ok(dom.all("text.grotta-text-0").length >= 1, "the grade is written on its segment");
});

Deno.test("GrottaChart has a table of counts and shares for each group", async () => {
  const dom = await grottaChart(GROTTA);
  const head = dom.all("table thead th").map(textOf);
  assert.deepEqual(head, ["Group", ...MRS_GRADES.map((g) => `mRS ${g}`), "Total"]);
  const rows = dom.all("table tbody tr").map((tr) => [...tr.children].map((c) => textOf(c)));
  assert.deepEqual(rows[0], [
    "Thrombolysed",
    "10 20.0%",
    "12 24.0%",
    "8 16.0%",
    "6 12.0%",
    "4 8.0%",
    "2 4.0%",
    "8 16.0%",
    "50",
  ]);
  assert.equal(rows[1]![0], "Not thrombolysed");
  assert.equal(rows[1]!.at(-1), "200");
});

Deno.test("GrottaChart draws no bar for a group with hidden small counts or no mRS", async () => {
  const dom = await grottaChart({
    id: "grotta",
    thrombolysed: [0, "<5", 6, 0, 0, 0, "<5"],
    notThrombolysed: [0, 0, 0, 0, 0, 0, 0],
  });
  assert.equal(dom.all("svg.chart-svg rect[class^='grotta-']").length, 0);
  const notes = dom.all("text.chart-none").map(textOf);
  assert.deepEqual(notes, ["Not shown: counts under 5 are not shared", "No 90-day mRS recorded"]);
  const [, desc] = svgLabel(dom, dom.get("svg.chart-svg"));
  assert.match(desc!, /Thrombolysed: not shown, some counts are too small to share/);
  const first = dom.all("table tbody tr")[0]!;
  assert.deepEqual([...first.children].map((c) => textOf(c)), [
    "Thrombolysed",
    "0",
    "<5",
    "6",
    "0",
    "0",
    "0",
    "<5",
    "–",
  ]);
});
