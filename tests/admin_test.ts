/**
 * The admin role: `deno task admin grant|revoke` on both account stores, 403 for everyone else,
 * locking (sessions end, tokens answer 401, login says so) and the audit log without values.
 */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import { beginTwoFactorSetup, enableTwoFactor } from "../db/accounts/two_factor.ts";
import { createUser, findUserByEmail } from "../db/accounts/users.ts";
import { adminCommand } from "../scripts/admin.ts";
import { requestToken, type TestApp, withAccountsApp } from "./helpers/app.ts";
import {
  accountBackends,
  dropMysqlDatabase,
  mysqlServer,
  scriptAccounts,
} from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { parseDom, textOf } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { formFields } from "./helpers/patients_pages.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const mysql = mysqlServer();

for (const store of ["sqlite", "mysql"] as const) {
  Deno.test({
    name: `[${store}] deno task admin grants and revokes the role and says what it did`,
    ignore: store === "mysql" && mysql === null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "spm-admin-" });
      const { accounts, env, database } = scriptAccounts(store, dir, mysql);
      try {
        await createUser(accounts, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
        // The task itself, as an operator runs it.
        const task = await new Deno.Command(Deno.execPath(), {
          args: ["task", "--quiet", "admin", "grant", " Ada@Example.org "],
          clearEnv: true,
          env: { ...env, PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const printed = new TextDecoder().decode(task.stdout);
        assert.equal(task.code, 0, new TextDecoder().decode(task.stderr));
        assert.equal(printed.trim(), "ada@example.org (user 1) is now an admin.");
        assert.equal((await findUserByEmail(accounts, "ada@example.org"))?.admin, true);

        const out: string[] = [];
        const run = (...args: string[]) =>
          adminCommand(args, env, (l) => out.push(l), (l) => out.push(l));
        assert.equal(await run("grant", "ada@example.org"), 0);
        assert.equal(await run("revoke", "ada@example.org"), 0);
        assert.equal(await run("revoke", "ada@example.org"), 0);
        assert.equal(await run("grant", "nobody@example.org"), 1);
        assert.equal(await run("promote", "ada@example.org"), 2);
        assert.deepEqual(out.slice(0, 3), [
          "ada@example.org (user 1) was already an admin.",
          "ada@example.org (user 1) is no longer an admin.",
          "ada@example.org (user 1) was not an admin.",
        ]);
        assert.match(out[3]!, /^No account has the email nobody@example.org/);
        assert.equal(out[4], "Usage: deno task admin grant|revoke|reset-link <email>");
        assert.equal((await findUserByEmail(accounts, "ada@example.org"))?.admin ?? false, false);
      } finally {
        await accounts.close();
        if (store === "mysql") await dropMysqlDatabase(mysql!, database);
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

const tokenOf = requestToken;

const ADMIN_PAGES = ["/admin", "/admin/audit", "/admin/audit.csv"];
const ADMIN_POSTS = ["lock", "unlock", "end-sessions"].map((a) => `/admin/users/1/${a}`);
const ADMIN_API = ["/api/admin/users", "/api/admin/audit", "/api/admin/audit?format=csv"];

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("a normal user gets 403 on every admin page and endpoint, a visitor is asked to log in", async (app) => {
    const user = await loggedInBrowser(app, { email: "user@example.org" });
    const token = (await (await tokenOf(app, "user@example.org")).json()).token;
    for (const path of ADMIN_PAGES) {
      const res = await user.get(path);
      assert.equal(res.status, 403, path);
      assert.match(parseDom(await res.text()).text("main"), /Only administrators/);
      assert.equal((await app.request(path, { redirect: "manual" })).status, 303, path);
    }
    for (const path of ADMIN_POSTS) {
      assert.equal((await user.postForm(path, {})).status, 403, path);
    }
    for (const path of [...ADMIN_API, ...ADMIN_POSTS.map((p) => `/api${p}`)]) {
      const method = path.includes("/users/1/") ? "POST" : "GET";
      const res = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get("Content-Type"), "application/problem+json");
      assert.equal((await app.request(path, { method })).status, 401, path);
    }
    assert.equal(parseDom(user.lastHtml).find('a[href="/admin"]'), null, "no Admin link");
  });

  test("locking ends the user's sessions, refuses their login and tokens; unlocking lets them back", async (app) => {
    const admin = await loggedInBrowser(app, { email: "admin@example.org" });
    await setAdmin(app.stores.accounts, "admin@example.org", true);
    const user = await loggedInBrowser(app, { email: "user@example.org" });
    const token = (await (await tokenOf(app, "user@example.org")).json()).token;
    const asUser = () =>
      app.request("/api/patient_data", { headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await asUser()).status, 200);

    await admin.get("/admin");
    assert.ok(parseDom(admin.lastHtml).find('a[href="/admin"]'), "admins get the Admin link");
    const lock = await admin.postForm("/admin/users/2/lock", {});
    assert.equal(lock.status, 303);
    assert.match(
      parseDom(await (await admin.get("/admin")).text()).text("#alerts"),
      /locked; 1 session ended/,
    );
    assert.equal((await user.get("/patients")).status, 303, "the session ended");
    assert.equal((await asUser()).status, 401, "the token answers 401");
    const login = await new TestBrowser(app).logIn("user@example.org", PASSWORD);
    assert.equal(login.status, 403);
    assert.match(parseDom(await login.text()).text("main"), /This account is locked/);
    const wrong = await new TestBrowser(app).logIn("user@example.org", "wrong password!");
    assert.doesNotMatch(await wrong.text(), /locked/, "told only to whoever knows the password");
    const tokenRequest = await tokenOf(app, "user@example.org");
    assert.equal(tokenRequest.status, 401);
    assert.match((await tokenRequest.json()).detail, /This account is locked/);

    assert.equal((await admin.postForm("/admin/users/2/unlock", {})).status, 303);
    assert.equal((await asUser()).status, 200, "the old token works again");
    const again = new TestBrowser(app);
    assert.equal((await again.logIn("user@example.org", PASSWORD)).status, 303);
    const end = await admin.request("/admin/users/2/end-sessions", {
      method: "POST",
      headers: { "HX-Request": "true", "X-CSRF-Token": admin.csrf },
    });
    const row = parseDom(await end.text());
    assert.match(row.text("#alerts"), /1 session of user@example.org ended/);
    assert.match(row.text("#user-2"), /Active/);
    assert.equal((await again.get("/patients")).status, 303, "logged out");
    assert.equal((await admin.postForm("/admin/users/1/lock", {})).status, 409, "not oneself");
  });

  test("admins see users with record counts and the log's field names, never another user's records", async (app) => {
    const admin = await loggedInBrowser(app, { email: "admin@example.org" });
    await setAdmin(app.stores.accounts, "admin@example.org", true);
    const user = await loggedInBrowser(app, { email: "user@example.org" });
    await user.postForm("/patients", { ...formFields(samplePatient({ id: 77, age: 43.5 })) });
    await user.postForm("/patients/77", {
      ...formFields(samplePatient({ age: 44.5 })),
      reason: "typo",
    });
    assert.equal((await admin.get("/patients/77")).status, 404, "not the admin's record");
    // The user turns a second factor on; a setup left unconfirmed does not count.
    assert.ok(await beginTwoFactorSetup(app.stores.accounts, 2, "JBSWY3DPEHPK3PXP"));
    assert.ok(await enableTwoFactor(app.stores.accounts, 2, "JBSWY3DPEHPK3PXP", 1, []));
    assert.ok(await beginTwoFactorSetup(app.stores.accounts, 1, "JBSWY3DPEHPK3PXQ"));
    const users = await (await admin.get("/admin")).text();
    const cells = [...parseDom(users).get("#user-2").children].map(textOf);
    assert.deepEqual([cells[2], cells[5], cells[6], cells[7]], [
      "user@example.org",
      "1",
      "On",
      "Active",
    ]);
    assert.equal(textOf(parseDom(users).get("#user-1").children[6]), "Off");
    const listed = await (await admin.get("/api/admin/users")).json();
    assert.deepEqual(
      listed.items.map((u: { email: string; two_factor: boolean }) => [u.email, u.two_factor]),
      [["admin@example.org", false], ["user@example.org", true]],
    );
    assert.notEqual(cells[4], "never", "registering logged them in");
    const audit = await (await admin.get("/admin/audit?user_id=2&action=update")).text();
    const rows = parseDom(audit).all("table.admin-audit tbody tr");
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.textContent ?? "", /update.*77.*age.*typo/s);
    assert.doesNotMatch(audit, /43\.5|44\.5/, "no values");
    const csv = await (await admin.get("/admin/audit.csv?user_id=2&patient_id=77")).text();
    const lines = csv.trim().split("\r\n");
    assert.equal(
      lines[0],
      "at,owner_id,user_id,action,patient_id,fields,reason,client,request_id,details,status",
    );
    assert.equal(lines.length, 3, "the create and the update");
    assert.doesNotMatch(csv, /43\.5|44\.5/);
    const today = new Date().toISOString().slice(0, 10);
    const filtered = await (await admin.get(`/admin/audit?from=${today}&to=${today}&action=create`))
      .text();
    assert.equal(parseDom(filtered).all("table.admin-audit tbody tr").length, 1);
    const bad = await admin.get("/admin/audit?from=yesterday");
    assert.equal(bad.status, 400);
    assert.match(parseDom(await bad.text()).text("#audit-from-error"), /must be a date/);
  });
}
