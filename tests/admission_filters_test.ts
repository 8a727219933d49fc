/**
 * The patient list filtered by admissions — "has an admission arriving in a period", of a
 * stroke type, with a treatment — on every patient backend: the stores' id-set filter (with
 * the other filters, the sort and paging), the API's list and its 400s, the period's days in the
 * user's time zone, deleted admissions and a re-created patient left out, the browser list with
 * its fields and messages, and the dashboard's summaries and indicators of the same patients.
 */
import assert from "node:assert/strict";
import { resolveFilter } from "../lib/admission_filter.ts";
import { parseListQuery } from "../lib/patient_query.ts";
import { type ApiApp, apiTest } from "./helpers/api.ts";
import { patientBackends } from "./helpers/backends.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { parseDom, textOf } from "./helpers/html.ts";
import { htmxHeaders } from "./helpers/patients_pages.ts";

for (const backend of patientBackends({ sqlPlans: true })) {
  Deno.test(`[${backend.name}] a store reads only the patients of an id set, with the other filters`, async () => {
    const opened = await backend.open();
    const store = opened.value;
    try {
      await store.insertMany(7, samplePatients(12, 1));
      const ids = [2, 3, 5, 8, 11];
      const byAge = await store.list(7, {
        filter: { ids },
        sort: { field: "age", direction: "desc" },
        page: 1,
        perPage: 3,
      });
      assert.equal(byAge.total, 5);
      const ages = (await store.getMany(7, ids)).map((p) => [p.id, p.age] as const)
        .sort((a, b) => b[1] - a[1] || b[0] - a[0]);
      assert.deepEqual(byAge.items.map((p) => p.id), ages.slice(0, 3).map(([id]) => id));
      const page2 = await store.list(7, {
        filter: { ids },
        sort: { field: "age", direction: "desc" },
        page: 2,
        perPage: 3,
      });
      assert.deepEqual(page2.items.map((p) => p.id), ages.slice(3).map(([id]) => id));
      assert.equal(await store.count(7, { ids, gender: "Male" }), 3, "ids 3, 5 and 11 are men");
      assert.equal(await store.count(7, { ids, q: 5 }), 1);
      assert.equal(await store.count(7, { ids, q: 4 }), 0, "an id outside the set");
      assert.equal(await store.count(7, { ids: [] }), 0);
      const streamed = [];
      for await (const id of store.streamIds(7, { ids, age_min: 30 })) streamed.push(id);
      const older = (await store.getMany(7, ids)).filter((p) => p.age >= 30).map((p) => p.id);
      assert.deepEqual(streamed, older.sort((a, b) => a - b));
      const groups = await store.countGroups(7, { ids }, ["gender"]);
      assert.equal(groups.reduce((n, g) => n + g.total, 0), 5);
      const ranges = await store.countRanges(7, { ids }, "age", [200]);
      assert.equal(ranges.below[0]!.total, 5, "every one of the five is under 200");
      const streamedRecords = [];
      for await (const p of store.stream(7, { ids }, { field: "id", direction: "desc" })) {
        streamedRecords.push(p.id);
      }
      assert.deepEqual(streamedRecords, [11, 8, 5, 3, 2]);
      await assert.rejects(
        () => store.count(7, { admission: { stroke_type: "TIA" } }),
        TypeError,
        "criteria nobody resolved are refused, never ignored",
      );
    } finally {
      await opened.cleanup();
    }
  });
}

/** An admission body: `type` at `arrival` (UTC), thrombolysed and/or thrombectomy as asked. */
function admission(arrival: string, type = "ischaemic", treated: "lysis" | "ectomy" | "" = "") {
  const at = new Date(arrival).getTime();
  return {
    stroke_type: type,
    arrival_at: new Date(at).toISOString(),
    thrombolysis_at: treated === "lysis" ? new Date(at + 40 * 60_000).toISOString() : null,
    thrombectomy_at: treated === "ectomy" ? new Date(at + 90 * 60_000).toISOString() : null,
  };
}

/** Patients 1–8 of the user (odd ones women) and their admissions. */
async function strokeUnit({ user }: ApiApp) {
  for (let id = 1; id <= 8; id++) {
    const gender = id % 2 === 1 ? "Female" : "Male";
    const res = await user.api("POST", "/api/patient_data", {
      ...samplePatients(1, id)[0],
      gender,
    });
    assert.equal(res.status, 201, res.text);
  }
  const admissions: [number, ReturnType<typeof admission>][] = [
    [1, admission("2025-01-10T10:00:00Z", "ischaemic", "lysis")],
    [2, admission("2025-01-20T10:00:00Z", "ischaemic", "ectomy")],
    [3, admission("2025-01-31T23:30:00Z", "haemorrhagic")], // 1 February in Berlin
    [4, admission("2025-02-14T10:00:00Z", "TIA")],
    [5, admission("2024-12-01T10:00:00Z", "ischaemic", "lysis")],
    [5, admission("2025-02-20T10:00:00Z", "mimic")],
    [6, admission("2025-01-05T10:00:00Z", "ischaemic")],
    [7, admission("2025-01-06T10:00:00Z", "ischaemic", "lysis")],
  ];
  for (const [id, body] of admissions) {
    const res = await user.api("POST", `/api/patient_data/${id}/admissions`, body);
    assert.equal(res.status, 201, res.text);
  }
  // Patient 6's admission is deleted; patient 7 is deleted and made again (a new patient).
  assert.equal((await user.api("DELETE", "/api/patient_data/6/admissions/1")).status, 204);
  assert.equal((await user.api("DELETE", "/api/patient_data/7")).status, 204);
  const again = await user.api("POST", "/api/patient_data", samplePatients(1, 7)[0]);
  assert.equal(again.status, 201, again.text);
}

/** The ids the API lists for a query. */
async function listed({ user }: ApiApp, query: string): Promise<number[]> {
  const res = await user.api("GET", `/api/patient_data?${query}&per_page=500`);
  assert.equal(res.status, 200, `${query}: ${res.text}`);
  assert.equal(res.body.total, res.body.items.length);
  return res.body.items.map((p: { id: number }) => p.id);
}

apiTest("the list keeps the patients with an admission in a period, of a type, treated so", async (
  ctx,
) => {
  await strokeUnit(ctx);
  const cases: [string, number[]][] = [
    ["admitted_from=2025-01-01&admitted_to=2025-01-31", [1, 2, 3]],
    ["admitted_from=2025-02-01", [4, 5]],
    ["admitted_to=2024-12-31", [5]],
    ["stroke_type=ischaemic", [1, 2, 5]],
    ["treatment=thrombolysis", [1, 5]],
    ["treatment=thrombectomy", [2]],
    ["treatment=either", [1, 2, 5]],
    ["treatment=neither", [3, 4, 5]],
    // One admission must meet every criterion: patient 5's thrombolysis was in 2024.
    ["admitted_from=2025-01-01&treatment=thrombolysis", [1]],
    ["stroke_type=ischaemic&gender=Male", [2]],
    ["stroke_type=ischaemic&sort=-id", [5, 2, 1]],
    ["stroke_type=TIA&q=4", [4]],
    ["stroke_type=TIA&q=3", []],
  ];
  for (const [query, ids] of cases) assert.deepEqual(await listed(ctx, query), ids, query);

  // Bad values are a 400 naming the parameter, as for every filter.
  for (
    const [query, field] of [
      ["admitted_from=2025-02-30", "admitted_from"],
      ["admitted_from=2025-03-01&admitted_to=2025-02-01", "admitted_to"],
      ["stroke_type=stroke", "stroke_type"],
      ["treatment=aspirin", "treatment"],
    ] as const
  ) {
    const res = await ctx.user.api("GET", `/api/patient_data?${query}`);
    assert.equal(res.status, 400, query);
    assert.deepEqual(res.body.errors.map((e: { field: string }) => e.field), [field], query);
  }

  // The export and the statistics take the same filter.
  const stats = await ctx.user.api("GET", "/api/patient_data/stats?stroke_type=ischaemic");
  assert.equal(stats.status, 200, stats.text);
  assert.equal(stats.body.total, 3);
  const csv = await ctx.app.request("/api/patient_data/export?treatment=thrombolysis", {
    headers: { Authorization: `Bearer ${ctx.user.token}` },
  });
  const lines = (await csv.text()).trim().split(/\r?\n/);
  assert.deepEqual(lines.slice(1).map((l) => Number(l.split(",")[0])), [1, 5]);

  // The quality indicators of the patients the filter keeps (their admissions in the period).
  const qi = await ctx.user.api("GET", "/api/quality_indicators?treatment=thrombolysis");
  assert.equal(qi.status, 200, qi.text);
  assert.equal(qi.body.admissions, 3, "patients 1 and 5: their three admissions");
});

apiTest("the period's days are the user's time zone's", async (ctx) => {
  await strokeUnit(ctx);
  const browser = await ctx.browser();
  const query = "admitted_from=2025-02-01&admitted_to=2025-02-01";
  assert.deepEqual(await listed(ctx, query), [], "in UTC patient 3 arrived on 31 January");
  const saved = await browser.postForm("/profile/time-zone", { time_zone: "Europe/Berlin" });
  assert.equal(saved.status, 303);
  assert.deepEqual(await listed(ctx, query), [3], "in Berlin it was 1 February");
  // Resolved directly: the same ids.
  const parsed = parseListQuery(new URLSearchParams(query));
  assert.ok(parsed.ok);
  const resolved = await resolveFilter(
    ctx.patients,
    ctx.user.id,
    parsed.query.filter,
    "Europe/Berlin",
  );
  assert.deepEqual(resolved, { ids: [3] });
});

apiTest("the browser list filters by admission, shows its fields and says what is wrong", async (
  ctx,
) => {
  await strokeUnit(ctx);
  const browser = await ctx.browser();
  const res = await browser.get("/patients?stroke_type=ischaemic&treatment=either&filters=open");
  assert.equal(res.status, 200);
  const dom = parseDom(await res.text());
  const rows = dom.all("#patient-rows > tr").map((tr) => tr.id);
  assert.deepEqual(rows, ["patient-1", "patient-2", "patient-5"]);
  assert.equal(textOf(dom.get("fieldset.admission-filters legend")), "Has an admission");
  assert.equal(
    dom.get("#filter-stroke_type option[selected]").getAttribute("value"),
    "ischaemic",
  );
  assert.equal(dom.get("#filter-treatment option[selected]").getAttribute("value"), "either");
  assert.equal(dom.text("#filters-active"), "(2 active)");

  // Through htmx (the filter form sends it), a date that is not one: the message at its field.
  const bad = await browser.get("/patients?admitted_from=2025-02-30", {
    ...htmxHeaders(browser, "patient-table"),
    "HX-Trigger": "filters",
  });
  assert.equal(bad.status, 422);
  const frag = parseDom(await bad.text());
  assert.equal(frag.text("#filter-admitted_from-error"), "Enter a date, such as 2026-01-31");
  const reversed = await browser.get("/patients?admitted_from=2025-03-01&admitted_to=2025-01-01");
  assert.match(
    parseDom(await reversed.text()).text("#filter-admitted_to-error"),
    /“Arrived to” is before “Arrived from”/,
  );

  // The dashboard of the same patients says so in words.
  const dash = await browser.get("/dashboard?stroke_type=haemorrhagic");
  const page = parseDom(await dash.text());
  assert.match(page.text(".dashboard-page .lead"), /with an admission \(haemorrhagic stroke\)/);
  assert.equal(page.text(".insight-summary dd"), "1", "one record");
});
