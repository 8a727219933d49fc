/** Every documented response of the history, deletes and admin operations, held to the OpenAPI document. */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import {
  anonymousApi,
  apiTest,
  observed,
  responsesNotGiven,
  samplePatient,
} from "./helpers/api.ts";

const P = "/api/patient_data";

apiTest(
  "the app gives every documented response of the history, deletes and admin operations",
  async ({ app, user, newUser, browser, sessionApi }) => {
    observed.clear();
    const anon = anonymousApi(app);
    const other = await newUser();
    await setAdmin(app.stores.accounts, user.email, true);
    const session = sessionApi(await browser());

    // History and deletes.
    await user.api("POST", P, samplePatient({ id: 1 }));
    await user.api("GET", `${P}/1/history`);
    await user.api("GET", `${P}/2/history`);
    await anon("GET", `${P}/1/history`);
    await user.api("DELETE", `${P}/1`);
    await user.api("GET", `${P}/deleted`);
    await user.api("GET", `${P}/deleted?per_page=501`);
    await anon("GET", `${P}/deleted`);
    await anon("POST", `${P}/1/restore`);
    await session("POST", `${P}/1/restore`); // no CSRF token: 403
    await user.api("POST", P, samplePatient({ id: 1 }));
    await user.api("POST", `${P}/1/restore`); // taken again: 409
    await user.api("DELETE", `${P}/1`);
    const restored = await user.api("POST", `${P}/1/restore`, undefined, {
      "X-Change-Reason": "deleted by mistake",
    });
    assert.equal(restored.status, 200);
    await user.api("POST", `${P}/2/restore`); // never deleted: 404

    // Administration: the first user is the admin, the other is not.
    await user.api("GET", "/api/admin/users");
    await user.api("GET", "/api/admin/users?page=0");
    await anon("GET", "/api/admin/users");
    await other.api("GET", "/api/admin/users");
    const actions = ["lock", "unlock", "end-sessions"];
    for (const action of actions) await other.api("POST", `/api/admin/users/${user.id}/${action}`);
    for (const action of actions) {
      await user.api("POST", `/api/admin/users/${other.id}/${action}`);
      await user.api("POST", `/api/admin/users/999/${action}`);
      await anon("POST", `/api/admin/users/${other.id}/${action}`);
    }
    await user.api("POST", `/api/admin/users/${user.id}/lock`); // oneself: 409
    const audit = await user.api("GET", `/api/admin/audit?user_id=${user.id}&action=restore`);
    assert.deepEqual(audit.body.items.map((i: { status: string }) => i.status), ["done", "failed"]);
    assert.equal(audit.body.items[0].reason, "deleted by mistake");
    const csv = await user.api("GET", "/api/admin/audit?format=csv&patient_id=1");
    assert.match(csv.text, /^at,owner_id,user_id,action,patient_id,fields/);
    await user.api("GET", "/api/admin/audit?action=shred");
    await anon("GET", "/api/admin/audit");
    await other.api("GET", "/api/admin/audit");
    await user.api("GET", "/api/patient_data/deleted?registry=tnosuchregistryhere");

    assert.deepEqual(responsesNotGiven(["history", "admin"]), [], "documented, never given");
  },
);
