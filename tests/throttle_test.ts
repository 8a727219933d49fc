/** Throttling of failed logins and token requests, per account and per client, kept in the database. */
import assert from "node:assert/strict";
import type { ThrottleRule } from "../config.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";
const MINUTE = 60_000;
const LOOSE: ThrottleRule = { limit: 100, windowMs: MINUTE };

function throttle(account: ThrottleRule, client: ThrottleRule) {
  return { throttle: { account, client, register: LOOSE } };
}

/** Tries to log in, as a fresh browser from `address` (sent as X-Forwarded-For when given). */
async function logIn(app: TestApp, email: string, password: string, address?: string) {
  const browser = new TestBrowser(app);
  const headers: HeadersInit = address ? { "X-Forwarded-For": address } : {};
  await browser.get("/login", headers);
  const res = await browser.postForm("/login", { email, password }, headers);
  return { res, html: await res.text(), browser };
}

function assertThrottledPage(res: Response, html: string, windowMs: number): void {
  assert.equal(res.status, 429);
  const retryAfter = res.headers.get("Retry-After") ?? "";
  assert.match(retryAfter, /^\d+$/, "Retry-After is in seconds");
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= windowMs / 1000, retryAfter);
  assert.match(html, /try again in \d+ (seconds?|minutes?)/);
  assert.doesNotMatch(html, /The email or password is not correct/);
}

async function register(app: TestApp, email = EMAIL): Promise<void> {
  assert.equal((await new TestBrowser(app).register("Ann", email, PASSWORD)).status, 303);
}

function postTokens(app: TestApp, password: string): Promise<Response> {
  return app.request("/api/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: EMAIL, password }),
  });
}

for (const backend of accountBackends()) {
  const account3 = throttle({ limit: 3, windowMs: MINUTE }, LOOSE);

  Deno.test(`[${backend.name}] after 3 failed logins even the right password gets 429 with Retry-After`, () =>
    withAccountsApp(backend, account3, async (app) => {
      await register(app);
      for (let i = 0; i < 3; i++) {
        assert.equal((await logIn(app, EMAIL, "wrong password")).res.status, 401, `attempt ${i}`);
      }
      const { res, html, browser } = await logIn(app, EMAIL, PASSWORD);
      assertThrottledPage(res, html, MINUTE);
      assert.equal((await browser.get("/profile")).status, 303, "not logged in");
      const otherCase = await logIn(app, " ANN@Example.org", PASSWORD);
      assert.equal(otherCase.res.status, 429, "the account is the same in any capitalisation");
    }));

  Deno.test(`[${backend.name}] an account's limit does not block other accounts`, () =>
    withAccountsApp(backend, account3, async (app) => {
      await register(app);
      await register(app, "bob@example.org");
      for (let i = 0; i < 4; i++) await logIn(app, EMAIL, "wrong password");
      assert.equal((await logIn(app, EMAIL, PASSWORD)).res.status, 429);
      assert.equal((await logIn(app, "bob@example.org", PASSWORD)).res.status, 303);
    }));

  Deno.test(`[${backend.name}] failures across emails from one address block that address only`, () =>
    withAccountsApp(
      backend,
      { ...throttle(LOOSE, { limit: 3, windowMs: MINUTE }), trustProxy: true },
      async (app) => {
        await register(app);
        const attacker = "203.0.113.5";
        for (const name of ["a", "b", "c"]) {
          assert.equal(
            (await logIn(app, `${name}@example.org`, "guess", attacker)).res.status,
            401,
          );
        }
        const blocked = await logIn(app, EMAIL, PASSWORD, attacker);
        assertThrottledPage(blocked.res, blocked.html, MINUTE);
        const spoofed = await logIn(app, EMAIL, PASSWORD, `198.51.100.7, ${attacker}`);
        assert.equal(
          spoofed.res.status,
          429,
          "the proxy's last hop counts, not the client's claim",
        );
        assert.equal((await logIn(app, EMAIL, PASSWORD, "203.0.113.9")).res.status, 303);
      },
    ));

  Deno.test(`[${backend.name}] without trustProxy a client cannot dodge its limit by X-Forwarded-For`, () =>
    withAccountsApp(backend, throttle(LOOSE, { limit: 3, windowMs: MINUTE }), async (app) => {
      await register(app);
      for (const n of [1, 2, 3]) await logIn(app, `guess${n}@example.org`, "guess", `192.0.2.${n}`);
      const { res, html } = await logIn(app, EMAIL, PASSWORD, "192.0.2.200");
      assertThrottledPage(res, html, MINUTE);
    }));

  Deno.test(`[${backend.name}] a successful login resets the account's counter`, () =>
    withAccountsApp(backend, account3, async (app) => {
      await register(app);
      for (let i = 0; i < 2; i++) await logIn(app, EMAIL, "wrong password");
      assert.equal((await logIn(app, EMAIL, PASSWORD)).res.status, 303);
      for (let i = 0; i < 2; i++) await logIn(app, EMAIL, "wrong password");
      assert.equal((await logIn(app, EMAIL, PASSWORD)).res.status, 303, "2 failures since, not 4");
    }));

  Deno.test(`[${backend.name}] the block ends when the failures leave the window`, () =>
    withAccountsApp(backend, throttle({ limit: 3, windowMs: 400 }, LOOSE), async (app) => {
      await register(app);
      for (let i = 0; i < 3; i++) await logIn(app, EMAIL, "wrong password");
      const { res, html } = await logIn(app, EMAIL, PASSWORD);
      assertThrottledPage(res, html, 1000);
      assert.equal(res.headers.get("Retry-After"), "1");
      await new Promise((resolve) => setTimeout(resolve, 450));
      assert.equal((await logIn(app, EMAIL, PASSWORD)).res.status, 303);
    }));

  Deno.test(`[${backend.name}] POST /api/tokens is throttled too, with 429 problem+json`, () =>
    withAccountsApp(backend, account3, async (app) => {
      await register(app);
      for (let i = 0; i < 3; i++) {
        assert.equal((await postTokens(app, "wrong password")).status, 401);
      }
      const res = await postTokens(app, PASSWORD);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("Content-Type"), "application/problem+json");
      assert.match(res.headers.get("Retry-After") ?? "", /^\d+$/);
      const body = await res.json();
      assert.equal(body.status, 429);
      assert.match(body.detail, /try again in \d+ (seconds?|minutes?)/);
      const db = await app.stores.accounts.db();
      assert.deepEqual(await db.selectFrom("api_tokens").selectAll().execute(), []);
      const page = await logIn(app, EMAIL, PASSWORD);
      assert.equal(page.res.status, 429, "the login page shares the account's count");
    }));

  Deno.test(`[${backend.name}] the counts live in login_failures, so a new app instance still blocks`, () =>
    withAccountsApp(backend, account3, async (app, again) => {
      await register(app);
      for (let i = 0; i < 3; i++) await logIn(app, EMAIL, "wrong password");
      const db = await app.stores.accounts.db();
      const rows = await db.selectFrom("login_failures").select("throttle_key").execute();
      const keys = rows.map((r) => r.throttle_key);
      assert.equal(keys.filter((k) => k === `account:${EMAIL}`).length, 3);
      assert.equal(keys.filter((k) => k.startsWith("client:")).length, 3);
      const second = await again();
      const { res, html } = await logIn(second, EMAIL, PASSWORD);
      assertThrottledPage(res, html, MINUTE);
    }));
}
