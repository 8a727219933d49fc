/** Register, log in and log out in the browser: validation, werkzeug users, `next`, old paths, escaping. */
import { hash as bcryptHash } from "@node-rs/bcrypt";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createUser, findUserByEmail } from "../db/accounts/users.ts";
import { verifyPassword } from "../lib/passwords.ts";
import { HOME_AFTER_LOGIN } from "../middleware/require_user.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { sharedDataFile, skipWithoutData, WERKZEUG_HASHES } from "./helpers/dataset.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";
import { interleavedMedians } from "./helpers/timing.ts";

const ANN = { email: "ann@example.org", password: PASSWORD };

/** The action of the page's first form (with `&amp;` undone). */
function formAction(html: string): string {
  const match = /<form method="post" action="([^"]*)"/.exec(html);
  assert.ok(match, "the page has a form");
  return match[1]!.replaceAll("&amp;", "&");
}

function errorAlert(html: string): string | undefined {
  return /<div class="alert alert-error" role="alert">([^<]*)<\/div>/.exec(html)?.[1];
}

async function loginDataRows(app: TestApp) {
  const db = await app.stores.accounts.db();
  return await db.selectFrom("login_data").selectAll().execute();
}

function vectors(): { password: string; hash: string }[] {
  const path = sharedDataFile(WERKZEUG_HASHES);
  return path ? JSON.parse(Deno.readTextFileSync(path)).vectors : [];
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  // First in the file: the dummy hash for unknown emails is made once, at the first call's cost.
  Deno.test(`[${backend.name}] an unknown email takes about as long as a wrong password`, () =>
    withAccountsApp(backend, { bcryptCost: 10 }, async (app) => {
      await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
      const browser = new TestBrowser(app);
      await browser.get("/login");
      const attempt = (email: string) => () =>
        browser.postForm("/login", { email, password: "wrong!" });
      // Three of each (the account's limit is five failures).
      const [wrongPassword, unknownEmail] = await interleavedMedians(
        attempt("ann@example.org"),
        attempt("nobody@example.org"),
        3,
      );
      const ratio = unknownEmail / wrongPassword;
      assert.ok(ratio > 0.5 && ratio < 2, `unknown ${unknownEmail} ms, wrong ${wrongPassword} ms`);
    }));

  test("registering logs in and stores a trimmed, lower-cased email and a bcrypt hash", async (app) => {
    const browser = new TestBrowser(app);
    const res = await browser.register("Ann Lee", "  Ann.Lee@Example.ORG ", PASSWORD);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), HOME_AFTER_LOGIN);
    const profile = await browser.get("/profile");
    assert.equal(profile.status, 200);
    assert.match(await profile.text(), /Signed in as ann\.lee@example\.org/);
    const [row] = await loginDataRows(app);
    assert.equal(row?.email, "ann.lee@example.org");
    assert.equal(row?.name, "Ann Lee");
    assert.match(row?.password ?? "", /^\$2[aby]\$04\$/);
    assert.equal(await verifyPassword(PASSWORD, row!.password!), true);
  });

  test("the register form names each problem next to its field and keeps name and email", async (app) => {
    const valid = { name: "Ann", email: "Ann@Example.org", password: PASSWORD };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: " " }, "name", /Enter your name/],
      [{ email: "not-an-email" }, "email", /Enter a valid email address/],
      [{ password: "seven77" }, "password", /at least 8 characters/],
      [{ password: "x".repeat(129) }, "password", /at most 128/],
      [{ confirm_password: `${PASSWORD}!` }, "confirm_password", /passwords do not match/],
    ];
    const browser = new TestBrowser(app);
    await browser.get("/register");
    for (const [change, field, message] of cases) {
      const fields = { ...valid, confirm_password: change.password ?? PASSWORD, ...change };
      const res = await browser.postForm("/register", fields);
      const html = await res.text();
      assert.equal(res.status, 422, field);
      assert.match(html, new RegExp(`<p class="field-error" id="${field}-error" role="alert">`));
      assert.match(html, message);
      if (field !== "email") assert.match(html, /type="email" value="ann@example.org"/);
      if (field !== "name") assert.match(html, /name="name" type="text" value="Ann"/);
      assert.ok(!html.includes(`value="${fields.password}"`), "the password is not sent back");
    }
    assert.equal((await loginDataRows(app)).length, 0);
  });

  test("a 128-character password registers and logs in, with no cut at 72 bytes", async (app) => {
    const long = "Ab1-".repeat(32);
    assert.equal((await new TestBrowser(app).register("Ann", "ann@example.org", long)).status, 303);
    const cut = await new TestBrowser(app).logIn("ann@example.org", long.slice(0, 72));
    assert.equal(cut.status, 401);
    const full = await new TestBrowser(app).logIn("ann@example.org", long);
    assert.equal(full.status, 303);
  });

  test("an email already registered in another capitalisation is refused", async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const res = await new TestBrowser(app).register("Other Ann", "  ANN@Example.ORG", PASSWORD);
    assert.equal(res.status, 422);
    assert.match(await res.text(), /An account with this email already exists/);
    assert.deepEqual((await loginDataRows(app)).map((r) => r.name), ["Ann"]);
  });

  test("an unknown email and a wrong password get the same 401 and message", async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const wrong = await new TestBrowser(app).logIn("ann@example.org", "not the password");
    const unknown = await new TestBrowser(app).logIn("nobody@example.org", PASSWORD);
    const [wrongHtml, unknownHtml] = [await wrong.text(), await unknown.text()];
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(errorAlert(wrongHtml), "The email or password is not correct.");
    assert.equal(errorAlert(unknownHtml), errorAlert(wrongHtml));
    assert.match(unknownHtml, /value="nobody@example.org"/, "the email is kept");
    const anyCase = await new TestBrowser(app).logIn(" ANN@example.org ", PASSWORD);
    assert.equal(anyCase.status, 303, "the email matches in any capitalisation");
  });

  test("logging out by POST ends the session, and GET /logout does not", async (app) => {
    const browser = new TestBrowser(app);
    await browser.register("Ann", "ann@example.org", PASSWORD);
    await browser.get("/profile");
    assert.equal((await browser.get("/logout")).status, 404);
    assert.equal((await browser.get("/profile")).status, 200, "still logged in");
    const res = await browser.postForm("/logout", {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/login?logged_out");
    assert.match(await (await browser.get("/login?logged_out")).text(), /You have logged out\./);
    assert.equal((await browser.get("/profile")).status, 303);
  });

  Deno.test({
    name: `[${backend.name}] a user with each werkzeug hash logs in and gets a bcrypt hash`,
    ignore: skipWithoutData(WERKZEUG_HASHES),
    fn: () =>
      withAccountsApp(backend, {}, async (app) => {
        for (const [i, vector] of vectors().entries()) {
          const email = `seed${i}@example.org`;
          await createUser(app.stores.accounts, { name: "Seed", email, passwordHash: vector.hash });
          const wrong = await new TestBrowser(app).logIn(email, `${vector.password}?`);
          assert.equal(wrong.status, 401, vector.hash);
          const kept = await findUserByEmail(app.stores.accounts, email);
          assert.equal(kept?.passwordHash, vector.hash, "a failed login keeps the old hash");
          const res = await new TestBrowser(app).logIn(email, vector.password);
          assert.equal(res.status, 303, vector.hash);
          const stored = (await findUserByEmail(app.stores.accounts, email))!.passwordHash;
          assert.match(stored, /^\$2[aby]\$04\$/, "replaced by bcrypt at the configured cost");
          assert.equal(await verifyPassword(vector.password, stored), true);
          const again = await new TestBrowser(app).logIn(email, vector.password);
          assert.equal(again.status, 303, "the new hash works");
        }
      }),
  });

  test("a long password's SHA-256 does not log in, and an old hash is upgraded at login", async (app) => {
    const password = "a long passphrase that goes on and on ".repeat(3); // 114 bytes
    const digest = createHash("sha256").update(password, "utf8").digest("base64");
    // As the app stored long passwords before: bcrypt of the base64 SHA-256.
    await createUser(app.stores.accounts, {
      name: "Old",
      email: "old@example.org",
      passwordHash: await bcryptHash(digest, 4),
    });
    assert.equal((await new TestBrowser(app).logIn("old@example.org", digest)).status, 401);
    assert.equal((await new TestBrowser(app).logIn("old@example.org", password)).status, 303);
    const upgraded = (await findUserByEmail(app.stores.accounts, "old@example.org"))!;
    assert.doesNotMatch(upgraded.passwordHash, /^\$2[aby]\$/, "no longer the old plain form");
    assert.equal((await new TestBrowser(app).logIn("old@example.org", digest)).status, 401);
    assert.equal((await new TestBrowser(app).logIn("old@example.org", password)).status, 303);
    const fresh = new TestBrowser(app);
    assert.equal((await fresh.register("New", "new@example.org", password)).status, 303);
    assert.equal((await new TestBrowser(app).logIn("new@example.org", digest)).status, 401);
  });

  test("a private page sends a logged-out visitor to log in and then back", async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const browser = new TestBrowser(app);
    const asked = await browser.get("/profile?tab=tokens");
    assert.equal(asked.status, 303);
    const login = asked.headers.get("Location")!;
    assert.equal(login, "/login?next=%2Fprofile%3Ftab%3Dtokens");
    const page = await (await browser.get(login)).text();
    assert.match(page, /Please log in to continue\./);
    assert.equal(formAction(page), login);
    const res = await browser.postForm(formAction(page), ANN);
    assert.equal(res.headers.get("Location"), "/profile?tab=tokens");
  });

  test("next pointing off the site is ignored on log in, register and the login page", async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const attempts = [
      "//evil.example",
      "///evil.example/x",
      "https://evil.example/",
      "/\\evil.example",
      "/\t/evil.example",
      "javascript:alert(1)",
      "evil.example",
      // Dot segments that normalise to a network path.
      "/.//evil.example",
      "/..//evil.example",
      "/%2e//evil.example",
      "/%2E%2E//evil.example",
      "/a/..//evil.example",
      "/./\\evil.example",
    ];
    for (const [i, next] of attempts.entries()) {
      const query = `?next=${encodeURIComponent(next)}`;
      const browser = new TestBrowser(app);
      const page = await (await browser.get(`/login${query}`)).text();
      assert.equal(formAction(page), "/login", `no next in the form for ${next}`);
      const login = await browser.postForm(`/login${query}`, ANN);
      assert.equal(login.headers.get("Location"), HOME_AFTER_LOGIN, next);
      const loggedIn = await browser.get(`/login${query}`);
      assert.equal(loggedIn.headers.get("Location"), HOME_AFTER_LOGIN, next);
      const fresh = new TestBrowser(app);
      await fresh.get("/register");
      const email = `user${i}@example.org`;
      const fields = { name: "U", email, password: PASSWORD, confirm_password: PASSWORD };
      const registered = await fresh.postForm(`/register${query}`, fields);
      assert.equal(registered.headers.get("Location"), HOME_AFTER_LOGIN, next);
      for (const res of [login, loggedIn, registered]) {
        assert.doesNotMatch(res.headers.get("Location") ?? "", /^\/[\/\\]/, next);
      }
    }
  });

  test("the original app's /home and /update_password redirect to their new pages", async (app) => {
    for (const [old, now] of [["/home", "/"], ["/update_password", "/profile#password"]] as const) {
      const res = await app.request(old);
      assert.equal(res.status, 301, old);
      assert.equal(res.headers.get("Location"), now, old);
    }
  });

  test("a name with <script> shows as text in the navigation, the profile and the forms", async (app) => {
    const name = `<script>alert(1)</script>"'`;
    const refused = new TestBrowser(app);
    await refused.get("/register");
    const bad = { name, email: "bad", password: "x", confirm_password: "x" };
    const formHtml = await (await refused.postForm("/register", bad)).text();
    assert.doesNotMatch(formHtml, /<script>alert/);
    assert.match(formHtml, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;"/);
    const browser = new TestBrowser(app);
    await browser.register(name, "ann@example.org", PASSWORD);
    const html = await (await browser.get("/profile")).text();
    assert.doesNotMatch(html, /<script>alert/);
    const escaped = html.match(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/g) ?? [];
    assert.ok(escaped.length >= 3, "in the welcome message, the navigation and the name field");
    assert.match(html, /class="nav-user"[^]*&lt;script&gt;alert/);
  });

  test("the auth and profile pages carry the CSP and the other security headers", async (app) => {
    const browser = new TestBrowser(app);
    await browser.register("Ann", "ann@example.org", PASSWORD);
    for (const path of ["/login", "/register", "/profile"]) {
      const res = await browser.get(path);
      await res.body?.cancel();
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /style-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers.get("X-Content-Type-Options"), "nosniff", path);
      assert.equal(res.headers.get("Referrer-Policy"), "same-origin", path);
    }
    const profile = await browser.get("/profile", { "X-Forwarded-Proto": "https" });
    await profile.body?.cancel();
    assert.equal(profile.headers.get("Cache-Control"), "no-store");
    assert.match(profile.headers.get("Strict-Transport-Security") ?? "", /^max-age=\d{7,}/);
  });
}
