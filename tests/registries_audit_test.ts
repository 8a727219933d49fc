/**
 * The audit log names the registry of every entry: an admin filters the log by a registry's id
 * (its entries only; a personal registry by `p<user id>`) and sees team registries by name on
 * the admin page; a record's history names each member who changed it.
 */
import assert from "node:assert/strict";
import { setAdmin } from "../db/accounts/admin.ts";
import { updateUserName } from "../db/accounts/users.ts";
import { apiTest } from "./helpers/api.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";

const R = "/api/patient_data";

apiTest("admins filter the log by registry; history names the members who acted", async (ctx) => {
  const { app, user: owner, newUser } = ctx;
  const editor = await newUser();
  await updateUserName(app.stores.accounts, editor.id, "Dr Ada Editor");
  const created = await owner.api("POST", "/api/registries", { name: "Stroke unit" });
  const rid = created.body.id as string;
  await owner.api("POST", `/api/registries/${rid}/members`, {
    email: editor.email,
    role: "editor",
  });
  assert.equal((await editor.api("POST", `${R}?registry=${rid}`, FIRST_ROW)).status, 201);
  assert.equal((await owner.api("POST", R, { ...FIRST_ROW, id: 2 })).status, 201);

  const history = await owner.api("GET", `${R}/${FIRST_ROW.id}/history?registry=${rid}`);
  assert.equal(history.body.at(-1).action, "create");
  assert.equal(history.body.at(-1).user_name, "Dr Ada Editor");

  await setAdmin(app.stores.accounts, owner.email, true);
  const team = await owner.api("GET", `/api/admin/audit?registry=${rid}&action=create`);
  assert.deepEqual(
    team.body.items.map((
      i: { owner_id: number; patient_id: number },
    ) => [i.owner_id < 0, i.patient_id]),
    [[true, FIRST_ROW.id]],
  );
  const personal = await owner.api("GET", `/api/admin/audit?registry=p${owner.id}&action=create`);
  assert.deepEqual(personal.body.items.map((i: { patient_id: number }) => i.patient_id), [2]);
  const unknown = await owner.api("GET", "/api/admin/audit?registry=tnosuchregistry");
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.errors[0].field, "registry");

  const browser = await loggedInBrowser(app, { email: owner.email, existing: true });
  const page = await browser.get(`/admin/audit?registry=${rid}`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /registry Stroke unit/);
  assert.doesNotMatch(html, new RegExp(`>2<`), "the personal record's entry is filtered out");
});
