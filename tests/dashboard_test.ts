/**
 * `/dashboard` as the server renders it, on every patient backend: a chart with a title and a
 * table per field, the published dataset beside the user's rates, bars that link to the
 * filtered list, the quality panel and the risk factors (or why there are none).
 */
import assert from "node:assert/strict";
import type { PatientFields } from "../lib/patient_fields.ts";
import { apiTest } from "./helpers/api.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";

const TITLES = [
  "Stroke rate by age",
  "Stroke rate by gender",
  "Stroke rate by hypertension",
  "Stroke rate by heart disease",
  "Stroke rate by smoking status",
  "Stroke rate by average glucose level",
  "Stroke rate by BMI",
  "Stroke rate by work type",
  "Stroke rate by residence",
  "Stroke rate by marital status (ever married)",
];

/** 200 made-up records with enough strokes for the model, and one planted duplicate. */
function cohort(): PatientFields[] {
  const records = samplePatients(200, 1).map((p, i) => ({
    ...p,
    stroke: (i % 7 === 0 || (p.age > 60 && i % 3 === 0) ? 1 : 0) as 0 | 1,
  }));
  return [...records, { ...records[10]!, id: 500 }];
}

async function page(browser: { get(path: string): Promise<Response> }, path: string) {
  const res = await browser.get(path);
  return { status: res.status, dom: parseDom(await res.text()) };
}

/** The chart whose title is `title`. */
function chart(dom: Dom, title: string) {
  const figure = dom.all("figure.chart").find((f) =>
    textOf(f.querySelector(".chart-title")) === title
  );
  assert.ok(figure, `a chart titled "${title}"`);
  return figure;
}

apiTest(
  "the dashboard shows a titled chart and table per field, the published dataset filtered alike",
  async ({ patients, user, browser }) => {
    await patients.insertMany(user.id, cohort());
    const session = await browser();
    const { status, dom } = await page(session, "/dashboard?gender=Female&sort=age&page=3");
    assert.equal(status, 200, "a list view's page and sort are ignored");
    assert.equal(dom.get('nav[aria-label="Main"] a[href="/dashboard"]').textContent, "Dashboard");
    assert.deepEqual(dom.all("figure.rate-chart .chart-title").map(textOf), TITLES);
    for (const title of TITLES) {
      const figure = chart(dom, title);
      assert.equal(
        figure.querySelector("svg.chart-svg")?.getAttribute("aria-labelledby"),
        figure.querySelector(".chart-title")?.id,
      );
      assert.equal(textOf(figure.querySelector("table caption")), title);
      const head = [...figure.querySelectorAll("thead th")].map(textOf);
      // The published counts come one field at a time: "gender: Female" applies to its chart only.
      assert.equal(
        head.at(-1) === "Published",
        title === "Stroke rate by gender",
        `${title}: the published dataset's rates only where the same filter applies`,
      );
    }
    assert.match(
      dom.text(".chart-note"),
      /same filter in the summary and in “stroke rate by gender” only/,
    );
    const summary = dom.all(".insight-summary div").map(textOf);
    assert.ok(summary.includes("Published dataset, same filter4.7% of 2,994"), summary.join(" | "));
    const female = 100; // every other record of the cohort (the duplicate of record 11 is male)
    assert.equal(textOf(dom.get(".insight-summary dd")), String(female));
    const gender = chart(dom, "Stroke rate by gender");
    const rows = [...gender.querySelectorAll("tbody tr")].map((tr) =>
      [...tr.querySelectorAll("th, td")].map(textOf).join(" ")
    );
    assert.equal(rows[0], "Male 0 0 no records –", "no published rate for men among women");
    assert.match(rows[1]!, /^Female 100 \d+ .* 4\.7%$/, "the published rate for women");
    const links = [...gender.querySelectorAll("a.chart-link")].map((a) => a.getAttribute("href"));
    assert.deepEqual(links, ["/patients?gender=Female"]);
    const age = [...chart(dom, "Stroke rate by age").querySelectorAll("a.chart-link")]
      .map((a) => a.getAttribute("href"));
    assert.ok(age.includes("/patients?gender=Female&age_min=40&age_max=59.99"), age.join(" "));
    const hypertension = chart(dom, "Stroke rate by hypertension");
    assert.ok(
      [...hypertension.querySelectorAll("a.chart-link")].some((a) =>
        a.getAttribute("href") === "/patients?gender=Female&hypertension=1" &&
        /^Yes: [\d.]+%, \d+ strokes in \d+ records/.test(a.getAttribute("aria-label") ?? "")
      ),
    );
    assert.equal(dom.get("#filter-gender option[selected]").getAttribute("value"), "Female");
    assert.equal(dom.find("#filter-per_page"), null, "no page size on the dashboard");
    assert.match(dom.text(".dashboard-filters summary"), /^Filters: gender: Female$/);
  },
);

apiTest(
  "the dashboard lists possible duplicates and the risk factors as associations",
  async ({ patients, user, browser }) => {
    await patients.insertMany(user.id, cohort());
    const { dom } = await page(await browser(), "/dashboard");
    const duplicates = dom.all(".duplicate-list a").map((a) => a.getAttribute("href"));
    assert.deepEqual(duplicates, ["/patients/11", "/patients/500"]);
    assert.match(dom.text("#quality-title + p"), /201 records/);
    assert.match(dom.text(".risk-note"), /associations .* not a diagnosis/);
    const forest = chart(dom, "Odds ratios of stroke");
    const terms = [...forest.querySelectorAll("tbody th")].map(textOf);
    assert.ok(terms.includes("Age per 10 years"), terms.join(" | "));
    assert.ok(terms.includes("Hypertension vs No"), terms.join(" | "));
    assert.equal(dom.all(".calibration-table tbody tr").length, 10);
    assert.match(dom.text(".risk-warnings"), /unknown BMI were left out/);
  },
);

apiTest(
  "the dashboard says plainly why there is no model, and shows an empty account",
  async ({ patients, user, browser }) => {
    const session = await browser();
    const empty = await page(session, "/dashboard");
    assert.equal(empty.status, 200);
    assert.match(empty.dom.text(".insight-empty"), /No records match yet/);
    assert.match(
      empty.dom.text(".insight-refused"),
      /cannot be fitted.*0 stroke events and 0 without/,
    );
    await patients.insertMany(user.id, samplePatients(30, 1));
    const few = await page(session, "/dashboard");
    assert.equal(few.dom.all("figure.rate-chart").length, 10);
    assert.match(few.dom.text(".insight-refused"), /At least 10 stroke events/);
    assert.equal((await page(session, "/dashboard?hypertension=yes")).status, 400);
  },
);

apiTest("the dashboard asks a logged-out visitor to log in first", async ({ app }) => {
  const res = await app.request("/dashboard?stroke=1");
  assert.equal(res.status, 303);
  assert.equal(
    res.headers.get("Location"),
    `/login?next=${encodeURIComponent("/dashboard?stroke=1")}`,
  );
});

apiTest(
  "the dashboard compares like with like: all of the published dataset without a filter, none beside a filter it cannot take",
  async ({ patients, user, browser }) => {
    await patients.insertMany(user.id, cohort());
    const session = await browser();
    const all = (await page(session, "/dashboard")).dom;
    const published = all.all("figure.rate-chart thead th:last-child").map(textOf);
    assert.deepEqual(published, TITLES.map(() => "Published"), "every chart, unfiltered");
    assert.ok(all.all(".insight-summary dt").map(textOf).includes("Published dataset"));
    for (const path of ["/dashboard?age_min=60", "/dashboard?gender=Female&stroke=1"]) {
      const { dom } = await page(session, path);
      assert.equal(
        dom.all("figure.rate-chart thead th:last-child").map(textOf)
          .filter((t) => t === "Published").length,
        0,
        `${path}: no published rates`,
      );
      assert.equal(dom.all(".chart-ref").length, 0, `${path}: no published markers`);
      assert.ok(!dom.all(".insight-summary dt").map(textOf).some((t) => t.startsWith("Published")));
      assert.match(
        dom.text(".chart-note"),
        /not shown beside these records: it is published as counts of one field at a time/,
      );
    }
  },
);

apiTest(
  "every rate chart of the dashboard shares one axis, which a group under 10 records does not set",
  async ({ patients, user, browser }) => {
    // One "Other" record with a stroke: its interval reaches far above everyone else's.
    await patients.insertMany(user.id, [
      ...cohort(),
      { ...samplePatients(1, 900)[0]!, gender: "Other", stroke: 1 },
    ]);
    const { dom } = await page(await browser(), "/dashboard");
    const axes = dom.all("figure.rate-chart svg.chart-svg").map((svg) =>
      [...svg.querySelectorAll(".chart-tick")].map(textOf).join(" ")
    );
    assert.equal(new Set(axes).size, 1, `one axis: ${[...new Set(axes)].join(" / ")}`);
    const top = Number(/([\d.]+)%$/.exec(axes[0]!)?.[1]);
    assert.ok(top < 80, `the axis ends at ${top}%, not where the single "Other" record puts it`);
    const gender = chart(dom, "Stroke rate by gender");
    const arrows = gender.querySelectorAll("svg.chart-svg .chart-arrow").length;
    assert.equal(arrows, 1, "Other's interval runs past the axis, with an arrow");
  },
);
