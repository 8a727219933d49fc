/**
 * Adding a member tells them by real mail (Mailpit): an account is sent a link to the registry,
 * an email without an account an invitation whose link leads to registration, after which the
 * registry is theirs.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { bearerToken, createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import {
  linkIn,
  mailpitServer,
  skipWithoutMailpit,
  testMailConfig,
  uniqueAddress,
  waitForMail,
} from "./helpers/mailpit.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const ORIGIN = "http://127.0.0.1:5000";
const mailpit = mailpitServer();

async function api(app: TestApp, token: string, method: string, path: string, body?: unknown) {
  return await app.request(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

Deno.test({
  name: "an added member and an invited email each receive a link that works",
  ignore: skipWithoutMailpit("tests/registries_mail_test.ts (invitations received in Mailpit)"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "spm-invite-" });
    const app = await createTestApp(
      { accounts: openAccountsDb(null, dir), patients: openSqlitePatientStore(dir) },
      testConfig({ dataDir: dir, publicUrl: ORIGIN, mail: testMailConfig(mailpit!) }),
    );
    try {
      const owner = uniqueAddress("owner");
      const colleague = uniqueAddress("colleague");
      const newcomer = uniqueAddress("newcomer");
      for (const email of [owner, colleague]) {
        assert.equal((await new TestBrowser(app).register("Ada", email, PASSWORD)).status, 303);
      }
      const token = await bearerToken(app, owner);
      const created = await api(app, token, "POST", "/api/registries", { name: "Stroke unit" });
      assert.equal(created.status, 201);
      const { id } = await created.json();

      const added = await api(app, token, "POST", `/api/registries/${id}/members`, {
        email: colleague,
        role: "editor",
      });
      assert.equal((await added.json()).status, "active");
      const [toColleague] = await waitForMail(mailpit!, colleague);
      assert.match(toColleague!.subject, /Stroke unit/);
      assert.equal(new URL(linkIn(toColleague!, "/patients")).searchParams.get("registry"), id);

      const invited = await api(app, token, "POST", `/api/registries/${id}/members`, {
        email: newcomer,
        role: "viewer",
      });
      assert.equal((await invited.json()).status, "invited");
      const [toNewcomer] = await waitForMail(mailpit!, newcomer);
      assert.match(toNewcomer!.text, /viewer/);
      const register = new URL(linkIn(toNewcomer!, "/register")).pathname;
      const browser = new TestBrowser(app);
      await browser.get(register);
      assert.equal((await browser.register("Grace", newcomer, PASSWORD)).status, 303);
      const theirs = await api(app, await bearerToken(app, newcomer), "GET", "/api/registries");
      const registries = await theirs.json() as { id: string; role: string }[];
      assert.deepEqual(registries.find((r) => r.id === id)?.role, "viewer");
    } finally {
      await app.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
