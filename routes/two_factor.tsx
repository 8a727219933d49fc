/** `/profile/two-factor/*`: set up, confirm, renew recovery codes and turn off the second factor. */
import { type Context, Hono } from "hono";
import type { FieldErrors } from "../components/Form.tsx";
import {
  beginTwoFactorSetup,
  cancelTwoFactorSetup,
  disableTwoFactor,
  enableTwoFactor,
  getTwoFactor,
  replaceRecoveryCodes,
} from "../db/accounts/two_factor.ts";
import { WRONG_CODE } from "../lib/accounts/second_factor.ts";
import { hashRecoveryCode, newRecoveryCodes } from "../lib/recovery_codes.ts";
import { newTotpSecret, verifyTotp } from "../lib/totp.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash } from "../middleware/session.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { throttled } from "../http/throttled.ts";
import { renderProfile } from "./profile.tsx";

export const twoFactorRoutes = new Hono<AppEnv>();
twoFactorRoutes.use("*", requireUser());

const BACK = "/profile#two-factor";

function userId(c: Context<AppEnv>): number {
  return c.get("user")!.id;
}

function refuse(c: Context<AppEnv>, status: 409 | 422 | 429, errors: FieldErrors) {
  c.status(status);
  return renderProfile(c, { errors: { twoFactor: errors } });
}

/** Checks (throttled) the code of a profile form; on failure, the page refusing it. */
async function refuseCode(c: Context<AppEnv>, field: string) {
  const code = await formText(c, "code");
  const check = await c.get("accounts").checkSecondFactor(userId(c), code, c.get("clientAddress"));
  if (check.ok) return null;
  if (check.throttledForMs > 0) {
    return refuse(c, 429, { [field]: throttled(c, check.throttledForMs) });
  }
  return refuse(c, 422, { [field]: WRONG_CODE });
}

twoFactorRoutes.post("/setup", async (c) => {
  const started = await beginTwoFactorSetup(
    c.get("deps").stores.accounts,
    userId(c),
    newTotpSecret(),
  );
  if (!started) flash(c, "Two-factor authentication is already on.");
  return c.redirect(BACK, 303);
});

twoFactorRoutes.post("/cancel", async (c) => {
  await cancelTwoFactorSetup(c.get("deps").stores.accounts, userId(c));
  return c.redirect(BACK, 303);
});

twoFactorRoutes.post("/enable", async (c) => {
  const { accounts } = c.get("deps").stores;
  const state = await getTwoFactor(accounts, userId(c));
  if (!state || state.enabledAt) return c.redirect(BACK, 303);
  const step = verifyTotp(state.secret, await formText(c, "code"), Date.now());
  if (step === null) {
    return refuse(c, 422, {
      setup_code: "This is not the current code of this key. Check the app and try again.",
    });
  }
  const codes = newRecoveryCodes();
  if (
    !await enableTwoFactor(accounts, userId(c), state.secret, step, codes.map(hashRecoveryCode))
  ) {
    return refuse(c, 409, { form: "The setup changed in another window. Please start again." });
  }
  return renderProfile(c, { newRecoveryCodes: codes });
});

twoFactorRoutes.post("/recovery-codes", async (c) => {
  const refused = await refuseCode(c, "codes_code");
  if (refused) return refused;
  const codes = newRecoveryCodes();
  await replaceRecoveryCodes(c.get("deps").stores.accounts, userId(c), codes.map(hashRecoveryCode));
  return renderProfile(c, { newRecoveryCodes: codes });
});

twoFactorRoutes.post("/disable", async (c) => {
  const user = c.get("user")!;
  const password = await formText(c, "password");
  const check = await c.get("accounts").checkOwnPassword(user, password, c.get("clientAddress"));
  if (!check.ok) {
    const message = check.throttledForMs > 0
      ? throttled(c, check.throttledForMs)
      : "This is not your password";
    return refuse(c, check.throttledForMs > 0 ? 429 : 422, { off_password: message });
  }
  const refused = await refuseCode(c, "off_code");
  if (refused) return refused;
  await disableTwoFactor(c.get("deps").stores.accounts, user.id);
  flash(c, "Two-factor authentication is off. Logging in needs only your password now.");
  return c.redirect(BACK, 303);
});
