/**
 * `deno task seed` writes admissions too: every one valid by the admission rules (times in order,
 * none after `--now`, died ⇔ mRS 6), shaped as the README's ranges say (stroke types,
 * thrombolysis, door to needle, NIHSS, deaths, 90-day mRS), the same for the same `--seed` and
 * `--now` on every backend, and seen by the app: the dashboard's stroke care shows indicators and
 * the data-quality check counts them. A `--now` in the future is refused.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { openStores } from "../db/stores.ts";
import type { StoredAdmission } from "../lib/admission_store.ts";
import type { PatientRecord } from "../lib/patient_fields.ts";
import { ADMISSION_INPUT_FIELDS } from "../lib/stroke/admission_fields.ts";
import { validateAdmission } from "../lib/stroke/admission_rules.ts";
import { qualityIndicators } from "../lib/stroke/quality_indicators.ts";
import { seedCommand, type SeedSummary } from "../scripts/seed.ts";
import { assertIndicatorRanges, assertWithin } from "./helpers/admissions.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { dropMongoDatabase, mongoServer, uniqueName } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { type Dom, parseDom, textOf } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "seeded@example.org";

/** The README's ranges ("Synthetic data"), with room for a sample of about 1,100 strokes. */
const README_RANGES: readonly [indicator: string, low: number, high: number][] = [
  ["thrombolysis_rate", 0.1, 0.2],
  ["door_to_needle_60", 0.5, 0.8],
  ["door_to_needle", 40, 65],
  ["nihss_recorded", 0.85, 0.97],
  ["in_hospital_death", 0.05, 0.13],
  ["mrs_90d_good", 0.45, 0.65],
];
const NOW = "2026-01-15T12:00:00Z";

interface Seeded {
  summary: SeedSummary;
  patients: PatientRecord[];
  /** Every live admission, by patient then number. */
  admissions: StoredAdmission[];
  app: TestApp;
  browser: TestBrowser;
}

/** The admission's fields as its JSON carries them, for the rules and for comparing. */
function fieldsOf(admission: StoredAdmission): Record<string, unknown> {
  return Object.fromEntries(ADMISSION_INPUT_FIELDS.map((field) => {
    const value = admission[field];
    return [field, value instanceof Date ? value.toISOString() : value];
  }));
}

/**
 * Seeds `count` records with `--seed 3 --now NOW` into a fresh embedded store, or a fresh
 * MongoDB database, then opens the app on it with the seeded user logged in.
 */
async function withSeeded(
  count: number,
  backend: "embedded" | "mongodb",
  fn: (seeded: Seeded) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "spm-seed-admissions-" });
  const mongo = backend === "mongodb" ? mongoServer()! : null;
  const database = uniqueName("spm_test");
  const env: Record<string, string> = {
    DATA_DIR: dir,
    SESSION_SECRET: "seed-test-secret-that-is-long-enough",
    ...(mongo ? { MONGO_URI: mongo.uri, MONGO_DB: database } : {}),
  };
  const lines: string[] = [];
  const summaryPath = `${dir}/summary.json`;
  const args = ["--count", String(count), "--email", EMAIL, "--password", PASSWORD];
  let app: TestApp | null = null;
  try {
    const code = await seedCommand(
      [...args, "--seed", "3", "--now", NOW, "--summary", summaryPath],
      env,
      (line) => lines.push(line),
      (line) => lines.push(line),
    );
    assert.equal(code, 0, lines.join("\n"));
    assert.match(lines.join("\n"), /Seeded [\d,]+ records \(ids 1–[\d,]+\) and [\d,]+ admissions/);
    const summary: SeedSummary = JSON.parse(await Deno.readTextFile(summaryPath));
    const stores = openStores(loadConfig(env));
    app = await createTestApp(stores, testConfig({ dataDir: dir }));
    const userId = summary.user_id;
    const patients: PatientRecord[] = [];
    for await (const r of stores.patients.stream(userId, {}, { field: "id", direction: "asc" })) {
      patients.push(r);
    }
    const admissions: StoredAdmission[] = [];
    for await (const a of stores.patients.admissions.exportAll(userId)) admissions.push(a);
    const browser = new TestBrowser(app);
    assert.equal((await browser.logIn(EMAIL, PASSWORD)).status, 303);
    await fn({ summary, patients, admissions, app, browser });
  } finally {
    await app?.close();
    if (mongo) await dropMongoDatabase(mongo.uri, database);
    await Deno.remove(dir, { recursive: true });
  }
}

/** The stroke-care section's tables, by indicator key: the cells' text. */
function rows(dom: Dom, table: string): Record<string, string[]> {
  return Object.fromEntries(
    dom.all(`${table} tbody tr`).map((tr) => [
      tr.getAttribute("data-key")!,
      [...tr.querySelectorAll("th, td")].map(textOf),
    ]),
  );
}

/** The dashboard shows indicators of the seeded admissions, and data quality counts them. */
async function assertDashboardShows(browser: TestBrowser, admissions: number): Promise<void> {
  const res = await browser.get("/dashboard");
  assert.equal(res.status, 200);
  const dom = parseDom(await res.text());
  assert.equal(dom.text("#stroke-admissions"), admissions.toLocaleString("en-US"));
  const [, n, median, quartiles] = rows(dom, "#stroke-times").door_to_needle!;
  assert.ok(Number(n!.replace(/,/g, "")) > 0, `door-to-needle times: ${n}`);
  assert.notEqual(median, "–");
  assert.notEqual(quartiles, "–");
  const lysis = rows(dom, "#stroke-rates").thrombolysis_rate!;
  assert.match(lysis[3]!, /^\d+\.\d%$/, `thrombolysis rate: ${lysis.join(" | ")}`);
  for (const key of ["door_to_needle_60", "nihss_recorded", "in_hospital_death", "mrs_90d_good"]) {
    assert.match(rows(dom, "#stroke-rates")[key]![3]!, /^\d+\.\d%$/, key);
  }
  assert.ok(dom.find("#door-to-needle svg[role=img]"), "the run chart is drawn");
  assert.equal(dom.all("#grotta table tbody tr").length, 2, "the Grotta chart's table");
  assert.match(
    dom.text("#admission-checks"),
    new RegExp(`${admissions.toLocaleString("en-US")} admissions of these records`),
  );
}

Deno.test("deno task seed writes valid admissions shaped like a stroke unit's, shown on the dashboard", async () => {
  await withSeeded(20_000, "embedded", async ({ summary, patients, admissions, browser }) => {
    const before = new Date(NOW).getTime();
    const byType: Record<string, number> = {};
    for (const admission of admissions) {
      byType[admission.stroke_type] = (byType[admission.stroke_type] ?? 0) + 1;
      const checked = validateAdmission(fieldsOf(admission), "create", { now: new Date(NOW) });
      assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
      for (const time of [admission.discharge_at, admission.thrombolysis_at]) {
        assert.ok(time === null || time.getTime() <= before, "nothing after --now");
      }
      assert.equal(
        admission.discharge_destination === "died",
        admission.mrs_discharge === 6,
        "died ⇔ mRS 6",
      );
    }
    assert.deepEqual(byType, summary.admissions, "the summary counts what was stored");
    // Every stroke patient was admitted, with the record it was made for.
    const created = new Map(patients.map((p) => [p.id, p.created_at?.getTime()]));
    const admitted = new Set(admissions.map((a) => a.patient_id));
    assert.ok(patients.filter((p) => p.stroke === 1).every((p) => admitted.has(p.id)));
    assert.ok(
      admissions.every((a) => a.patient_created_at?.getTime() === created.get(a.patient_id)),
    );

    const within = assertWithin;
    const strokes = (byType.ischaemic ?? 0) + (byType.haemorrhagic ?? 0);
    assert.ok(strokes > 800, `${strokes} strokes`);
    within(strokes / admissions.length, 0.65, 0.85, "strokes among admissions");
    within(byType.ischaemic! / strokes, 0.8, 0.9, "ischaemic share of strokes");
    within(byType.haemorrhagic! / strokes, 0.1, 0.2, "haemorrhagic share of strokes");
    // The indicators of the strokes (TIAs and mimics, a quarter of admissions, fare better).
    const q = qualityIndicators(
      admissions.filter((a) => a.stroke_type === "ischaemic" || a.stroke_type === "haemorrhagic"),
      { from: null, to: null, zone: "UTC" },
    );
    assertIndicatorRanges(
      q,
      Object.fromEntries(README_RANGES.map(([key, low, high]) => [key, [low, high] as const])),
    );
    const nihss = admissions.filter((a) =>
      a.stroke_type === "ischaemic" && a.nihss_arrival !== null
    )
      .map((a) => a.nihss_arrival!).sort((a, b) => a - b);
    within(nihss[nihss.length >> 1]!, 3, 6, "median NIHSS of ischaemic strokes");

    await assertDashboardShows(browser, admissions.length);
  });
});

Deno.test("deno task seed gives the same admissions for the same --seed and --now on every backend", async () => {
  const runs: Record<string, unknown>[][] = [];
  const backends = mongoServer() ? ["embedded", "mongodb"] as const : ["embedded"] as const;
  for (const backend of backends) {
    await withSeeded(2_000, backend, async ({ admissions, browser }) => {
      assert.ok(admissions.length > 50, `${admissions.length} admissions`);
      runs.push(admissions.map((a) => ({ patient_id: a.patient_id, ...fieldsOf(a) })));
      const api = await browser.get("/api/quality_indicators");
      assert.equal(api.status, 200);
      assert.equal((await api.json()).admissions, admissions.length, "the API counts them all");
      await assertDashboardShows(browser, admissions.length);
    });
  }
  for (const run of runs.slice(1)) assert.deepEqual(run, runs[0], "the same admissions");
});

Deno.test("deno task seed refuses a --now in the future or not a time with its offset", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-seed-now-" });
  const env = { DATA_DIR: dir, SESSION_SECRET: "seed-test-secret-that-is-long-enough" };
  try {
    for (const now of ["2999-01-01T00:00:00Z", "2026-01-15T12:00", "yesterday"]) {
      const lines: string[] = [];
      const code = await seedCommand(
        ["--count", "10", "--email", EMAIL, "--now", now],
        env,
        (line) => lines.push(line),
        (line) => lines.push(line),
      );
      assert.equal(code, 2, now);
      assert.match(lines[0]!, /^--now must (not be in the future|be an ISO 8601 time)/, now);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
