/** Throttling under bursts of concurrent requests: a limit that parallel requests get past is not a limit. */
import assert from "node:assert/strict";
import type { ThrottleRule } from "../config.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { burst } from "./helpers/concurrency.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";
const MINUTE = 60_000;
const LOOSE: ThrottleRule = { limit: 1000, windowMs: MINUTE };

function postTokens(app: TestApp, email: string, password: string, address?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (address) headers["X-Forwarded-For"] = address;
  return app.request("/api/tokens", {
    method: "POST",
    headers,
    body: JSON.stringify({ email, password }),
  });
}

async function register(app: TestApp, email = EMAIL): Promise<void> {
  assert.equal((await new TestBrowser(app).register("Ann", email, PASSWORD)).status, 303);
}

for (const backend of accountBackends()) {
  const test = (name: string, security: object, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, security, fn));

  test(
    "30 concurrent wrong passwords for one account check only the first 5",
    { throttle: { account: { limit: 5, windowMs: MINUTE }, client: LOOSE, register: LOOSE } },
    async (app) => {
      await register(app);
      const counts = await burst(
        Array.from({ length: 30 }, () => () => postTokens(app, EMAIL, "wrong password")),
      );
      assert.deepEqual(counts, { 401: 5, 429: 25 });
      const right = await postTokens(app, EMAIL, PASSWORD);
      await right.body?.cancel();
      assert.equal(right.status, 429, "after the burst even the right password waits");
      assert.match(right.headers.get("Retry-After") ?? "", /^\d+$/);
    },
  );

  test(
    "the right password hidden in a burst of 40 guesses is not accepted",
    { throttle: { account: { limit: 5, windowMs: MINUTE }, client: LOOSE, register: LOOSE } },
    async (app) => {
      await register(app);
      const guesses = Array.from({ length: 40 }, (_, i) => i === 20 ? PASSWORD : `guess ${i}`);
      const counts = await burst(guesses.map((password) => () => postTokens(app, EMAIL, password)));
      assert.equal(counts[201] ?? 0, 0, JSON.stringify(counts));
      assert.equal(counts[401], 5, JSON.stringify(counts));
    },
  );

  test(
    "60 concurrent guesses across accounts from one client stop at the client's limit of 20",
    {
      throttle: { account: LOOSE, client: { limit: 20, windowMs: MINUTE }, register: LOOSE },
      trustProxy: true,
    },
    async (app) => {
      const attacker = "203.0.113.9";
      const counts = await burst(
        Array.from(
          { length: 60 },
          (_, i) => () => postTokens(app, `user${i}@example.org`, "guess", attacker),
        ),
      );
      assert.deepEqual(counts, { 401: 20, 429: 40 });
      const other = await postTokens(app, "x@example.org", "guess", "198.51.100.1");
      await other.body?.cancel();
      assert.equal(other.status, 401, "another client is not blocked");
    },
  );

  test(
    "concurrent logins through the form are held to the same limit",
    { throttle: { account: { limit: 3, windowMs: MINUTE }, client: LOOSE, register: LOOSE } },
    async (app) => {
      await register(app);
      const browsers = await Promise.all(Array.from({ length: 12 }, async () => {
        const browser = new TestBrowser(app);
        await browser.get("/login");
        return browser;
      }));
      const counts = await burst(
        browsers.map((b) => () => b.postForm("/login", { email: EMAIL, password: "wrong" })),
      );
      assert.deepEqual(counts, { 401: 3, 429: 9 });
    },
  );

  test(
    "concurrent re-entries of the password on the profile are held to the account's limit",
    { throttle: { account: { limit: 3, windowMs: MINUTE }, client: LOOSE, register: LOOSE } },
    async (app) => {
      const browser = new TestBrowser(app);
      assert.equal((await browser.register("Ann", EMAIL, PASSWORD)).status, 303);
      await browser.get("/profile");
      const counts = await burst(
        Array.from({ length: 10 }, () => () =>
          browser.postForm("/profile/password", {
            old_password: "wrong",
            new_password: "a new password 1",
            confirm_new_password: "a new password 1",
          })),
      );
      assert.deepEqual(counts, { 422: 3, 429: 7 });
    },
  );

  test(
    "registrations from one client address are throttled with 429 and Retry-After",
    {
      throttle: { account: LOOSE, client: LOOSE, register: { limit: 3, windowMs: MINUTE } },
      trustProxy: true,
    },
    async (app) => {
      const from = (address: string, i: number) => async () => {
        const browser = new TestBrowser(app);
        const headers = { "X-Forwarded-For": address };
        await browser.get("/register", headers);
        return browser.postForm("/register", {
          name: "Eve",
          email: `eve${i}@example.org`,
          password: PASSWORD,
          confirm_password: PASSWORD,
        }, headers);
      };
      const counts = await burst(Array.from({ length: 8 }, (_, i) => from("203.0.113.7", i)));
      assert.deepEqual(counts, { 303: 3, 429: 5 });
      const res = await from("203.0.113.7", 100)();
      const html = await res.text();
      assert.equal(res.status, 429);
      assert.match(res.headers.get("Retry-After") ?? "", /^\d+$/);
      assert.match(html, /Too many new accounts from your network/);
      assert.equal((await from("198.51.100.2", 101)()).status, 303, "other clients register");
    },
  );

  test(
    "a taken email is refused without spending a password hash, and counts against the limit",
    {
      throttle: { account: LOOSE, client: LOOSE, register: { limit: 2, windowMs: MINUTE } },
      // A hash at cost 14 takes over a second here: an answer faster than that spent none.
      bcryptCost: 14,
    },
    async (app) => {
      await register(app);
      const again = async () => {
        const browser = new TestBrowser(app);
        await browser.get("/register");
        return browser.postForm("/register", {
          name: "Ann",
          email: EMAIL,
          password: PASSWORD,
          confirm_password: PASSWORD,
        });
      };
      const started = performance.now();
      const first = await again();
      const ms = performance.now() - started;
      assert.equal(first.status, 422);
      assert.ok(ms < 500, `answered in ${ms.toFixed(0)} ms, so no password was hashed`);
      assert.match(await first.text(), /An account with this email already exists/);
      assert.equal((await again()).status, 429, "the registration limit covers taken emails");
    },
  );
}
