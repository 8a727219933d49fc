/** Checking an email and password, for the login page and token requests alike: throttled, constant-time, rehashing. */
import type { SecurityConfig } from "../../config.ts";
import type { AccountsDb } from "../../db/accounts/database.ts";
import { recordLogin } from "../../db/accounts/admin.ts";
import { acceptInvitations } from "../../db/accounts/registries.ts";
import {
  accountThrottleKey,
  beginAttempt,
  credentialKeys,
} from "../../db/accounts/login_throttle.ts";
import { findUserByEmail, updateUserPasswordHash, type User } from "../../db/accounts/users.ts";
import { hashPassword, needsRehash, verifyAgainstNothing, verifyPassword } from "../passwords.ts";

/** What a credential check needs from the app. */
export interface CredentialDeps {
  accounts: AccountsDb;
  security: SecurityConfig;
}

export type CredentialCheck =
  | { ok: true; user: User }
  | { ok: false; throttledForMs: number; locked?: boolean };

export type OwnPasswordCheck = { ok: true } | { ok: false; throttledForMs: number };

/** The one message for an unknown email and a wrong password. */
export const WRONG_CREDENTIALS = "The email or password is not correct.";

/** Told only to someone who knows the password. */
export const ACCOUNT_LOCKED = "This account is locked. Please ask an administrator to unlock it.";

/** "Try again in 4 minutes", in words a person reads. */
export function retryInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export function tooManyAttempts(ms: number): string {
  return `Too many failed attempts. Please wait and try again in ${retryInWords(ms)}.`;
}

/**
 * Checks the credentials of a login or token request from `client`. The attempt is counted
 * before the password is looked at, and a throttled one is refused unchecked; a failure stays
 * counted against the account and the client; success forgets the account's failures and
 * replaces a werkzeug (or weaker, or old long-password) hash with a current one.
 */
export async function checkCredentials(
  deps: CredentialDeps,
  email: string,
  password: string,
  client: string,
): Promise<CredentialCheck> {
  const { accounts, security } = deps;
  const attempt = await beginAttempt(accounts, credentialKeys(email, client, security.throttle));
  if (attempt.waitMs > 0) return { ok: false, throttledForMs: attempt.waitMs };

  const user = email.trim() ? await findUserByEmail(accounts, email) : null;
  const valid = user ? await verifyPassword(password, user.passwordHash) : false;
  if (!user) await verifyAgainstNothing(password, security.bcryptCost);
  if (!user || !valid) return { ok: false, throttledForMs: 0 };
  if (user.locked) return { ok: false, throttledForMs: 0, locked: true };
  await attempt.succeeded(accountThrottleKey(email));
  await recordLogin(accounts, user.id);
  // Normally taken at registration; one left over (that step failed) is taken at the next login.
  await acceptInvitations(accounts, user.id, user.email);
  if (needsRehash(user.passwordHash, security.bcryptCost, password)) {
    user.passwordHash = await hashPassword(password, security.bcryptCost);
    await updateUserPasswordHash(accounts, user.id, user.passwordHash);
  }
  return { ok: true, user };
}

/**
 * Checks the logged-in user's password when they re-enter it (password change, account
 * deletion), throttled like a login so that a borrowed session cannot be used to guess it.
 */
export async function checkOwnPassword(
  deps: CredentialDeps,
  user: User,
  password: string,
  client: string,
): Promise<OwnPasswordCheck> {
  const keys = credentialKeys(user.email, client, deps.security.throttle);
  const attempt = await beginAttempt(deps.accounts, keys);
  if (attempt.waitMs > 0) return { ok: false, throttledForMs: attempt.waitMs };
  if (!(await verifyPassword(password, user.passwordHash))) {
    return { ok: false, throttledForMs: 0 };
  }
  await attempt.succeeded();
  return { ok: true };
}
