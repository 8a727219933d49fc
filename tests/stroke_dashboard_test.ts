/**
 * The dashboard's stroke-care section, on every patient backend: its indicators (times with
 * median and quartiles, proportions with numerator, denominator, rate and 95 % Wilson
 * interval), run chart and Grotta chart show the numbers `GET /api/quality_indicators` answers
 * for the same period and filters; `for_sharing=true` shows small counts as `<5` and leaves out
 * what is built on them; a period that cannot be read is said at its field; the CSV link is the
 * API's for the view.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { formatPercent, wilsonInterval } from "../lib/intervals.ts";
import { type ApiUser, loadDocument, registerApiUser } from "./helpers/api.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { patientBackends } from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { teamRegistry } from "./helpers/registries.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const MIN = 60_000;

/** An admission arriving at `arrival` (UTC), its other times as minutes after it. */
function admission(
  arrival: string,
  fields: {
    type?: string;
    onset?: number;
    imaging?: number;
    needle?: number;
    puncture?: number;
    nihss?: number;
    destination?: string;
    mrsDischarge?: number;
    mrs90?: number;
  },
) {
  const at = new Date(arrival).getTime();
  const plus = (m: number | undefined) =>
    m === undefined ? null : new Date(at + m * MIN).toISOString();
  const died = fields.destination === "died";
  return {
    stroke_type: fields.type ?? "ischaemic",
    last_known_well_at: fields.onset === undefined ? null : plus(-fields.onset),
    arrival_at: new Date(at).toISOString(),
    imaging_at: plus(fields.imaging),
    thrombolysis_at: plus(fields.needle),
    thrombectomy_at: plus(fields.puncture),
    nihss_arrival: fields.nihss ?? null,
    discharge_at: fields.destination ? plus(6 * 24 * 60) : null,
    discharge_destination: fields.destination ?? null,
    mrs_discharge: died ? 6 : fields.mrsDischarge ?? null,
    mrs_90d: died ? 6 : fields.mrs90 ?? null,
  };
}

/** Patient id → admissions: Feb 2025 (six thrombolysed) and Mar 2025 (a few). */
const ADMISSIONS: [number, ReturnType<typeof admission>][] = [
  [
    1,
    admission("2025-02-03T08:00:00Z", {
      needle: 30,
      imaging: 12,
      onset: 95,
      nihss: 9,
      destination: "home",
      mrsDischarge: 1,
      mrs90: 0,
    }),
  ],
  [
    1,
    admission("2025-02-07T10:00:00Z", {
      needle: 45,
      imaging: 20,
      onset: 120,
      nihss: 14,
      destination: "rehabilitation",
      mrsDischarge: 3,
      mrs90: 2,
    }),
  ],
  [
    2,
    admission("2025-02-11T12:00:00Z", {
      needle: 52,
      imaging: 25,
      puncture: 80,
      nihss: 18,
      destination: "care_home",
      mrsDischarge: 4,
      mrs90: 4,
    }),
  ],
  [
    2,
    admission("2025-02-15T13:00:00Z", {
      needle: 61,
      imaging: 30,
      nihss: 7,
      destination: "home",
      mrsDischarge: 1,
      mrs90: 1,
    }),
  ],
  [
    3,
    admission("2025-02-19T14:00:00Z", { needle: 75, imaging: 41, nihss: 22, destination: "died" }),
  ],
  [
    3,
    admission("2025-02-23T15:00:00Z", {
      needle: 90,
      imaging: 33,
      onset: 200,
      destination: "home",
      mrsDischarge: 2,
    }),
  ],
  [
    4,
    admission("2025-02-26T16:00:00Z", {
      imaging: 18,
      nihss: 3,
      destination: "home",
      mrsDischarge: 0,
      mrs90: 0,
    }),
  ],
  [
    4,
    admission("2025-03-02T09:00:00Z", {
      type: "haemorrhagic",
      imaging: 15,
      nihss: 12,
      destination: "other_hospital",
      mrsDischarge: 4,
      mrs90: 5,
    }),
  ],
  [
    1,
    admission("2025-03-09T09:00:00Z", {
      type: "TIA",
      imaging: 50,
      nihss: 0,
      destination: "home",
      mrsDischarge: 0,
      mrs90: 0,
    }),
  ],
  [2, admission("2025-03-16T09:00:00Z", { needle: 40, imaging: 15, nihss: 10 })],
];

interface Ctx {
  app: TestApp;
  ann: ApiUser;
  browser: TestBrowser;
}

function dashboardTest(name: string, fn: (ctx: Ctx) => Promise<void>) {
  for (const backend of patientBackends()) {
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      const dir = Deno.makeTempDirSync({ prefix: "spm-stroke-dashboard-" });
      const app = await createTestApp(
        { accounts: openAccountsDb(null, dir), patients: opened.value },
        testConfig({ dataDir: dir }),
      );
      try {
        await loadDocument(app);
        const ann = await registerApiUser(app, "ann@example.org");
        for (const id of [1, 2, 3, 4]) {
          const gender = id % 2 === 1 ? "Female" : "Male";
          const res = await ann.api("POST", "/api/patient_data", samplePatient({ id, gender }));
          assert.equal(res.status, 201, res.text);
        }
        for (const [id, body] of ADMISSIONS) {
          const res = await ann.api("POST", `/api/patient_data/${id}/admissions`, body);
          assert.equal(res.status, 201, res.text);
        }
        const browser = new TestBrowser(app);
        assert.equal((await browser.logIn(ann.email, PASSWORD)).status, 303);
        await fn({ app, ann, browser });
      } finally {
        await app.close();
        await opened.cleanup();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

/** The dashboard at `query`, parsed. */
async function dashboard(browser: TestBrowser, query = ""): Promise<{ status: number; dom: Dom }> {
  const res = await browser.get(`/dashboard${query}`);
  return { status: res.status, dom: parseDom(await res.text()) };
}

/** A table's body rows by their key: the cells' text. */
function rowsByKey(dom: Dom, table: string): Record<string, string[]> {
  return Object.fromEntries(
    dom.all(`${table} tbody tr`).map((tr) => [
      tr.getAttribute("data-key")!,
      [...tr.querySelectorAll("th, td")].map(textOf),
    ]),
  );
}

/** A count as the page writes it. */
const count = (n: number | string) => typeof n === "number" ? n.toLocaleString("en-US") : n;
/** Minutes as the page writes them: whole, or to one decimal. */
const minutes = (m: number | null) =>
  m === null ? "–" : Number.isInteger(m) ? count(m) : m.toFixed(1);

/** What the page's two tables should say for the API's answer (`raw`: without suppression). */
function expectedTables(api: Json, raw: Json) {
  const times: Record<string, string[]> = {};
  const rates: Record<string, string[]> = {};
  api.indicators.forEach((i: Json, index: number) => {
    if ("n" in i) {
      const quartiles = i.q1 === null ? "–" : `${minutes(i.q1)}–${minutes(i.q3)}`;
      times[i.key] = [i.label, count(i.n), minutes(i.median), quartiles];
      return;
    }
    const r = raw.indicators[index];
    const ci = i.rate === null ? "–" : (() => {
      const w = wilsonInterval(r.numerator, r.denominator);
      return `${formatPercent(w.low)}–${formatPercent(w.high)}`;
    })();
    rates[i.key] = [
      i.label,
      count(i.numerator),
      count(i.denominator),
      i.rate === null ? "–" : formatPercent(i.rate),
      ci,
    ];
  });
  return { times, rates };
}

dashboardTest(
  "the dashboard's indicators and charts are the API's, for a period and filters",
  async (
    { ann, browser },
  ) => {
    for (const query of ["", "?from=2025-02-01&to=2025-02-28", "?gender=Female"]) {
      const { status, dom } = await dashboard(browser, query);
      assert.equal(status, 200, query);
      const api = (await ann.api("GET", `/api/quality_indicators${query}`)).body;
      assert.equal(dom.text("#stroke-admissions"), count(api.admissions), query);
      const expected = expectedTables(api, api);
      assert.deepEqual(rowsByKey(dom, "#stroke-times"), expected.times, query);
      assert.deepEqual(rowsByKey(dom, "#stroke-rates"), expected.rates, query);

      // The run chart's table: a row per month with its median door-to-needle time.
      const months = dom.all("#door-to-needle table tbody tr").map((tr) =>
        [...tr.querySelectorAll("th, td")].map(textOf)
      );
      assert.deepEqual(
        months.map((m) => [m[1], m[3]]),
        api.by_month.map((m: Json) => [
          count(m.admissions),
          m.door_to_needle_median === null ? "–" : `${Math.round(m.door_to_needle_median)} min`,
        ]),
        query,
      );
      // The Grotta chart's table: the 90-day mRS counts of each group.
      const groups = dom.all("#grotta table tbody tr").map((tr) =>
        [...tr.querySelectorAll("td")].slice(0, 7).map((td) => textOf(td).split(" ")[0])
      );
      assert.deepEqual(groups, [
        api.mrs_90d.thrombolysed.map(count),
        api.mrs_90d.not_thrombolysed.map(count),
      ]);
    }

    // The numbers themselves, for February, against what the admissions above make.
    const { dom } = await dashboard(browser, "?from=2025-02-01&to=2025-02-28");
    assert.equal(dom.text("#stroke-admissions"), "7");
    assert.deepEqual(rowsByKey(dom, "#stroke-times").door_to_needle, [
      "Door to needle (minutes)",
      "6",
      "56.5",
      "46.8–71.5",
    ]);
    assert.deepEqual(rowsByKey(dom, "#stroke-rates").door_to_needle_60, [
      "Door to needle within 60 minutes",
      "3",
      "6",
      "50.0%",
      `${formatPercent(wilsonInterval(3, 6).low)}–${formatPercent(wilsonInterval(3, 6).high)}`,
    ]);
    assert.match(dom.text("#door-to-needle h3"), /Door-to-needle time by month/);
    assert.ok(dom.find("#door-to-needle svg[role=img]"), "the run chart is drawn");
    assert.match(dom.text("#door-to-needle"), /Target: 60 minutes/);
    assert.match(dom.text("#grotta h3"), /Modified Rankin Scale at 90 days/);

    // The CSV link is the API's, for the same view.
    const link = dom.get("#stroke-care a[download]").getAttribute("href")!;
    assert.equal(link, "/api/quality_indicators?from=2025-02-01&to=2025-02-28&format=csv");
    const csv = await browser.get(link);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("Content-Type") ?? "", /^text\/csv/);
    assert.match(await csv.text(), /^key,label,numerator/);

    // The period form keeps the filters and the period.
    const filtered = await dashboard(browser, "?gender=Female&from=2025-03-01");
    const form = filtered.dom.get("form.stroke-period");
    assert.equal(form.querySelector('input[name="gender"]')?.getAttribute("value"), "Female");
    assert.equal(form.querySelector('input[name="from"]')?.getAttribute("value"), "2025-03-01");
  },
);

dashboardTest(
  "for sharing, counts of 1 to 4 show as <5 and what is built on them is left out",
  async (
    { ann, browser },
  ) => {
    const query = "?from=2025-02-01&to=2025-02-28&for_sharing=true";
    const { status, dom } = await dashboard(browser, query);
    assert.equal(status, 200);
    const shared = (await ann.api("GET", `/api/quality_indicators${query}`)).body;
    const raw = (await ann.api("GET", "/api/quality_indicators?from=2025-02-01&to=2025-02-28"))
      .body;
    const expected = expectedTables(shared, raw);
    assert.deepEqual(rowsByKey(dom, "#stroke-times"), expected.times);
    assert.deepEqual(rowsByKey(dom, "#stroke-rates"), expected.rates);
    assert.ok(dom.get('input[name="for_sharing"]').hasAttribute("checked"));
    assert.match(dom.text("#stroke-care .lead"), /small numbers are suppressed/);

    const rates = rowsByKey(dom, "#stroke-rates");
    // 3 of 6 within an hour: both counts small, the rate and its interval left out.
    assert.deepEqual(rates.door_to_needle_60!.slice(1), ["<5", "6", "–", "–"]);
    // Thrombolysis: 6 of 7 ischaemic, shown as they are.
    assert.deepEqual(rates.thrombolysis_rate!.slice(1, 4), ["6", "7", "85.7%"]);
    const times = rowsByKey(dom, "#stroke-times");
    assert.deepEqual(times.door_to_puncture!.slice(1), ["<5", "–", "–"]);
    assert.deepEqual(times.door_to_needle!.slice(1), ["6", "56.5", "46.8–71.5"]);
    const groups = dom.all("#grotta table tbody tr td").map(textOf);
    assert.ok(groups.includes("<5"), "the Grotta table's small counts are suppressed");
    assert.ok(!groups.some((g) => g === "1" || g === "2"));
    // Without the option the same page shows every count.
    const plain = await dashboard(browser, "?from=2025-02-01&to=2025-02-28");
    assert.deepEqual(rowsByKey(plain.dom, "#stroke-rates").door_to_needle_60!.slice(1, 4), [
      "3",
      "6",
      "50.0%",
    ]);
  },
);

dashboardTest(
  "a period that cannot be read is said at its field, the rest of the page shown",
  async (
    { browser },
  ) => {
    const { status, dom } = await dashboard(browser, "?from=2025-13-01&to=2025-01-01");
    assert.equal(status, 422);
    assert.match(dom.text("#stroke-from-error"), /from must be a date written YYYY-MM-DD/);
    assert.equal(dom.get("#stroke-from").getAttribute("value"), "2025-13-01");
    assert.match(dom.text("#stroke-care"), /Correct the period to see the indicators/);
    assert.ok(dom.find("#rates-title"), "the rest of the dashboard is there");
    const empty = await dashboard(browser, "?from=2024-01-01&to=2024-01-31");
    assert.match(empty.dom.text("#stroke-care"), /No admissions arrived in this period/);
  },
);

dashboardTest(
  "in a team registry the section counts its admissions and its links stay in it",
  async (
    { ann, browser },
  ) => {
    const rid = await teamRegistry(ann);
    const created = await ann.api(
      "POST",
      `/api/patient_data?registry=${rid}`,
      samplePatient({ id: 1 }),
    );
    assert.equal(created.status, 201, created.text);
    const [, body] = ADMISSIONS[0]!;
    const res = await ann.api("POST", `/api/patient_data/1/admissions?registry=${rid}`, body);
    assert.equal(res.status, 201, res.text);
    const { status, dom } = await dashboard(browser, `?registry=${rid}`);
    assert.equal(status, 200);
    assert.equal(dom.text("#stroke-admissions"), "1", "the team's one admission, not Ann's ten");
    const form = dom.get("form.stroke-period");
    assert.equal(form.querySelector('input[name="registry"]')?.getAttribute("value"), rid);
    assert.equal(
      dom.get("#stroke-care a[download]").getAttribute("href"),
      `/api/quality_indicators?format=csv&registry=${rid}`,
    );
  },
);
