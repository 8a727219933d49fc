/** The profile: change the name, change the password, delete the account with everything it owns. */
import assert from "node:assert/strict";
import { createApiToken } from "../db/accounts/api_tokens.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import type { NewPatient } from "../lib/patient_fields.ts";
import { verifyPassword } from "../lib/passwords.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";

const PATIENT: NewPatient = samplePatient();

/** A browser logged in (registered, unless `existing`) on the profile page, and its user. */
async function onProfile(app: TestApp, email = EMAIL, existing = false) {
  const browser = await loggedInBrowser(app, { email, existing, page: "/profile" });
  const user = await findUserByEmail(app.stores.accounts, email);
  return { browser, user: user! };
}

async function logsIn(app: TestApp, email: string, password: string): Promise<boolean> {
  const res = await new TestBrowser(app).logIn(email, password);
  assert.ok([303, 401].includes(res.status), `unexpected ${res.status}`);
  return res.status === 303;
}

/** How many rows of `table` belong to the user. */
async function rowsOf(app: TestApp, table: "sessions" | "api_tokens", userId: number) {
  const db = await app.stores.accounts.db();
  const rows = await db.selectFrom(table).select("user_id").where("user_id", "=", userId).execute();
  return rows.length;
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("changing the name saves it trimmed and shows it in the navigation", async (app) => {
    const { browser } = await onProfile(app);
    const res = await browser.postForm("/profile", { name: "  Dr. Ann Lee " });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/profile");
    const html = await (await browser.get("/profile")).text();
    assert.match(html, /Your name is saved\./);
    assert.match(html, /class="nav-user"[^]*Dr\. Ann Lee/);
    assert.match(html, /name="name" type="text" value="Dr\. Ann Lee"/);
    assert.equal((await findUserByEmail(app.stores.accounts, EMAIL))?.name, "Dr. Ann Lee");
  });

  test("an empty or too long name is refused next to the field and nothing changes", async (app) => {
    const { browser } = await onProfile(app);
    for (
      const [name, message] of [[" ", /Enter your name/], ["x".repeat(256), /at most 255/]] as const
    ) {
      const res = await browser.postForm("/profile", { name });
      assert.equal(res.status, 422);
      const html = await res.text();
      assert.match(html, /<p class="field-error" id="profile-name-error" role="alert">/);
      assert.match(html, message);
    }
    assert.equal((await findUserByEmail(app.stores.accounts, EMAIL))?.name, "Ann");
  });

  test("a wrong current password, a short or unmatched new one change nothing", async (app) => {
    const { browser, user } = await onProfile(app);
    const change = (old_password: string, new_password: string, confirm_new_password: string) =>
      browser.postForm("/profile/password", { old_password, new_password, confirm_new_password });
    const cases: [Response, string, RegExp][] = [
      [
        await change("not my password", "a new password", "a new password"),
        "old_password",
        /not your current password/,
      ],
      [await change(PASSWORD, "short", "short"), "new_password", /at least 8 characters/],
      [await change(PASSWORD, "y".repeat(129), "y".repeat(129)), "new_password", /at most 128/],
      [
        await change(PASSWORD, "a new password", "another password"),
        "confirm_new_password",
        /do not match/,
      ],
    ];
    for (const [res, field, message] of cases) {
      assert.equal(res.status, 422, field);
      const html = await res.text();
      assert.match(html, new RegExp(`id="${field}-error" role="alert">`), field);
      assert.match(html, message, field);
    }
    assert.equal(
      (await findUserByEmail(app.stores.accounts, EMAIL))?.passwordHash,
      user.passwordHash,
    );
    assert.equal(await logsIn(app, EMAIL, PASSWORD), true, "the old password still works");
  });

  test("after a password change the new password works and the old one does not", async (app) => {
    const { browser } = await onProfile(app);
    const res = await browser.postForm("/profile/password", {
      old_password: PASSWORD,
      new_password: "a brand new password",
      confirm_new_password: "a brand new password",
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/profile");
    assert.match(await (await browser.get("/profile")).text(), /Your password is changed\./);
    const stored = (await findUserByEmail(app.stores.accounts, EMAIL))!.passwordHash;
    assert.match(stored, /^\$2[aby]\$04\$/);
    assert.equal(await verifyPassword("a brand new password", stored), true);
    assert.equal(await logsIn(app, EMAIL, PASSWORD), false);
    assert.equal(await logsIn(app, EMAIL, "a brand new password"), true);
  });

  test("deleting the account with a wrong password deletes nothing", async (app) => {
    const { browser, user } = await onProfile(app);
    await createApiToken(app.stores.accounts, user.id, "notebook");
    await app.stores.patients.create(user.id, PATIENT);
    const res = await browser.postForm("/profile/delete", { password: "not my password" });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /This is not your password; nothing was deleted/);
    assert.ok(await findUserByEmail(app.stores.accounts, EMAIL));
    assert.equal(await rowsOf(app, "sessions", user.id), 1);
    assert.equal(await rowsOf(app, "api_tokens", user.id), 1);
    assert.equal(await app.stores.patients.count(user.id), 1);
    assert.equal((await browser.get("/profile")).status, 200, "still logged in");
  });

  test("deleting the account removes it, its sessions, tokens and patients, and nobody else's", async (app) => {
    const ann = await onProfile(app);
    const annOnPhone = await onProfile(app, EMAIL, true);
    const bob = await onProfile(app, "bob@example.org");
    const annToken = await createApiToken(app.stores.accounts, ann.user.id, "notebook");
    await createApiToken(app.stores.accounts, ann.user.id, "script");
    await createApiToken(app.stores.accounts, bob.user.id, "bob's");
    for (const id of [1, 2, 3]) await app.stores.patients.create(ann.user.id, { ...PATIENT, id });
    for (const id of [1, 2]) await app.stores.patients.create(bob.user.id, { ...PATIENT, id });
    assert.equal(await rowsOf(app, "sessions", ann.user.id), 2);

    const res = await ann.browser.postForm("/profile/delete", { password: PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/?account_deleted");
    assert.equal(await findUserByEmail(app.stores.accounts, EMAIL), null);
    assert.equal(await rowsOf(app, "sessions", ann.user.id), 0);
    assert.equal(await rowsOf(app, "api_tokens", ann.user.id), 0);
    assert.equal(await app.stores.patients.count(ann.user.id), 0);
    assert.equal((await annOnPhone.browser.get("/profile")).status, 303, "logged out everywhere");
    const bearer = { Authorization: `Bearer ${annToken.token}` };
    const api = await app.request("/api/tokens/999", { method: "DELETE", headers: bearer });
    assert.equal(api.status, 401, "the tokens no longer work");
    assert.equal(await logsIn(app, EMAIL, PASSWORD), false);

    assert.ok(await findUserByEmail(app.stores.accounts, "bob@example.org"));
    assert.equal(await rowsOf(app, "sessions", bob.user.id), 1);
    assert.equal(await rowsOf(app, "api_tokens", bob.user.id), 1);
    assert.equal(await app.stores.patients.count(bob.user.id), 2);
    assert.equal((await bob.browser.get("/profile")).status, 200);
  });

  test("the profile page needs a logged-in user and is never cached", async (app) => {
    const res = await app.request("/profile");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/login?next=%2Fprofile");
    const { browser } = await onProfile(app);
    const page = await browser.get("/profile");
    assert.equal(page.headers.get("Cache-Control"), "no-store");
    assert.match(await page.text(), /Signed in as ann@example\.org/);
  });
}
