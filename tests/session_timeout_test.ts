/** What the idle-timeout warning relies on: the page's session clock, GET /session, POST /session/extend. */
import assert from "node:assert/strict";
import { warnBeforeMs } from "../http/session_clock.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { parseDom } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function lastSeen(app: TestApp): Promise<number> {
  const db = await app.stores.accounts.db();
  const rows = await db.selectFrom("sessions").select("last_seen_at")
    .where("user_id", "is not", null).execute();
  assert.equal(rows.length, 1);
  return Number(rows[0]!.last_seen_at);
}

async function status(browser: TestBrowser) {
  const res = await browser.get("/session");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("Content-Type") ?? "", /^application\/json/);
  assert.equal(res.headers.get("Cache-Control"), "no-store");
  return await res.json();
}

Deno.test("the warning comes two minutes before the idle timeout, or halfway through a shorter one", () => {
  assert.equal(warnBeforeMs(60 * 60_000), 120_000);
  assert.equal(warnBeforeMs(4 * 60_000), 120_000);
  assert.equal(warnBeforeMs(3 * 60_000), 90_000);
  assert.equal(warnBeforeMs(8_000), 4_000);
});

for (const backend of accountBackends()) {
  const test = (name: string, security: object, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, security, fn));

  test("logged-in pages carry the session's clock, logged-out pages none", {}, async (app) => {
    const anonymous = new TestBrowser(app);
    const login = parseDom(await (await anonymous.get("/login")).text());
    assert.equal(login.find('meta[name="spm-session"]'), null);
    const browser = await loggedInBrowser(app, { email: EMAIL });
    const page = parseDom(browser.lastHtml);
    const clock = JSON.parse(page.get('meta[name="spm-session"]').getAttribute("content")!);
    assert.equal(clock.idle_ms, 60 * 60_000);
    assert.equal(clock.warn_before_ms, 120_000);
    assert.equal(clock.ends_by, "idle");
    assert.ok(clock.ends_in_ms > 59 * 60_000 && clock.ends_in_ms <= 60 * 60_000);
    assert.match(clock.user, /^\d+$/);
    const res = await browser.get("/profile");
    await res.body?.cancel();
    const left = Number(res.headers.get("X-Session-Ends-In"));
    assert.ok(left > 59 * 60_000 && left <= 60 * 60_000, "every answer says the time left");
  });

  test("GET /session says how long is left without extending the session", {
    sessionIdleMs: 2_000,
  }, async (app) => {
    const browser = await loggedInBrowser(app, { email: EMAIL });
    const before = await lastSeen(app);
    await sleep(1_200); // past the point where any other request would note the use
    const first = await status(browser);
    assert.equal(first.logged_in, true);
    assert.equal(first.ends_by, "idle");
    assert.ok(first.ends_in_ms <= 800 + 50, `${first.ends_in_ms} ms left`);
    assert.equal(await lastSeen(app), before, "asking did not extend it");
    await sleep(first.ends_in_ms + 50);
    assert.deepEqual(await status(browser), { logged_in: false });
    assert.equal((await browser.get("/profile")).status, 303, "the session has ended");
  });

  test("POST /session/extend keeps the session, with the session's CSRF token", {
    sessionIdleMs: 2_000,
  }, async (app) => {
    const browser = await loggedInBrowser(app, { email: EMAIL });
    await sleep(1_200);
    const refused = await browser.request("/session/extend", { method: "POST" });
    assert.equal(refused.status, 403, "another site cannot keep a session alive");
    const res = await browser.request("/session/extend", {
      method: "POST",
      headers: { "X-CSRF-Token": browser.csrf },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.logged_in, true);
    assert.ok(body.ends_in_ms > 1_900, `${body.ends_in_ms} ms left after extending`);
    await sleep(1_200); // 2.4 s after the login: over the idle timeout but for the extension
    assert.equal((await status(browser)).logged_in, true);
  });

  test("POST /session/extend does not bring an ended session back", {
    sessionIdleMs: 600,
  }, async (app) => {
    const browser = await loggedInBrowser(app, { email: EMAIL });
    const token = browser.csrf;
    await sleep(700);
    const res = await browser.request("/session/extend", {
      method: "POST",
      headers: { "X-CSRF-Token": token },
    });
    assert.ok([401, 403].includes(res.status), `answered ${res.status}`);
    await res.body?.cancel();
    assert.deepEqual(await status(browser), { logged_in: false });
  });

  test("a session near its lifetime says that its end cannot be put off", {
    sessionIdleMs: 60 * 60_000,
    sessionAbsoluteMs: 30 * 60_000,
  }, async (app) => {
    const browser = await loggedInBrowser(app, { email: EMAIL });
    const body = await status(browser);
    assert.equal(body.ends_by, "lifetime");
    assert.ok(body.ends_in_ms <= 30 * 60_000);
  });
}
