/**
 * Forgot password, on both account stores: one answer whatever the email, a link by real mail
 * (Mailpit) that works once within 30 minutes, ends every session and revokes every token, two
 * uses at once of which one wins, throttling, an installation without SMTP saying so, a failed
 * send only logged, the second factor still asked, and `deno task admin reset-link`.
 */
import assert from "node:assert/strict";
import type { Config } from "../config.ts";
import type { AccountsDb } from "../db/accounts/database.ts";
import { setLocked } from "../db/accounts/admin.ts";
import { createPasswordReset, RESET_LINK_MS } from "../db/accounts/password_resets.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import { adminCommand } from "../scripts/admin.ts";
import { createTestApp, requestToken, type TestApp, testConfig } from "./helpers/app.ts";
import {
  accountBackends,
  type Backend,
  dropMysqlDatabase,
  mysqlServer,
  scriptAccounts,
} from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import {
  linkIn,
  mailpitServer,
  messagesTo,
  skipWithoutMailpit,
  testMailConfig,
  uniqueAddress,
  waitForMail,
} from "./helpers/mailpit.ts";
import { TestBrowser } from "./helpers/test_browser.ts";
import { enrolled } from "./helpers/two_factor.ts";

/** Where the in-process test browser's requests go. */
const ORIGIN = "http://127.0.0.1:5000";
const NEW_PASSWORD = "a brand new passphrase";
const mailpit = mailpitServer();
const noMailpit = skipWithoutMailpit("tests/forgot_password_test.ts (mail received in Mailpit)");

/** Mail to a port where nothing listens: for tests in which no message is ever due. */
function unreachableMail() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return { smtpUrl: `smtp://127.0.0.1:${port}`, from: "noreply@spm.test" };
}

/** An app on a fresh accounts database of `backend`, with `overrides` (links at ORIGIN). */
async function withApp(
  backend: Backend<AccountsDb>,
  overrides: Partial<Config>,
  body: (app: TestApp) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = await Deno.makeTempDir({ prefix: "spm-reset-" });
  const config = testConfig({ dataDir: dir, publicUrl: ORIGIN, ...overrides });
  const app = await createTestApp(
    { accounts: opened.value, patients: openSqlitePatientStore(dir) },
    config,
  );
  try {
    await body(app);
  } finally {
    await app.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A registered account; returns its browser, logged in. */
async function registered(app: TestApp, email: string): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  assert.equal((await browser.register("Ada", email, PASSWORD)).status, 303);
  return browser;
}

/** Asks for a link as a logged-out visitor would; returns the answer and the browser. */
async function askForLink(app: TestApp, email: string) {
  const browser = new TestBrowser(app);
  await browser.get("/forgot-password");
  const res = await browser.postForm("/forgot-password", { email });
  return { res, browser };
}

/** Opens a link (absolute or a path) and sets `password` through its form. */
async function useLink(app: TestApp, link: string, password = NEW_PASSWORD) {
  const browser = new TestBrowser(app);
  const path = new URL(link, ORIGIN).pathname;
  const page = await browser.get(path);
  if (page.status !== 200) return page;
  return await browser.postForm(path, {
    new_password: password,
    confirm_new_password: password,
  });
}

async function resetRows(app: TestApp) {
  const db = await app.stores.accounts.db();
  return await db.selectFrom("password_resets").selectAll().execute();
}

for (const backend of accountBackends()) {
  const withMail = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test({
      name: `[${backend.name}] ${name}`,
      ignore: noMailpit,
      fn: () => withApp(backend, { mail: testMailConfig(mailpit!) }, fn),
    });
  const test = (name: string, overrides: Partial<Config>, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withApp(backend, overrides, fn));

  withMail(
    "the answer is the same for a known, an unknown and a locked email; only the known one gets mail",
    async (app) => {
      const known = uniqueAddress("known");
      const unknown = uniqueAddress("unknown");
      const locked = uniqueAddress("locked");
      await registered(app, known);
      await registered(app, locked);
      const lockedUser = await findUserByEmail(app.stores.accounts, locked);
      await setLocked(app.stores.accounts, lockedUser!.id, true);

      const answers = [];
      for (const email of [known, unknown, locked]) {
        const { res, browser } = await askForLink(app, email.toUpperCase());
        const page = await browser.get(res.headers.get("Location")!);
        answers.push({
          status: res.status,
          location: res.headers.get("Location"),
          body: await res.text(),
          page: parseDom(await page.text()).text("main"),
        });
      }
      assert.equal(answers[0]!.status, 303);
      assert.equal(answers[0]!.location, "/forgot-password?sent");
      assert.match(answers[0]!.page, /If an account has this email, we have sent it a link/);
      assert.deepEqual(answers[1], answers[0]);
      assert.deepEqual(answers[2], answers[0]);

      const [mail] = await waitForMail(mailpit!, known);
      assert.match(mail!.subject, /Reset your Stroke Patient Management password/);
      assert.ok(linkIn(mail!, "/reset-password/").startsWith(`${ORIGIN}/reset-password/`));
      await app.mailer.idle();
      assert.deepEqual(await messagesTo(mailpit!, unknown), []);
      assert.deepEqual(await messagesTo(mailpit!, locked), [], "a locked account gets nothing");
      const rows = await resetRows(app);
      assert.equal(rows.length, 3, "each request wrote one row, known or not");
      assert.equal(rows.filter((r) => Number(r.user_id) > 0).length, 1, "one names an account");
    },
  );

  withMail(
    "the link from the email works once: it sets the password, ends every session and revokes every token",
    async (app) => {
      const email = uniqueAddress("ada");
      const session = await registered(app, email);
      const token = (await (await requestToken(app, email)).json()).token;
      assert.equal((await session.get("/profile")).status, 200);
      const bearer = { headers: { Authorization: `Bearer ${token}` } };
      assert.equal((await app.request("/api/patient_data", bearer)).status, 200);

      assert.equal((await askForLink(app, email)).res.status, 303);
      const [mail] = await waitForMail(mailpit!, email);
      const link = linkIn(mail!, "/reset-password/");
      assert.match(mail!.text, /works once, within 30 minutes/);

      // The form, then a refusal that keeps the link usable, then the new password.
      const browser = new TestBrowser(app);
      const path = new URL(link).pathname;
      const form = parseDom(await (await browser.get(path)).text());
      assert.match(form.text("main"), new RegExp(`For the account ${email}`));
      assert.ok(form.find('input[name="new_password"][type="password"]'));
      const mismatch = await browser.postForm(path, {
        new_password: NEW_PASSWORD,
        confirm_new_password: "something else",
      });
      assert.equal(mismatch.status, 422);
      assert.match(parseDom(await mismatch.text()).text("main"), /The two passwords do not match/);
      const short = await browser.postForm(path, {
        new_password: "short",
        confirm_new_password: "short",
      });
      assert.equal(short.status, 422);
      assert.match(parseDom(await short.text()).text("main"), /Use at least 8 characters/);
      const done = await browser.postForm(path, {
        new_password: NEW_PASSWORD,
        confirm_new_password: NEW_PASSWORD,
      });
      assert.equal(done.status, 303);
      assert.equal(done.headers.get("Location"), "/reset-password/done");
      const donePage = parseDom(await (await browser.get("/reset-password/done")).text());
      assert.match(donePage.text("main"), /Your password is changed/);
      assert.ok(donePage.find('a[href="/login"]'));

      // The open session is logged out, the token answers 401.
      const after = await session.get("/profile");
      assert.equal(after.status, 303);
      assert.match(after.headers.get("Location") ?? "", /^\/login/);
      assert.equal((await app.request("/api/patient_data", bearer)).status, 401);
      // The old password no longer works, the new one does.
      assert.equal((await new TestBrowser(app).logIn(email, PASSWORD)).status, 401);
      assert.equal((await new TestBrowser(app).logIn(email, NEW_PASSWORD)).status, 303);

      // A second use, of the page or the form, is refused on one clear page.
      for (
        const res of [await browser.get(path), await useLink(app, link, "yet another password")]
      ) {
        assert.equal(res.status, 410);
        const page = parseDom(await res.text());
        assert.match(page.text("main"), /This link cannot be used/);
        assert.ok(page.find('a[href="/forgot-password"]'));
      }
      assert.equal((await new TestBrowser(app).logIn(email, NEW_PASSWORD)).status, 303);

      // Audited, and the token is in no log line.
      const user = await findUserByEmail(app.stores.accounts, email);
      const { items } = await app.stores.patients.audit.search({ action: "password_reset" }, {
        offset: 0,
        limit: 10,
      });
      assert.equal(items.length, 1);
      assert.equal(items[0]!.owner_id, user!.id);
      assert.deepEqual(items[0]!.details, { via: "email", sessions_ended: 1, tokens_revoked: 1 });
      const secret = path.split("/").pop()!;
      assert.ok(!app.logs.some((line) => line.includes(secret)), "the token is never logged");
      assert.ok(app.logs.some((line) => line.includes("POST /reset-password/… 303")));
    },
  );

  withMail(
    "two uses of one link at once: one sets its password, the other is refused",
    async (app) => {
      const email = uniqueAddress("race");
      await registered(app, email);
      await askForLink(app, email);
      const link = linkIn((await waitForMail(mailpit!, email))[0]!, "/reset-password/");
      const first = new TestBrowser(app);
      const second = new TestBrowser(app);
      const path = new URL(link).pathname;
      await first.get(path);
      await second.get(path);
      const answers = await Promise.all([
        first.postForm(path, {
          new_password: "first password!",
          confirm_new_password: "first password!",
        }),
        second.postForm(path, {
          new_password: "second password",
          confirm_new_password: "second password",
        }),
      ]);
      assert.deepEqual(answers.map((r) => r.status).sort(), [303, 410]);
      const winner = answers[0]!.status === 303 ? "first password!" : "second password";
      const loser = winner === "first password!" ? "second password" : "first password!";
      assert.equal((await new TestBrowser(app).logIn(email, winner)).status, 303);
      assert.equal((await new TestBrowser(app).logIn(email, loser)).status, 401);
    },
  );

  Deno.test({
    name:
      `[${backend.name}] without PUBLIC_URL the link takes the address ALLOWED_HOSTS has checked`,
    ignore: noMailpit,
    fn: () =>
      withApp(backend, {
        mail: testMailConfig(mailpit!),
        publicUrl: null,
        security: { ...testConfig().security, allowedHosts: ["127.0.0.1:5000"] },
      }, async (app) => {
        const email = uniqueAddress("hosted");
        await registered(app, email);
        await askForLink(app, email);
        const link = linkIn((await waitForMail(mailpit!, email))[0]!, "/reset-password/");
        assert.ok(link.startsWith("http://127.0.0.1:5000/reset-password/"), link);
        assert.equal((await useLink(app, link)).status, 303);
      }),
  });

  test(
    "an expired link is refused and changes nothing",
    { mail: unreachableMail() },
    async (app) => {
      const email = "late@example.org";
      await registered(app, email);
      const old = await createPasswordReset(
        app.stores.accounts,
        email,
        "email",
        Date.now() - RESET_LINK_MS - 1000,
      );
      const browser = new TestBrowser(app);
      const path = `/reset-password/${old.token}`;
      assert.equal((await browser.get(path)).status, 410);
      await browser.get("/forgot-password"); // a page with a form, for the CSRF token
      const res = await browser.postForm(path, {
        new_password: NEW_PASSWORD,
        confirm_new_password: NEW_PASSWORD,
      });
      assert.equal(res.status, 410);
      assert.match(parseDom(await res.text()).text("main"), /works once, within 30 minutes/);
      assert.equal((await new TestBrowser(app).logIn(email, PASSWORD)).status, 303);
      // A made-up or truncated link gets the same page.
      for (const bad of ["abc", "x".repeat(43), old.token.slice(0, 40)]) {
        assert.equal((await browser.get(`/reset-password/${bad}`)).status, 410, bad);
      }
    },
  );

  test("asking too often for one email, or from one client, answers 429 with Retry-After", {
    mail: unreachableMail(), // the emails have no account: nothing is ever sent
    security: {
      ...testConfig().security,
      resetThrottle: {
        email: { limit: 2, windowMs: 60_000 },
        client: { limit: 4, windowMs: 60_000 },
      },
    },
  }, async (app) => {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await askForLink(app, "Same@Example.org")).res.status);
    }
    assert.deepEqual(statuses, [303, 303, 429]);
    const { res } = await askForLink(app, "same@example.org ");
    assert.equal(res.status, 429, "the same email in another spelling");
    assert.ok(Number(res.headers.get("Retry-After")) > 0);
    assert.match(parseDom(await res.text()).text("main"), /Too many reset links were asked for/);
    // Two more emails fill the client's limit (4, refused requests not counted).
    assert.equal((await askForLink(app, "other1@example.org")).res.status, 303);
    assert.equal((await askForLink(app, "other2@example.org")).res.status, 303);
    assert.equal((await askForLink(app, "other3@example.org")).res.status, 429);
  });

  test("without SMTP the page says no email is sent, and asking makes no link", {}, async (app) => {
    const email = mailpit ? uniqueAddress("nosmtp") : "nosmtp@example.org";
    await registered(app, email);
    const page = parseDom(await (await new TestBrowser(app).get("/forgot-password")).text());
    assert.match(page.text("main"), /This installation does not send email/);
    assert.match(page.text("main"), /Ask an administrator for a reset link/);
    assert.equal(page.find('form[action="/forgot-password"]'), null, "no form that cannot work");
    // A form posted anyway (an old page, a script): still nothing.
    const browser = new TestBrowser(app);
    await browser.get("/login"); // a page with a form, for the CSRF token
    const res = await browser.postForm("/forgot-password", { email });
    assert.equal(res.status, 200);
    assert.match(parseDom(await res.text()).text("main"), /This installation does not send email/);
    assert.deepEqual(await resetRows(app), []);
    await app.mailer.idle();
    if (mailpit) assert.deepEqual(await messagesTo(mailpit, email), []);
  });

  test("a mail server that fails is logged with the request id; the asker sees the usual answer", {
    mail: unreachableMail(),
  }, async (app) => {
    await registered(app, "ada@example.org");
    const { res } = await askForLink(app, "ada@example.org");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/forgot-password?sent");
    await app.mailer.idle();
    const requestId = res.headers.get("X-Request-Id")!;
    const line = app.logs.find((l) => l.includes(`${requestId} mail (password reset)`));
    assert.match(line ?? "", /could not be sent: The mail server did not take the message/);
  });

  test(
    "a reset does not skip the second factor: the next login still asks for the code",
    {},
    async (app) => {
      const email = "twofactor@example.org";
      const user = await enrolled(app, email);
      const reset = await createPasswordReset(app.stores.accounts, email, "admin");
      assert.equal((await useLink(app, `/reset-password/${reset.token}`)).status, 303);
      assert.equal((await user.browser.get("/profile")).status, 303, "its session ended");
      const login = await new TestBrowser(app).logIn(email, NEW_PASSWORD);
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("Location"), "/login/code");
    },
  );

  test("the login page links to the forgot-password page", {}, async (app) => {
    const page = parseDom(await (await new TestBrowser(app).get("/login")).text());
    assert.match(page.text('a[href="/forgot-password"]'), /Forgot your password\?/);
  });
}

const mysql = mysqlServer();

for (const store of ["sqlite", "mysql"] as const) {
  Deno.test({
    name: `[${store}] deno task admin reset-link prints a link that works once`,
    ignore: store === "mysql" && mysql === null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "spm-reset-link-" });
      const { accounts, env, database } = scriptAccounts(store, dir, mysql);
      const app = await createTestApp(
        { accounts, patients: openSqlitePatientStore(dir) },
        testConfig({ dataDir: dir }),
        { serve: true },
      );
      try {
        await registered(app, "ada@example.org");
        const out: string[] = [];
        const err: string[] = [];
        const run = (extra: Record<string, string>, ...args: string[]) =>
          adminCommand(args, { ...env, ...extra }, (l) => out.push(l), (l) => err.push(l));

        assert.equal(await run({ PUBLIC_URL: app.origin! }, "reset-link", " Ada@Example.org "), 0);
        assert.equal(out.length, 1);
        const link = out[0]!;
        assert.match(link, new RegExp(`^${app.origin}/reset-password/[A-Za-z0-9_-]{43}$`));
        assert.match(err.join("\n"), /works once, within 30 minutes/);
        // The printed link, opened as printed.
        const page = await fetch(link);
        assert.equal(page.status, 200);
        assert.match(parseDom(await page.text()).text("main"), /Choose a new password/);
        assert.equal((await useLink(app, link)).status, 303);
        assert.equal((await useLink(app, link)).status, 410);
        assert.equal(
          (await new TestBrowser(app).logIn("ada@example.org", NEW_PASSWORD)).status,
          303,
        );
        const { items } = await app.stores.patients.audit.search({ action: "password_reset" }, {
          offset: 0,
          limit: 5,
        });
        assert.equal(items[0]?.details?.via, "admin_link");

        // Without PUBLIC_URL: the path, and a note saying so.
        out.length = 0;
        err.length = 0;
        assert.equal(await run({}, "reset-link", "ada@example.org"), 0);
        assert.match(out[0]!, /^\/reset-password\/[A-Za-z0-9_-]{43}$/);
        assert.match(err[0]!, /PUBLIC_URL is not set, so this is the link's path/);
        assert.equal((await useLink(app, out[0]!, "the third password")).status, 303);

        // No such account, a locked one: a clear refusal and no link.
        out.length = 0;
        err.length = 0;
        assert.equal(await run({}, "reset-link", "nobody@example.org"), 1);
        const ada = await findUserByEmail(accounts, "ada@example.org");
        await setLocked(accounts, ada!.id, true);
        assert.equal(await run({}, "reset-link", "ada@example.org"), 1);
        assert.deepEqual(out, []);
        assert.match(err[0]!, /^No account has the email nobody@example.org/);
        assert.match(err[1]!, /^ada@example.org is locked: unlock it on \/admin first/);
      } finally {
        await app.close();
        if (store === "mysql") await dropMysqlDatabase(mysql!, database);
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}
