/**
 * A database that hangs rather than goes away — a stopped process (SIGSTOP of the test's own
 * FerretDB) or a network that drops everything (a frozen proxy in front of MariaDB): connections
 * stay open and nothing answers. `/healthz` says so within `DB_TIMEOUT_MS`, a request gets its
 * 503 within `DB_QUERY_TIMEOUT_MS`, and the app carries on by itself once the server answers
 * again; a write refused meanwhile is either done or not, never half.
 */
import assert from "node:assert/strict";
import type { DatabaseTimeouts } from "../config.ts";
import { checkWrites, taggedPatient, type WriteAttempt } from "./helpers/acknowledged_writes.ts";
import { loadDocument, PASSWORD, registerApiUser } from "./helpers/api.ts";
import type { TestApp } from "./helpers/app.ts";
import { mongoServer, mysqlServer } from "./helpers/backends.ts";
import {
  type ServerSwitch,
  withMongoOutageApp,
  withMysqlOutageApp,
} from "./helpers/outage_apps.ts";
import { RECOVER_WITHIN_MS } from "./helpers/outage_load.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

/** Shorter than the defaults (1 s, 60 s), so that the test waits seconds, not a minute. */
const TIMEOUTS: DatabaseTimeouts = { unavailableMs: 1000, queryMs: 1500 };
/** What a request may take on top of its timeout (a loaded machine). */
const SLACK_MS = 1000;

async function timed(send: () => Promise<Response>) {
  const start = performance.now();
  const res = await send();
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - start };
}

/** Asks until `/healthz` answers 200; returns how long that took. */
async function untilHealthy(app: TestApp): Promise<number> {
  const start = performance.now();
  while ((await timed(() => app.request("/healthz"))).status !== 200) {
    assert.ok(performance.now() - start < 3 * RECOVER_WITHIN_MS, "never healthy again");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return performance.now() - start;
}

/**
 * While the database hangs: `/healthz` names `down` within DB_TIMEOUT_MS, and every request of
 * `requests` is a 503 within DB_QUERY_TIMEOUT_MS; then, resumed, the app recovers in 5 s.
 */
async function hangCycle(
  app: TestApp,
  { hang, resume }: ServerSwitch,
  down: "users" | "patients",
  requests: [string, () => Promise<Response>][],
) {
  assert.equal((await timed(() => app.request("/healthz"))).status, 200);
  await hang();
  const measured: Record<string, number> = {};
  let answering: Promise<string[]> | undefined;
  try {
    // The requests first, so that they find the connections the pool kept open (a query
    // that never returns), then the health check beside them.
    answering = Promise.all(requests.map(async ([what, send]) => {
      const res = await timed(send);
      measured[what] = Math.round(res.ms);
      return `${what} ${res.status}${
        res.ms < TIMEOUTS.queryMs + SLACK_MS ? "" : ` (${res.ms.toFixed(0)} ms)`
      }`;
    }));
    // Its answers are awaited below; an assertion failing before that still waits for them, so
    // that the app is not closed under a request still running.
    answering.catch(() => {});
    const health = await timed(() => app.request("/healthz"));
    measured.healthMs = Math.round(health.ms);
    assert.equal(health.status, 503);
    assert.equal(JSON.parse(health.text)[down], "down");
    assert.ok(health.ms < TIMEOUTS.unavailableMs + SLACK_MS, `/healthz took ${health.ms} ms`);
    const answers = await answering;
    assert.deepEqual(answers, requests.map(([what]) => `${what} 503`));
  } finally {
    resume();
    await answering?.catch(() => {});
  }
  measured.recoverMs = Math.round(await untilHealthy(app));
  assert.ok(measured.recoverMs < RECOVER_WITHIN_MS);
  console.log(JSON.stringify(measured));
  for (const [what, send] of requests) {
    assert.ok((await timed(send)).status < 500, `${what} after the server answers again`);
  }
}

/** The app's first user: registered, with an API token. */
const userOf = (app: TestApp) =>
  loadDocument(app).then(() => registerApiUser(app, "hung@example.org"));

Deno.test({
  name:
    "while FerretDB hangs, patient requests answer 503 within the query timeout and /healthz within its own, and writes are whole once it answers again",
  ignore: !mongoServer(),
  fn: () =>
    withMongoOutageApp(TIMEOUTS, async (app, server) => {
      const user = await userOf(app);
      const attempts: WriteAttempt[] = [];
      const write = (id: number, tag: number) => async () => {
        const res = await app.request("/api/patient_data", {
          method: "POST",
          headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ ...taggedPatient(tag), id }),
        });
        const revision = res.headers.get("ETag")?.replaceAll('"', "") ?? null;
        attempts.push({ id, kind: "create", tag, status: res.status, revision });
        return res;
      };
      await write(1, 1)();
      await hangCycle(app, server, "patients", [
        ["GET /api/patient_data", () => user.api("GET", "/api/patient_data").then(asResponse)],
        ["POST /api/patient_data", write(2, 2)],
      ]);
      await write(3, 3)();
      await checkWrites(app.stores.patients, user.id, attempts);
    }),
});

Deno.test({
  name:
    "while MariaDB hangs, signed-in requests answer 503 within the query timeout and /healthz within its own, and it recovers by itself",
  ignore: !mysqlServer(),
  fn: () =>
    withMysqlOutageApp(TIMEOUTS, async (app, server) => {
      const user = await userOf(app);
      const browser = new TestBrowser(app);
      assert.equal((await browser.logIn(user.email, PASSWORD)).status, 303);
      await browser.get("/profile");
      await hangCycle(app, server, "users", [
        ["GET /api/patient_data", () => user.api("GET", "/api/patient_data").then(asResponse)],
        ["GET /profile", () => browser.get("/profile")],
        ["POST /profile", () => browser.postForm("/profile", { name: "Hung" })],
      ]);
    }),
});

/** A checked API answer as a Response again, for `timed`. */
function asResponse(res: { status: number; text: string; headers: Headers }): Response {
  return new Response(res.status === 304 ? null : res.text, {
    status: res.status,
    headers: res.headers,
  });
}
