/**
 * Checking a second-factor code — a TOTP code or a recovery code — for the login page, token
 * requests and the profile: throttled like a password (counted before it is checked), compared
 * in constant time, and each time step or recovery code accepted once only.
 */
import { beginAttempt, codeKeys, codeThrottleKey } from "../../db/accounts/login_throttle.ts";
import {
  claimRecoveryCode,
  claimTotpStep,
  getTwoFactor,
  type TwoFactor,
  unusedRecoveryCodes,
} from "../../db/accounts/two_factor.ts";
import type { AccountsDb } from "../../db/accounts/database.ts";
import { recoveryCodeMatches } from "../recovery_codes.ts";
import { verifyTotp } from "../totp.ts";
import type { CredentialDeps } from "./credentials.ts";

/** The one message for a wrong, expired or already used code. */
export const WRONG_CODE = "The code is not correct, or it has been used already.";

/** The longest code text looked at (a recovery code with spaces is 14 characters). */
const MAX_CODE_LENGTH = 64;

export type CodeCheck =
  | { ok: true; via: "totp" | "recovery" }
  | { ok: false; throttledForMs: number };

/** True when the user has the second factor on (a setup under way does not count). */
export async function secondFactorOn(accounts: AccountsDb, userId: number): Promise<boolean> {
  return (await getTwoFactor(accounts, userId))?.enabledAt != null;
}

/**
 * Accepts `code` for `state` — six digits for a TOTP code of the current time step or one step
 * either side, anything else as a recovery code — and marks it used. The TOTP check refuses
 * steps up to the last one used; the mark is a conditional update, so of two concurrent
 * requests with the same code only one succeeds.
 */
export async function acceptCode(
  accounts: AccountsDb,
  userId: number,
  state: TwoFactor,
  code: string,
): Promise<"totp" | "recovery" | null> {
  if (code.length > MAX_CODE_LENGTH) return null;
  if (/^[0-9]{6}$/.test(code.replace(/\s+/g, ""))) {
    const step = verifyTotp(state.secret, code, Date.now(), {
      afterStep: state.lastUsedStep ?? -1,
    });
    return step !== null && await claimTotpStep(accounts, userId, step) ? "totp" : null;
  }
  const stored = await unusedRecoveryCodes(accounts, userId);
  const index = recoveryCodeMatches(code, stored.map((row) => row.hash));
  return index >= 0 && await claimRecoveryCode(accounts, stored[index]!.id) ? "recovery" : null;
}

/**
 * Checks a second-factor code of `userId` from `client`. The attempt is counted before the code
 * is looked at and a throttled one is refused unchecked; a wrong code stays counted against the
 * account's codes and the client; success forgets the account's code failures.
 */
export async function checkSecondFactor(
  deps: CredentialDeps,
  userId: number,
  code: string,
  client: string,
): Promise<CodeCheck> {
  const { accounts, security } = deps;
  const attempt = await beginAttempt(accounts, codeKeys(userId, client, security.throttle));
  if (attempt.waitMs > 0) return { ok: false, throttledForMs: attempt.waitMs };
  const state = await getTwoFactor(accounts, userId);
  const via = state?.enabledAt ? await acceptCode(accounts, userId, state, code) : null;
  if (!via) return { ok: false, throttledForMs: 0 };
  await attempt.succeeded(codeThrottleKey(userId));
  return { ok: true, via };
}
