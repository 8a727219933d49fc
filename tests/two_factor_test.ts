/** The second factor in the browser: enrolment, the login's code step, replays, recovery codes, turning it off. */
import assert from "node:assert/strict";
import { TOTP_ISSUER } from "../components/TwoFactorCard.tsx";
import { setLocked } from "../db/accounts/admin.ts";
import { twoFactorEnabled } from "../db/accounts/two_factor.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import { qrSvg } from "../lib/qr_svg.ts";
import { hashRecoveryCode } from "../lib/recovery_codes.ts";
import { otpauthUri } from "../lib/totp.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";
import { isLoggedIn } from "./helpers/logged_in.ts";
import { codeAt, enrolled, passwordStep, wrongCode } from "./helpers/two_factor.ts";

const EMAIL = "ann@example.org";

async function db(app: TestApp) {
  return await app.stores.accounts.db();
}

async function idOf(app: TestApp, email: string): Promise<number> {
  return (await findUserByEmail(app.stores.accounts, email))!.id;
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("the setup shows the key as a QR code and as text, and takes effect only after a current code", async (app) => {
    const browser = new TestBrowser(app);
    await browser.register("Ann", EMAIL, PASSWORD);
    await browser.get("/profile");
    await browser.postForm("/profile/two-factor/setup", {});
    const page = parseDom(await (await browser.get("/profile")).text());
    const secret = page.text("#totp-key").replaceAll(" ", "");
    const uri = otpauthUri({ secret, account: EMAIL, issuer: TOTP_ISSUER });
    const svg = page.get("#two-factor .qr-code svg");
    assert.equal(svg.getAttribute("role"), "img");
    const expected = parseDom(qrSvg(uri)).get("path").getAttribute("d");
    assert.equal(
      svg.querySelector("path")?.getAttribute("d"),
      expected,
      "the QR code is the key's URI",
    );

    const wrong = await browser.postForm("/profile/two-factor/enable", { code: wrongCode(secret) });
    assert.equal(wrong.status, 422);
    assert.match(parseDom(await wrong.text()).text("#setup-code-error"), /not the current code/);
    assert.deepEqual(
      await twoFactorEnabled(app.stores.accounts, [await idOf(app, EMAIL)]),
      new Set(),
    );
    const other = new TestBrowser(app);
    assert.equal((await other.logIn(EMAIL, PASSWORD)).headers.get("Location"), "/patients");

    const on = await browser.postForm("/profile/two-factor/enable", { code: await codeAt(secret) });
    assert.equal(on.status, 200);
    const shown = parseDom(await on.text());
    assert.match(shown.text("#two-factor"), /On since .* 10 recovery codes left/);
    const codes = shown.all(".recovery-codes li").map((li) => li.textContent ?? "");
    assert.equal(new Set(codes).size, 10);
    const rows = await (await db(app)).selectFrom("recovery_codes").selectAll().execute();
    assert.deepEqual(rows.map((r) => r.code_hash).sort(), codes.map(hashRecoveryCode).sort());
    assert.ok(rows.every((r) => !codes.some((code) => r.code_hash.includes(code))));
    const again = parseDom(await (await browser.get("/profile")).text());
    assert.equal(again.all(".recovery-codes li").length, 0, "the codes are shown once");
  });

  test("logging in asks for the code after the password, and only both start a session", async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const browser = await passwordStep(app, EMAIL, "?next=%2Fprofile");
    assert.equal(await isLoggedIn(browser), false, "the password alone does not log in");
    const sessions = await (await db(app)).selectFrom("sessions").selectAll().execute();
    assert.ok(sessions.some((s) => s.user_id === null), "the pending step is server-side");
    const form = parseDom(await (await browser.get("/login/code?next=%2Fprofile")).text());
    assert.equal(form.get("input[name=code]").getAttribute("autocomplete"), "one-time-code");

    const wrong = await browser.postForm("/login/code?next=%2Fprofile", {
      code: wrongCode(secret),
    });
    assert.equal(wrong.status, 401);
    assert.match(parseDom(await wrong.text()).text(".alert-error"), /not correct/);
    assert.equal(await isLoggedIn(browser), false);

    const right = await browser.postForm("/login/code?next=%2Fprofile", {
      code: await codeAt(secret),
    });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get("Location"), "/profile");
    assert.equal(await isLoggedIn(browser), true);
  });

  test("an account locked between the password and the code is not logged in", async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const browser = await passwordStep(app, EMAIL);
    assert.ok(await setLocked(app.stores.accounts, await idOf(app, EMAIL), true));
    const answer = await browser.postForm("/login/code", { code: await codeAt(secret) });
    assert.equal(answer.status, 403);
    assert.match(parseDom(await answer.text()).text(".alert-error"), /This account is locked/);
    assert.equal(await isLoggedIn(browser), false);
  });

  test("a code is accepted once: a replayed code is refused, a later one works", async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const code = await codeAt(secret);
    const first = await passwordStep(app, EMAIL);
    assert.equal((await first.postForm("/login/code", { code })).status, 303);
    const second = await passwordStep(app, EMAIL);
    const replay = await second.postForm("/login/code", { code });
    assert.equal(replay.status, 401, "the same time step cannot be used twice");
    const next = await second.postForm("/login/code", { code: await codeAt(secret, 1) });
    assert.equal(next.status, 303);
  });

  test("the same code sent by five browsers at once logs in only one", async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const browsers = [];
    for (let i = 0; i < 5; i++) browsers.push(await passwordStep(app, EMAIL));
    const code = await codeAt(secret);
    const answers = await Promise.all(browsers.map((b) => b.postForm("/login/code", { code })));
    assert.deepEqual(answers.map((res) => res.status).sort(), [303, 401, 401, 401, 401]);
  });

  test("each recovery code logs in once, and new ones replace the old", async (app) => {
    const { browser: owner, recoveryCodes, secret } = await enrolled(app, EMAIL);
    const first = await passwordStep(app, EMAIL);
    const typed = ` ${recoveryCodes[0]!.toUpperCase().replaceAll("-", " ")} `;
    const res = await first.postForm("/login/code", { code: typed });
    assert.equal(res.status, 303);
    assert.match(
      parseDom(await (await first.get("/patients")).text()).text("#patient-status"),
      /recovery code/,
    );
    const second = await passwordStep(app, EMAIL);
    assert.equal((await second.postForm("/login/code", { code: recoveryCodes[0]! })).status, 401);
    assert.equal((await second.postForm("/login/code", { code: recoveryCodes[1]! })).status, 303);
    assert.match(
      parseDom(await (await second.get("/profile")).text()).text("#two-factor"),
      /8 recovery codes left/,
    );

    const renewed = await owner.postForm("/profile/two-factor/recovery-codes", {
      code: await codeAt(secret),
    });
    assert.equal(renewed.status, 200);
    const fresh = parseDom(await renewed.text()).all(".recovery-codes li");
    assert.equal(fresh.length, 10);
    const third = await passwordStep(app, EMAIL);
    assert.equal((await third.postForm("/login/code", { code: recoveryCodes[2]! })).status, 401);
    assert.equal(
      (await third.postForm("/login/code", { code: fresh[0]!.textContent! })).status,
      303,
    );
  });

  test("turning it off needs both the password and a code", async (app) => {
    const { browser, secret } = await enrolled(app, EMAIL);
    const off = (password: string, code: string) =>
      browser.postForm("/profile/two-factor/disable", { password, code });
    const noPassword = await off("wrong password", await codeAt(secret));
    assert.equal(noPassword.status, 422);
    assert.match(
      parseDom(await noPassword.text()).text("#off-password-error"),
      /not your password/,
    );
    const noCode = await off(PASSWORD, wrongCode(secret));
    assert.equal(noCode.status, 422);
    assert.match(parseDom(await noCode.text()).text("#off-code-error"), /not correct/);
    const ids = [await idOf(app, EMAIL)];
    assert.equal((await twoFactorEnabled(app.stores.accounts, ids)).size, 1, "still on");

    const done = await off(PASSWORD, await codeAt(secret));
    assert.equal(done.status, 303);
    assert.match(parseDom(await (await browser.get("/profile")).text()).text("#alerts"), /is off/);
    const res = await new TestBrowser(app).logIn(EMAIL, PASSWORD);
    assert.equal(res.headers.get("Location"), "/patients", "the password alone logs in again");
    const left = await (await db(app)).selectFrom("recovery_codes").selectAll().execute();
    assert.deepEqual(left, []);
  });

  test("a password step older than five minutes asks for the password again", async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const browser = await passwordStep(app, EMAIL);
    const handle = await db(app);
    for (const row of await handle.selectFrom("sessions").selectAll().execute()) {
      const data = JSON.parse(row.data);
      if (!data._data?.pending_login) continue;
      data._data.pending_login.value.at -= 5 * 60_000 + 1000;
      await handle.updateTable("sessions").set({ data: JSON.stringify(data) })
        .where("id", "=", row.id).execute();
    }
    const res = await browser.postForm("/login/code", { code: await codeAt(secret) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/login");
    assert.equal(await isLoggedIn(browser), false);
    assert.equal((await browser.get("/login/code")).status, 303);
  });

  test("twoFactorEnabled() names the users who have it on, not those setting it up", async (app) => {
    await enrolled(app, EMAIL);
    const pending = new TestBrowser(app);
    await pending.register("Bob", "bob@example.org", PASSWORD);
    await pending.get("/profile");
    await pending.postForm("/profile/two-factor/setup", {});
    await new TestBrowser(app).register("Cy", "cy@example.org", PASSWORD);
    const ids = await Promise.all(
      [EMAIL, "bob@example.org", "cy@example.org"].map((email) => idOf(app, email)),
    );
    assert.deepEqual(await twoFactorEnabled(app.stores.accounts, ids), new Set([ids[0]]));
    assert.deepEqual(await twoFactorEnabled(app.stores.accounts, []), new Set());
  });

  test("deleting the account removes its second factor and recovery codes", async (app) => {
    const { browser } = await enrolled(app, EMAIL);
    await browser.get("/profile");
    assert.equal((await browser.postForm("/profile/delete", { password: PASSWORD })).status, 303);
    const handle = await db(app);
    assert.deepEqual(await handle.selectFrom("two_factor").selectAll().execute(), []);
    assert.deepEqual(await handle.selectFrom("recovery_codes").selectAll().execute(), []);
  });
}
