/** `/profile`: change name and password, manage API tokens, delete the account. */
import { type Context, Hono } from "hono";
import { type ProfileErrors, ProfilePage, RevokeTokenPage } from "../components/ProfilePage.tsx";
import {
  createApiToken,
  listApiTokens,
  type NewApiToken,
  revokeAllApiTokens,
  revokeApiToken,
} from "../db/accounts/api_tokens.ts";
import { disableTwoFactor, getTwoFactor, unusedRecoveryCodes } from "../db/accounts/two_factor.ts";
import {
  changePassword,
  deleteUser,
  updateUserName,
  updateUserTimeZone,
  type User,
} from "../db/accounts/users.ts";
import { nameProblem, passwordProblems, tokenNameProblem } from "../lib/account_rules.ts";
import { RegistryConflictError } from "../lib/errors.ts";
import { hashPassword } from "../lib/passwords.ts";
import { normaliseTimeZone } from "../lib/stroke/time_zone.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash, logOut } from "../middleware/session.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { TOKEN_ID } from "../http/path_id.ts";
import { throttled } from "../http/throttled.ts";
import { installationTimeZone } from "../http/time_zone.ts";

export const profileRoutes = new Hono<AppEnv>();
profileRoutes.use("*", requireUser());

function me(c: Context<AppEnv>): User {
  return c.get("user")!;
}

/** Renders the profile, with what a refused form or a just-made secret adds. */
export async function renderProfile(
  c: Context<AppEnv>,
  extra: {
    errors?: ProfileErrors;
    newToken?: NewApiToken;
    nameValue?: string;
    newRecoveryCodes?: string[];
    timeZoneValue?: string;
  } = {},
) {
  const user = me(c);
  const { accounts } = c.get("deps").stores;
  const { newRecoveryCodes, timeZoneValue, ...rest } = extra;
  const tokens = await listApiTokens(accounts, user.id);
  const state = await getTwoFactor(accounts, user.id);
  const codesLeft = state?.enabledAt ? (await unusedRecoveryCodes(accounts, user.id)).length : 0;
  const twoFactor = { state, codesLeft, newCodes: newRecoveryCodes };
  const timeZone = {
    chosen: user.timeZone ?? null,
    installation: installationTimeZone(c),
    value: timeZoneValue,
  };
  return c.render(
    <ProfilePage
      user={user}
      csrfToken={csrfToken(c)}
      tokens={tokens}
      twoFactor={twoFactor}
      timeZone={timeZone}
      {...rest}
    />,
    { title: "Your profile" },
  );
}

profileRoutes.get("/", (c) => renderProfile(c));

profileRoutes.post("/", async (c) => {
  const name = (await formText(c, "name")).trim();
  const problem = nameProblem(name);
  if (problem) {
    c.status(422);
    return renderProfile(c, { errors: { name: { name: problem } }, nameValue: name });
  }
  await updateUserName(c.get("deps").stores.accounts, me(c).id, name);
  flash(c, "Your name is saved.");
  return c.redirect("/profile", 303);
});

profileRoutes.post("/time-zone", async (c) => {
  const sent = (await formText(c, "time_zone")).trim();
  const zone = sent === "" ? null : normaliseTimeZone(sent);
  if (sent !== "" && zone === null) {
    c.status(422);
    const message = "Choose a time zone from the list";
    return renderProfile(c, {
      errors: { timeZone: { time_zone: message } },
      timeZoneValue: sent.slice(0, 64),
    });
  }
  await updateUserTimeZone(c.get("deps").stores.accounts, me(c).id, zone);
  const shown = zone ?? installationTimeZone(c);
  flash(c, `Times are now shown and entered in ${shown}${zone ? "" : " (this installation's)"}.`);
  return c.redirect("/profile#time-zone", 303);
});

profileRoutes.post("/password", async (c) => {
  const { stores, config } = c.get("deps");
  const user = me(c);
  const oldPassword = await formText(c, "old_password");
  const newPassword = await formText(c, "new_password");
  const confirmation = await formText(c, "confirm_new_password");
  const errors: Record<string, string> = {};
  const check = await c.get("accounts").checkOwnPassword(
    user,
    oldPassword,
    c.get("clientAddress"),
  );
  if (!check.ok) {
    errors.old_password = check.throttledForMs > 0
      ? throttled(c, check.throttledForMs)
      : "This is not your current password";
  }
  const [lengthProblem] = passwordProblems(newPassword, newPassword);
  if (lengthProblem) errors.new_password = lengthProblem;
  else if (newPassword !== confirmation) {
    errors.confirm_new_password = "The two passwords do not match";
  }
  if (Object.keys(errors).length > 0) {
    c.status(!check.ok && check.throttledForMs > 0 ? 429 : 422);
    return renderProfile(c, { errors: { password: errors } });
  }
  // Every other session of the user ends (this one carries on under a new id), and so do the
  // API tokens: whoever learnt the old password may have made one. All at once, or nothing.
  const session = c.get("session");
  await changePassword(
    stores.accounts,
    user.id,
    await hashPassword(newPassword, config.security.bcryptCost),
    session.getCache()._id,
  );
  c.set("session_key_rotation", true);
  session.forget("csrf");
  flash(
    c,
    "Your password is changed. Other devices have been logged out and your API tokens revoked.",
  );
  return c.redirect("/profile", 303);
});

profileRoutes.post("/tokens", async (c) => {
  const name = (await formText(c, "name")).trim();
  const problem = tokenNameProblem(name);
  if (problem) {
    c.status(422);
    return renderProfile(c, { errors: { token: { name: problem } } });
  }
  const newToken = await createApiToken(c.get("deps").stores.accounts, me(c).id, name);
  c.status(201);
  return renderProfile(c, { newToken });
});

profileRoutes.get("/tokens/:id/revoke", async (c) => {
  const tokens = await listApiTokens(c.get("deps").stores.accounts, me(c).id);
  const id = TOKEN_ID.parse(c.req.param("id"));
  const token = tokens.find((t) => t.id === id);
  if (!token) {
    flash(c, "That token was already revoked.");
    return c.redirect("/profile#tokens", 303);
  }
  return c.render(<RevokeTokenPage token={token} csrfToken={csrfToken(c)} />, {
    title: "Revoke a token",
  });
});

profileRoutes.post("/tokens/:id/revoke", async (c) => {
  const id = TOKEN_ID.parse(c.req.param("id"));
  const revoked = id !== null &&
    await revokeApiToken(c.get("deps").stores.accounts, me(c).id, id);
  flash(c, revoked ? "The token is revoked." : "That token was already revoked.");
  return c.redirect("/profile#tokens", 303);
});

profileRoutes.post("/delete", async (c) => {
  const { stores } = c.get("deps");
  const user = me(c);
  const password = await formText(c, "password");
  const check = await c.get("accounts").checkOwnPassword(user, password, c.get("clientAddress"));
  if (!check.ok) {
    c.status(check.throttledForMs > 0 ? 429 : 422);
    const message = check.throttledForMs > 0
      ? throttled(c, check.throttledForMs)
      : "This is not your password; nothing was deleted";
    return renderProfile(c, { errors: { delete: { password: message } } });
  }
  // A team keeps an owner: the only owner of a registry must hand it over first.
  const registries = c.get("registries");
  try {
    await registries.checkAccountDeletion(user.id);
  } catch (error) {
    if (!(error instanceof RegistryConflictError)) throw error;
    c.status(409);
    return renderProfile(c, { errors: { delete: { form: error.message } } });
  }
  // Patients first: should the accounts database fail after, the account still exists and the
  // user can simply try again.
  await stores.patients.deleteAllOf(user.id);
  await registries.leaveAll({
    userId: user.id,
    client: c.get("clientAddress"),
    requestId: c.get("requestId"),
  });
  await revokeAllApiTokens(stores.accounts, user.id);
  await disableTwoFactor(stores.accounts, user.id);
  await c.get("sessionStore").deleteUserSessions(user.id);
  await deleteUser(stores.accounts, user.id);
  logOut(c);
  return c.redirect("/?account_deleted", 303);
});
