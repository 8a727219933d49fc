/**
 * One user hammering the heavy requests — risk, statistics, data quality, the dashboard, plain
 * and de-identified exports, import dry runs — on a registry of 51,100 records cannot slow
 * another user's list: that list's p95 stays under twice its idle value (or 100 ms above it, when
 * that is more: noise on a small p95), and the hammering
 * user's excess calls are refused with 429 and Retry-After (problem+json in the API, a page in
 * the browser).
 *
 * The machine is shared: idle and hammered are timed in turns, back to back, so that whatever
 * else loads it falls on both alike; then all the turns' times are pooled.
 */
import assert from "node:assert/strict";
import { loadDocument, registerApiUser } from "./helpers/api.ts";
import { createTestApp } from "./helpers/app.ts";
import {
  fillRegistry,
  hammer,
  type HammerReport,
  percentile,
  registryCsv,
  sampleLatency,
} from "./helpers/heavy_load.ts";
import { TestBrowser } from "./helpers/test_browser.ts";
import { pause } from "./helpers/outage_load.ts";
import { PASSWORD } from "./helpers/fixtures.ts";

/** The registry of the issue: the dataset's size ten times. */
const RECORDS = 51_100;
const P = "/api/patient_data";
/** Turns of timing the list idle, then hammered… */
const ROUNDS = 6;
/** …each of this many list requests (about 25 ms apart). */
const PER_ROUND = 50;
/**
 * Sampling starts this long after the hammering, once its ten clients' first requests (sent at
 * the same instant by a client just started) are in: what is measured is steady hammering.
 */
const HAMMER_SETTLE_MS = 300;
/**
 * What a hammered p95 may add to the idle one when twice idle is less: a few milliseconds on a
 * p95 of 9 ms is a machine's noise (a GC pause, the scheduler of two shared cores), not a user
 * slowed down — before the limits the hammered p95 was 15 s.
 */
const NOISE_MS = 100;

Deno.test({
  name: "a user hammering heavy requests leaves another user's list fast, and is answered 429",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const app = await createTestApp(undefined, undefined, { serve: true });
    const origin = app.origin!;
    try {
      await loadDocument(app);
      const hammerer = await registerApiUser(app, "hammer@example.org");
      const reader = await registerApiUser(app, "reader@example.org");
      const records = await fillRegistry(app.stores.patients, hammerer.id, RECORDS);
      await fillRegistry(app.stores.patients, reader.id, 500, 2);
      const session = new TestBrowser(app);
      assert.equal((await session.logIn(hammerer.email, PASSWORD)).status, 303);
      const csv = registryCsv(records.slice(0, 5_000));

      const list = `${origin}${P}?per_page=50&page={page}`;
      const reading = `Bearer ${reader.token}`;
      await sampleLatency(list, reading, 10); // warm-up

      // Idle and hammered in turns, so that whatever else loads the machine falls on both alike.
      const idle: number[] = [];
      const busy: number[] = [];
      const report: HammerReport = { statuses: {}, refusals: [], unexpected: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const quiet = await sampleLatency(list, reading, PER_ROUND);
        const hammering = hammer({
          origin,
          token: hammerer.token,
          cookie: session.cookieHeader(),
          csv,
          clients: 10,
        });
        let answered: HammerReport;
        try {
          await pause(HAMMER_SETTLE_MS);
          const loud = await sampleLatency(list, reading, PER_ROUND);
          idle.push(...quiet);
          busy.push(...loud);
        } finally {
          answered = await hammering.stop();
        }
        for (const [status, n] of Object.entries(answered.statuses)) {
          report.statuses[Number(status)] = (report.statuses[Number(status)] ?? 0) + n;
        }
        report.refusals.push(...answered.refusals);
        report.unexpected.push(...answered.unexpected);
      }

      const [idle50, idle95] = [percentile(idle, 0.5), percentile(idle, 0.95)];
      const [busy50, busy95] = [percentile(busy, 0.5), percentile(busy, 0.95)];
      console.log(
        `Another user's list: idle p50 ${idle50.toFixed(1)} ms, p95 ${idle95.toFixed(1)} ms; ` +
          `while hammered p50 ${busy50.toFixed(1)} ms, p95 ${busy95.toFixed(1)} ms ` +
          `(${busy.length} samples each); the hammering user got ${
            JSON.stringify(report.statuses)
          }`,
      );
      assert.deepEqual(report.unexpected, [], "every heavy call is answered 200 or 429");
      const allowed = Math.max(2 * idle95, idle95 + NOISE_MS);
      assert.ok(
        busy95 < allowed,
        `hammered p95 ${busy95.toFixed(1)} ms under ${allowed.toFixed(1)} (idle ${
          idle95.toFixed(1)
        })`,
      );
      assert.ok((report.statuses[429] ?? 0) > 0, "the hammering user's excess calls get 429");
      for (const refusal of report.refusals) {
        assert.match(refusal.retryAfter ?? "", /^[1-9]\d*$/, "a 429 says when to retry");
      }
      const apiRefusal = report.refusals.find((r) => r.type === "application/problem+json");
      assert.ok(apiRefusal, "the API's 429 is problem+json");
      assert.equal(JSON.parse(apiRefusal.body).status, 429);
      const pageRefusal = report.refusals.find((r) => r.type.startsWith("text/html"));
      assert.ok(pageRefusal, "the dashboard's 429 is a page");
      assert.match(pageRefusal.body, /Still working on your last request/);
    } finally {
      await app.close();
    }
  },
});
