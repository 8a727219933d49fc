/** Checking an email and password, for the login page and token requests alike: throttled, constant-time, rehashing. */
import type { Context } from "hono";
import {
  clearAccountFailures,
  recordFailure,
  throttleKeys,
  throttleWait,
} from "../db/login_throttle.ts";
import { findUserByEmail, updateUserPasswordHash, type User } from "../db/users.ts";
import {
  hashPassword,
  needsRehash,
  verifyAgainstNothing,
  verifyPassword,
} from "../lib/passwords.ts";
import { clientAddress } from "./auth_guard.ts";
import type { AppEnv } from "./env.ts";

export type CredentialCheck =
  | { ok: true; user: User }
  | { ok: false; throttledForMs: number };

/** The one message for an unknown email and a wrong password. */
export const WRONG_CREDENTIALS = "The email or password is not correct.";

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
 * Checks the credentials. A throttled attempt is refused before the password is looked at;
 * a failure counts against the account and the client; success forgets the account's failures
 * and replaces a werkzeug (or weaker bcrypt) hash with a bcrypt one.
 */
export async function checkCredentials(
  c: Context<AppEnv>,
  email: string,
  password: string,
): Promise<CredentialCheck> {
  const { stores, config } = c.get("deps");
  const accounts = stores.accounts;
  const cost = config.security.bcryptCost;
  const keys = throttleKeys(email, clientAddress(c));
  const wait = await throttleWait(accounts, keys, config.security.throttle);
  if (wait > 0) return { ok: false, throttledForMs: wait };

  const user = email.trim() ? await findUserByEmail(accounts, email) : null;
  const valid = user ? await verifyPassword(password, user.passwordHash) : false;
  if (!user) await verifyAgainstNothing(password, cost);
  if (!user || !valid) {
    await recordFailure(accounts, keys);
    return { ok: false, throttledForMs: 0 };
  }
  await clearAccountFailures(accounts, keys);
  if (needsRehash(user.passwordHash, cost)) {
    user.passwordHash = await hashPassword(password, cost);
    await updateUserPasswordHash(accounts, user.id, user.passwordHash);
  }
  return { ok: true, user };
}

/**
 * Checks the logged-in user's password when they re-enter it (password change, account
 * deletion), throttled like a login so that a borrowed session cannot be used to guess it.
 */
export async function checkOwnPassword(
  c: Context<AppEnv>,
  user: User,
  password: string,
): Promise<{ ok: true } | { ok: false; throttledForMs: number }> {
  const { stores, config } = c.get("deps");
  const keys = throttleKeys(user.email, clientAddress(c));
  const wait = await throttleWait(stores.accounts, keys, config.security.throttle);
  if (wait > 0) return { ok: false, throttledForMs: wait };
  if (await verifyPassword(password, user.passwordHash)) return { ok: true };
  await recordFailure(stores.accounts, keys);
  return { ok: false, throttledForMs: 0 };
}
