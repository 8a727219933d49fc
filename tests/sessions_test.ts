/** Browser sessions: cookie attributes, renewal at login, logout, password change, timeouts, clean-up. */
import assert from "node:assert/strict";
import { cleanUp } from "../db/housekeeping.ts";
import { createTestApp, type TestApp, testConfig, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";

/** The rows of the sessions table. */
async function sessionRows(app: TestApp) {
  const db = await app.stores.accounts.db();
  return await db.selectFrom("sessions").selectAll().execute();
}

/** The Set-Cookie line of a response for `name` (the session's by default). */
function sessionCookieLine(res: Response, name = "spm_session"): string {
  const line = res.headers.getSetCookie().findLast((l) => l.startsWith(`${name}=`));
  assert.ok(line, `the response sets the ${name} cookie`);
  return line;
}

/** True when a request with exactly this cookie is logged in. */
async function loggedInWith(app: TestApp, cookie: string): Promise<boolean> {
  const res = await app.request("/profile", { headers: { Cookie: `spm_session=${cookie}` } });
  await res.body?.cancel();
  assert.ok([200, 303].includes(res.status), `unexpected ${res.status}`);
  return res.status === 200;
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("the session and form cookies are HttpOnly and SameSite=Lax, and not Secure over plain HTTP", async (app) => {
    await new TestBrowser(app).register("Ann", EMAIL, PASSWORD);
    const browser = new TestBrowser(app);
    const page = await browser.get("/login");
    await page.body?.cancel();
    assert.ok(!page.headers.getSetCookie().some((l) => l.startsWith("spm_session=")));
    const login = await browser.postForm("/login", { email: EMAIL, password: PASSWORD });
    assert.equal(login.status, 303);
    for (const line of [sessionCookieLine(page, "spm_csrf"), sessionCookieLine(login)]) {
      assert.match(line, /; HttpOnly(;|$)/);
      assert.match(line, /; SameSite=Lax(;|$)/);
      assert.match(line, /; Path=\/(;|$)/);
      assert.doesNotMatch(line, /Secure/i);
    }
  });

  test("behind an HTTPS proxy the session cookie is also Secure", async (app) => {
    await new TestBrowser(app).register("Ann", EMAIL, PASSWORD);
    const https = { "X-Forwarded-Proto": "https" };
    const browser = new TestBrowser(app);
    const page = await browser.get("/login", https);
    await page.body?.cancel();
    assert.match(sessionCookieLine(page, "spm_csrf"), /; Secure(;|$)/);
    assert.match(sessionCookieLine(page, "spm_csrf"), /; HttpOnly(;|$)/);
    const login = await browser.postForm("/login", { email: EMAIL, password: PASSWORD }, https);
    assert.equal(login.status, 303);
    assert.match(sessionCookieLine(login), /; Secure(;|$)/);
    assert.match(sessionCookieLine(login), /; SameSite=Lax(;|$)/);
  });

  test("logging in starts a new session: a cookie planted before the login logs nobody in", async (app) => {
    await new TestBrowser(app).register("Ann", EMAIL, PASSWORD);
    await app.request("/logout", { method: "POST" }); // no session of a visitor is ever stored
    const browser = new TestBrowser(app);
    await browser.get("/login");
    assert.equal(browser.cookies.get("spm_session"), undefined, "the login form needs no session");
    const planted = "Fe26.2**planted-by-an-attacker";
    browser.cookies.set("spm_session", planted);
    const before = (await sessionRows(app)).map((r) => r.id);
    const res = await browser.postForm("/login", { email: EMAIL, password: PASSWORD });
    assert.equal(res.status, 303);
    const after = browser.cookies.get("spm_session")!;
    assert.notEqual(after, planted);
    const added = (await sessionRows(app)).filter((r) => !before.includes(r.id));
    assert.equal(added.length, 1, "one new session row, the logged-in one");
    assert.equal(await loggedInWith(app, after), true);
    assert.equal(await loggedInWith(app, planted), false, "a planted cookie does not ride along");
  });

  test("logging out deletes the session row, and the old cookie replayed is logged out", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const cookie = browser.cookies.get("spm_session")!;
    const userId = (await sessionRows(app)).find((r) => r.user_id !== null)!.user_id;
    const res = await browser.postForm("/logout", {});
    assert.equal(res.status, 303);
    assert.match(sessionCookieLine(res), /^spm_session=;.*Max-Age=0/i, "the cookie is removed");
    assert.equal(browser.cookies.has("spm_session"), false);
    const rows = await sessionRows(app);
    assert.deepEqual(rows.filter((r) => r.user_id === userId), [], "ended on the server");
    assert.equal(await loggedInWith(app, cookie), false);
  });

  test("a password change ends the user's other sessions and renews the current one", async (app) => {
    const laptop = await loggedInBrowser(app, { page: "/profile" });
    const phone = await loggedInBrowser(app, { existing: true, page: "/profile" });
    const laptopBefore = laptop.cookies.get("spm_session")!;
    const res = await laptop.postForm("/profile/password", {
      old_password: PASSWORD,
      new_password: "a new password",
      confirm_new_password: "a new password",
    });
    assert.equal(res.status, 303);
    const laptopAfter = laptop.cookies.get("spm_session")!;
    assert.notEqual(laptopAfter, laptopBefore);
    const page = await laptop.get("/profile");
    assert.equal(page.status, 200, "this browser carries on");
    assert.match(await page.text(), /Other devices have been logged out/);
    assert.equal(await loggedInWith(app, laptopBefore), false, "under a new id");
    assert.equal((await phone.get("/profile")).status, 303, "the other browser is logged out");
    assert.equal((await sessionRows(app)).filter((r) => r.user_id !== null).length, 1);
  });

  Deno.test(`[${backend.name}] a session unused for longer than the idle timeout ends`, () =>
    withAccountsApp(backend, { sessionIdleMs: 300 }, async (app) => {
      const browser = await loggedInBrowser(app, { page: "/profile" });
      assert.equal((await browser.get("/profile")).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 450));
      const res = await browser.get("/profile");
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("Location"), "/login?next=%2Fprofile");
      assert.deepEqual((await sessionRows(app)).filter((r) => r.user_id !== null), []);
    }));

  Deno.test(`[${backend.name}] a session in use stays alive past the idle timeout`, () =>
    withAccountsApp(backend, { sessionIdleMs: 300 }, async (app) => {
      const browser = await loggedInBrowser(app, { page: "/profile" });
      for (let i = 0; i < 8; i++) {
        assert.equal((await browser.get("/profile")).status, 200, `request ${i}, ${i * 100} ms in`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }));

  Deno.test(`[${backend.name}] a session ends at its absolute lifetime even while in use`, () =>
    withAccountsApp(backend, { sessionAbsoluteMs: 500, sessionIdleMs: 3_600_000 }, async (app) => {
      const browser = await loggedInBrowser(app, { page: "/profile" });
      for (let i = 0; i < 3; i++) {
        assert.equal((await browser.get("/profile")).status, 200, `request ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 350));
      assert.equal((await browser.get("/profile")).status, 303);
      assert.deepEqual((await sessionRows(app)).filter((r) => r.user_id !== null), []);
    }));

  test("cleanUp() removes expired sessions and old login failures and keeps the rest", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const security = { ...testConfig().security, sessionIdleMs: 3_600_000 };
    const hour = 3_600_000;
    const now = Date.now();
    const db = await app.stores.accounts.db();
    const row = (id: string, created_at: number, last_seen_at: number) => ({
      id,
      user_id: null,
      data: JSON.stringify({ _data: { csrf: { value: id, flash: false } } }),
      created_at,
      last_seen_at,
    });
    await db.insertInto("sessions").values([
      row("idle-too-long", now - 2 * hour, now - 2 * hour),
      row("past-its-lifetime", now - security.sessionAbsoluteMs - 1000, now),
      row("fresh", now - 1000, now - 1000),
    ]).execute();
    const windowMs = Math.max(
      security.throttle.account.windowMs,
      security.throttle.client.windowMs,
    );
    await db.insertInto("login_failures").values([
      { throttle_key: "account:old@example.org", failed_at: now - windowMs - 1000 },
      { throttle_key: "account:new@example.org", failed_at: now - 1000 },
    ]).execute();
    assert.deepEqual(await cleanUp(app.stores.accounts, security), {
      sessions: 2,
      failures: 1,
      imports: 0,
      passwordResets: 0,
    });
    const ids = (await sessionRows(app)).map((r) => r.id);
    assert.ok(ids.includes("fresh"));
    assert.ok(!ids.includes("idle-too-long") && !ids.includes("past-its-lifetime"));
    const failures = await db.selectFrom("login_failures").select("throttle_key")
      .where("throttle_key", "like", "account:%").execute();
    assert.deepEqual(failures.map((f) => f.throttle_key), ["account:new@example.org"]);
    assert.equal((await browser.get("/profile")).status, 200, "the live session is kept");
  });

  test("anonymous visits to the home page and static files write no session row", async (app) => {
    const browser = new TestBrowser(app);
    for (let i = 0; i < 3; i++) await (await browser.get("/")).body?.cancel();
    await (await app.request("/")).body?.cancel();
    const css = await app.request("/static/app.css");
    await css.body?.cancel();
    assert.deepEqual(css.headers.getSetCookie(), [], "no cookie on static files");
    assert.deepEqual(await sessionRows(app), []);
  });

  test("the sessions table holds no usable session id: its keys as cookies log nobody in", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const cookie = browser.cookies.get("spm_session")!;
    const rows = await app.stores.accounts.run((db) =>
      db.selectFrom("sessions").select("id").execute()
    );
    assert.ok(rows.length > 0);
    assert.ok(rows.every((row) => row.id !== cookie && !row.id.includes(cookie)));
    for (const row of rows) assert.equal(await loggedInWith(app, row.id), false);
    assert.equal(await loggedInWith(app, cookie), true, "the cookie itself still works");
  });

  test("a garbled session cookie or one sealed with another secret logs nobody in", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const cookie = browser.cookies.get("spm_session")!;
    assert.equal(await loggedInWith(app, "garbage"), false);
    assert.equal(await loggedInWith(app, cookie.slice(0, -4) + "AAAA"), false);
    const config = testConfig({ sessionSecret: "another-secret-that-is-long-enough-9876" });
    const other = await createTestApp(app.stores, {
      ...config,
      security: { ...config.security, bcryptCost: 4 },
    });
    try {
      assert.equal(await loggedInWith(other, cookie), false);
    } finally {
      await other.close(); // closes the shared stores too; the outer close repeats it harmlessly
    }
  });
}
