/**
 * BREACH: the CSRF token is masked afresh in every answer, so no secret repeats across
 * compressed pages; every masking of the session's token is accepted, the bare token is not.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { findUserByEmail } from "../db/accounts/users.ts";
import { maskToken, unmaskToken } from "../middleware/csrf.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

async function withApp(body: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await createTestApp();
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

/** Every CSRF token in a page: its forms' `_csrf` fields (htmx sends the same). */
function tokensOf(html: string): string[] {
  return [...html.matchAll(/name="_csrf" value="([^"]*)"/g)].map((m) => m[1]!);
}

/** The one token a page carries (every form and the htmx header agree within a page). */
async function pageToken(browser: TestBrowser, path: string): Promise<string> {
  const res = await browser.get(path);
  assert.equal(res.status, 200, path);
  const tokens = tokensOf(await res.text());
  assert.ok(tokens.length >= 1, `${path} carries a token`);
  assert.equal(new Set(tokens).size, 1, `${path}: one token for the whole page`);
  return tokens[0]!;
}

async function nameOf(app: TestApp): Promise<string | undefined> {
  return (await findUserByEmail(app.stores.accounts, "ann@example.org"))?.name;
}

Deno.test("two renders of the same page carry different tokens, and both are accepted", () =>
  withApp(async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const first = await pageToken(browser, "/profile");
    const second = await pageToken(browser, "/profile");
    assert.notEqual(first, second);
    const byForm = await browser.postForm("/profile", { name: "Ann First", _csrf: first });
    assert.equal(byForm.status, 303);
    assert.equal(await nameOf(app), "Ann First");
    const byHeader = await browser.request("/profile", {
      method: "POST",
      body: new URLSearchParams({ name: "Ann Second" }),
      headers: { "X-CSRF-Token": second },
    });
    assert.equal(byHeader.status, 303, "the htmx header takes a masked token too");
    assert.equal(await nameOf(app), "Ann Second");
  }));

Deno.test("a visitor's login form is masked afresh each time and logs in with either", () =>
  withApp(async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const visitor = new TestBrowser(app);
    const first = await pageToken(visitor, "/login");
    const second = await pageToken(visitor, "/login");
    assert.notEqual(first, second);
    const res = await visitor.postForm("/login", {
      email: "ann@example.org",
      password: PASSWORD,
      _csrf: first,
    });
    assert.equal(res.status, 303, "the older of the two still works");
  }));

Deno.test("the session's own token is never in a page and is refused when sent bare", () =>
  withApp(async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const masked = await pageToken(browser, "/profile");
    const secret = unmaskToken(masked)!.toString();
    assert.ok(secret.length >= 32);
    for (const path of ["/profile", "/patients", "/registries"]) {
      const html = await (await browser.get(path)).text();
      assert.ok(!html.includes(secret), `${path} does not show the token itself`);
    }
    const bare = await browser.postForm("/profile", { name: "Mallory", _csrf: secret });
    assert.equal(bare.status, 403);
    assert.equal(await nameOf(app), "Ann");
  }));

Deno.test("a masked token altered, cut short or of another session is refused", () =>
  withApp(async (app) => {
    const ann = await loggedInBrowser(app, { page: "/profile" });
    const bob = await loggedInBrowser(app, { email: "bob@example.org", name: "Bob" });
    const token = await pageToken(ann, "/profile");
    const at = Math.floor(token.length / 2); // a character whose six bits all count
    const flipped = token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
    const forged = [
      flipped,
      token.slice(0, -4),
      token + token,
      "!" + token.slice(1),
      await pageToken(bob, "/profile"),
    ];
    for (const _csrf of forged) {
      const res = await ann.postForm("/profile", { name: "Mallory", _csrf });
      assert.equal(res.status, 403, _csrf);
      await res.body?.cancel();
    }
    assert.equal(await nameOf(app), "Ann");
  }));

Deno.test("maskToken() hides any token behind fresh bytes that unmaskToken() takes off", () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 120 }), (secret) => {
      const a = maskToken(secret);
      const b = maskToken(secret);
      assert.match(a, /^[\w-]+$/, "base64url");
      assert.equal(unmaskToken(a)?.toString(), secret);
      assert.equal(unmaskToken(b)?.toString(), secret);
      if (new TextEncoder().encode(secret).length >= 8) assert.notEqual(a, b);
    }),
  );
  assert.equal(unmaskToken(""), null);
  assert.equal(unmaskToken("abcd"), null, "an odd number of bytes is no masked token");
  assert.equal(unmaskToken("a.b"), null, "nor is anything but base64url");
});
