/**
 * Time zones for admissions, with `APP_TIMEZONE=Europe/London`, on every backend: times are
 * stored as instants and written back with London's offset of the moment; on the fall-back
 * night the two 01:30s stay two different instants (onset at the first, arrival at the second is
 * 45 minutes); a wall-clock time in a CSV file is read in London (the earlier reading on that
 * night, none in the spring-forward gap); the indicators' days and months are London's.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";
import { openAccountsDb } from "../db/accounts/database.ts";
import { qualityIndicators } from "../lib/stroke/quality_indicators.ts";
import { type ApiUser, loadDocument, registerApiUser } from "./helpers/api.ts";
import { sampleAdmission } from "./helpers/admissions.ts";
import { createTestApp, testConfig } from "./helpers/app.ts";
import { patientBackends } from "./helpers/backends.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const LONDON = "Europe/London";
const BASE = "/api/patient_data/1/admissions";
const CSV = { "Content-Type": "text/csv" };

Deno.test("APP_TIMEZONE is UTC by default, an IANA name when set, and checked at start", () => {
  assert.equal(loadConfig({}).appTimeZone, "UTC");
  assert.equal(loadConfig({ APP_TIMEZONE: "Europe/London" }).appTimeZone, LONDON);
  assert.equal(loadConfig({ APP_TIMEZONE: "europe/london" }).appTimeZone, LONDON);
  for (const bad of ["Mars/Olympus_Mons", "+01:00", "GMT+1", "x".repeat(300)]) {
    assert.throws(
      () => loadConfig({ APP_TIMEZONE: bad }),
      (error: Error) => error instanceof ConfigError && /^APP_TIMEZONE /.test(error.message),
      bad,
    );
  }
});

for (const backend of patientBackends()) {
  const test = (name: string, fn: (user: ApiUser) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      const dir = Deno.makeTempDirSync({ prefix: "spm-admissions-zone-" });
      const app = await createTestApp(
        { accounts: openAccountsDb(null, dir), patients: opened.value },
        testConfig({ dataDir: dir, appTimeZone: LONDON }),
      );
      try {
        await loadDocument(app);
        const user = await registerApiUser(app, "zone@example.org");
        const res = await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
        assert.equal(res.status, 201);
        await fn(user);
      } finally {
        await app.close();
        await opened.cleanup();
        await Deno.remove(dir, { recursive: true });
      }
    });

  test("on the fall-back night the two 01:30s are two instants, each with its offset", async (user) => {
    const first = await user.api("POST", BASE, {
      stroke_type: "ischaemic",
      arrival_at: "2024-10-27T00:30:00Z",
    });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.arrival_at, "2024-10-27T01:30:00+01:00");
    // Onset at the first 01:45 (summer time), arrival at the second 01:30 (winter time): the
    // clock reads earlier, the stored instants are 45 minutes apart and in order.
    const second = await user.api("POST", BASE, {
      stroke_type: "ischaemic",
      last_known_well_at: "2024-10-27T01:45:00+01:00",
      arrival_at: "2024-10-27T01:30:00+00:00",
    });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.arrival_at, "2024-10-27T01:30:00+00:00");
    assert.equal(second.body.last_known_well_at, "2024-10-27T01:45:00+01:00");
    // Onset at the second 01:45, after that arrival, is refused.
    const after = await user.api("POST", BASE, {
      stroke_type: "ischaemic",
      last_known_well_at: "2024-10-27T01:45:00+00:00",
      arrival_at: "2024-10-27T01:30:00+00:00",
    });
    assert.equal(after.status, 422);
    // Summer and winter times of an ordinary day are written with their own offsets.
    const summer = await user.api("POST", BASE, {
      stroke_type: "TIA",
      arrival_at: "2024-07-01T12:00:00Z",
    });
    assert.equal(summer.body.arrival_at, "2024-07-01T13:00:00+01:00");
    const list = await user.api("GET", BASE);
    assert.deepEqual(list.body.map((a: { arrival_at: string }) => a.arrival_at), [
      "2024-07-01T13:00:00+01:00",
      "2024-10-27T01:30:00+01:00",
      "2024-10-27T01:30:00+00:00",
    ]);
    const indicators = await user.api(
      "GET",
      "/api/quality_indicators?from=2024-10-27&to=2024-10-27",
    );
    const onset = indicators.body.indicators.find((i: { key: string }) =>
      i.key === "onset_to_arrival"
    );
    assert.deepEqual([onset.n, onset.median], [1, 45]);
  });

  test("a CSV wall-clock time is London's: the earlier reading on the fall-back night, none in the gap", async (user) => {
    const file = [
      "patient_id,stroke_type,arrival_at,imaging_at",
      "1,TIA,2024-10-27T01:30,2024-10-27T01:50",
      "1,TIA,2024-03-31T01:30,",
      "1,TIA,2024-06-15T09:00,2024-06-15T09:20:00+00:00",
    ].join("\n");
    const res = await user.api("POST", "/api/admissions/import", file, CSV);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.inserted, 2);
    assert.deepEqual(
      res.body.errors.map((e: { line: number; field: string }) => [e.line, e.field]),
      [
        [3, "arrival_at"],
      ],
    );
    assert.match(res.body.errors[0].message, /did not happen in Europe\/London/);
    const exported = await user.api("GET", "/api/admissions/export");
    const rows = exported.text.trim().split("\r\n").slice(1);
    assert.deepEqual(rows.map((r) => r.split(",").slice(4, 6)), [
      ["2024-10-27T01:30:00+01:00", "2024-10-27T01:50:00+01:00"],
      ["2024-06-15T09:00:00+01:00", "2024-06-15T10:20:00+01:00"],
    ]);
  });

  test("the indicators' days and months are London's", async (user) => {
    const arrivals = [
      "2024-10-26T23:30:00Z", // 00:30 on 27 October in London
      "2024-06-30T23:30:00Z", // 00:30 on 1 July in London
      "2024-06-30T22:30:00Z", // 23:30 on 30 June in London
      "2024-12-31T23:30:00Z", // still 2024 in London (GMT)
    ];
    for (const arrival of arrivals) {
      const res = await user.api("POST", BASE, {
        stroke_type: "ischaemic",
        arrival_at: arrival,
        thrombolysis_at: new Date(Date.parse(arrival) + 50 * 60_000).toISOString(),
      });
      assert.equal(res.status, 201, res.text);
    }
    const direct = (from: string | null, to: string | null) =>
      JSON.parse(JSON.stringify(qualityIndicators(
        arrivals.map((a) =>
          sampleAdmission({
            stroke_type: "ischaemic",
            last_known_well_at: null,
            arrival_at: new Date(a),
            imaging_at: null,
            nihss_arrival: null,
            thrombolysis_at: new Date(Date.parse(a) + 50 * 60_000),
            discharge_at: null,
            discharge_destination: null,
            mrs_discharge: null,
            mrs_90d: null,
          })
        ),
        { from, to, zone: LONDON },
      )));
    const day = await user.api("GET", "/api/quality_indicators?from=2024-10-27&to=2024-10-27");
    assert.equal(day.body.admissions, 1);
    assert.deepEqual(day.body, direct("2024-10-27", "2024-10-27"));
    const before = await user.api("GET", "/api/quality_indicators?from=2024-10-26&to=2024-10-26");
    assert.equal(before.body.admissions, 0);
    const all = await user.api("GET", "/api/quality_indicators");
    assert.deepEqual(all.body, direct(null, null));
    const months = Object.fromEntries(
      all.body.by_month.map((m: { month: string; admissions: number }) => [m.month, m.admissions]),
    );
    assert.deepEqual([months["2024-06"], months["2024-07"], months["2024-10"], months["2024-12"]], [
      1,
      1,
      1,
      1,
    ]);
  });
}
