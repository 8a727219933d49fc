/**
 * A password change is one change: the new hash, the revoked API tokens and the ended sessions
 * of other devices are written together, so that a database failing midway leaves the old
 * password, tokens and sessions as they were (and the 503 says nothing was done), never a new
 * password with the old devices still logged in.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { anonymousApi, loadDocument, PASSWORD, registerApiUser } from "./helpers/api.ts";
import { createTestApp, testConfig } from "./helpers/app.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

Deno.test("a password change the database cannot finish changes nothing: old password, tokens and other devices stay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-password-outage-" });
  const app = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: openSqlitePatientStore(dir) },
    testConfig({ dataDir: dir }),
  );
  try {
    await loadDocument(app);
    const user = await registerApiUser(app, "ada@example.org");
    const [here, elsewhere] = [new TestBrowser(app), new TestBrowser(app)];
    for (const browser of [here, elsewhere]) {
      assert.equal((await browser.logIn(user.email, PASSWORD)).status, 303);
    }
    await here.get("/profile");
    // The database fails at the last step of the change (ending the other sessions).
    const db = new DatabaseSync(join(dir, "app.db"));
    db.exec(`CREATE TRIGGER fail_session_end BEFORE DELETE ON sessions
             BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    const res = await here.postForm("/profile/password", {
      old_password: PASSWORD,
      new_password: "a brand new password",
      confirm_new_password: "a brand new password",
    });
    assert.equal(res.status, 503);
    db.exec("DROP TRIGGER fail_session_end");
    db.close();

    assert.equal((await user.api("GET", "/api/patient_data")).status, 200, "the token works");
    assert.equal((await elsewhere.get("/profile")).status, 200, "the other device is logged in");
    const token = await anonymousApi(app)("POST", "/api/tokens", {
      email: user.email,
      password: PASSWORD,
    });
    assert.equal(token.status, 201, "the old password is still the password");
  } finally {
    await app.close();
  }
});
