/**
 * Throttling of logins, token requests, password re-entries and registrations, kept in the
 * accounts database (not in process memory) so that every app instance sees the same counts.
 * A sliding window per key: an account (`account:<email>`), a client address
 * (`client:<ip>`), a registering client (`register:<ip>`), the second-factor codes of an
 * account (`code:<user id>`, under the account's rule), or requests for a password-reset link
 * (`reset:<email>`, `reset-client:<ip>`, under their own rules).
 *
 * An attempt is counted before it is checked: its row is written first, then the rows written
 * before it decide whether it may go ahead. A burst of parallel requests therefore cannot all
 * pass the check before any of them has recorded a failure.
 */
import type { SecurityConfig, ThrottleRule } from "../../config.ts";
import type { AccountsDb } from "./database.ts";

/** The key prefix of each kind, by which the clean-up tells them apart. */
const PREFIXES = {
  account: "account:",
  client: "client:",
  register: "register:",
  code: "code:",
} as const;

/** The rule each kind of key is held to (codes: the account's). */
const RULE_OF = {
  account: "account",
  client: "client",
  register: "register",
  code: "account",
} as const;

/** Per key kind: how many attempts are allowed in what time. */
export type ThrottlePolicy = SecurityConfig["throttle"];

/** One key an attempt counts against, with the rule for that key. */
export interface ThrottleKey {
  key: string;
  rule: ThrottleRule;
}

/** An account-level key under the account's rule, and the client address under its own. */
function accountAndClient(key: string, clientAddress: string, policy: ThrottlePolicy) {
  return [
    { key, rule: policy.account },
    { key: `${PREFIXES.client}${clientAddress}`, rule: policy.client },
  ];
}

/** The keys of a credential check: the normalised email and the client address. */
export function credentialKeys(
  email: string,
  clientAddress: string,
  policy: ThrottlePolicy,
): ThrottleKey[] {
  return accountAndClient(accountThrottleKey(email), clientAddress, policy);
}

/**
 * The keys of a second-factor code: the account's codes (apart from its passwords, so that
 * knowing the password, which clears the password failures, does not reset the code guesses)
 * and the client address.
 */
export function codeKeys(
  userId: number,
  clientAddress: string,
  policy: ThrottlePolicy,
): ThrottleKey[] {
  return accountAndClient(codeThrottleKey(userId), clientAddress, policy);
}

/** The key of an account's second-factor codes, e.g. for `Attempt.succeeded()`. */
export function codeThrottleKey(userId: number): string {
  return `${PREFIXES.code}${userId}`;
}

/** The key of registrations from one client address. */
export function registrationKeys(clientAddress: string, policy: ThrottlePolicy): ThrottleKey[] {
  return [{ key: `${PREFIXES.register}${clientAddress}`, rule: policy.register }];
}

/** An attempt under way: allowed (`waitMs` 0) or refused for `waitMs` more milliseconds. */
export interface Attempt {
  waitMs: number;
  /**
   * The attempt succeeded: its own rows go, and so do the earlier failures of `forgetKey`
   * (a successful login forgets the account's failures; the client's remain).
   */
  succeeded(forgetKey?: string): Promise<void>;
}

/**
 * Records an attempt against every key, then decides: refused when, for some key, `limit`
 * attempts were recorded within the window before this one. A refused attempt removes its own
 * rows again, so that hammering a blocked key does not extend the block. An allowed attempt's
 * rows stay (as failures) unless `succeeded()` is called.
 */
export function beginAttempt(accounts: AccountsDb, keys: ThrottleKey[]): Promise<Attempt> {
  const now = Date.now();
  return accounts.run(async (db) => {
    const mine: number[] = [];
    for (const { key } of keys) {
      const result = await db.insertInto("login_failures")
        .values({ throttle_key: key, failed_at: now }).executeTakeFirstOrThrow();
      mine.push(Number(result.insertId));
    }
    let waitMs = 0;
    for (const [i, { key, rule }] of keys.entries()) {
      // The attempts before this one (lower ids) that are still in the window, newest first.
      const earlier = await db.selectFrom("login_failures").select("failed_at")
        .where("throttle_key", "=", key).where("failed_at", ">", now - rule.windowMs)
        .where("id", "<", mine[i]!).orderBy("id", "desc").limit(rule.limit).execute();
      if (earlier.length >= rule.limit) {
        const oldest = Math.min(...earlier.map((row) => Number(row.failed_at)));
        waitMs = Math.max(waitMs, oldest + rule.windowMs - now, 1);
      }
    }
    const removeMine = () =>
      accounts.run(async (handle) => {
        await handle.deleteFrom("login_failures").where("id", "in", mine).execute();
      });
    if (waitMs > 0) await removeMine();
    return {
      waitMs,
      async succeeded(forgetKey) {
        await removeMine();
        if (forgetKey === undefined) return;
        await accounts.run(async (handle) => {
          await handle.deleteFrom("login_failures").where("throttle_key", "=", forgetKey)
            .execute();
        });
      },
    };
  });
}

/** The account key of an email, e.g. for `Attempt.succeeded()`. */
export function accountThrottleKey(email: string): string {
  return `${PREFIXES.account}${email.trim().toLowerCase()}`;
}

/** The key prefixes of password-reset requests (their rules are apart from the logins'). */
const RESET_PREFIXES = { email: "reset:", client: "reset-client:" } as const;

/** Per email and per client address: how many reset links may be asked for in what time. */
export type ResetThrottleRules = SecurityConfig["resetThrottle"];

/**
 * The keys of a request for a password-reset link: the normalised email (whether an account has
 * it or not) and the client address.
 */
export function passwordResetKeys(
  email: string,
  clientAddress: string,
  rules: ResetThrottleRules,
): ThrottleKey[] {
  return [
    { key: `${RESET_PREFIXES.email}${email.trim().toLowerCase()}`, rule: rules.email },
    { key: `${RESET_PREFIXES.client}${clientAddress}`, rule: rules.client },
  ];
}

/** Removes reset requests that have left their window; returns how many. */
export function deleteOldResetRequests(
  accounts: AccountsDb,
  rules: ResetThrottleRules,
): Promise<number> {
  const now = Date.now();
  return accounts.run(async (db) => {
    let removed = 0;
    for (const kind of ["email", "client"] as const) {
      const result = await db.deleteFrom("login_failures")
        .where("throttle_key", "like", `${RESET_PREFIXES[kind]}%`)
        .where("failed_at", "<", now - rules[kind].windowMs).executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    return removed;
  });
}

/** Removes attempts that have left their kind's window; returns how many. */
export function deleteOldFailures(accounts: AccountsDb, policy: ThrottlePolicy): Promise<number> {
  const now = Date.now();
  return accounts.run(async (db) => {
    let removed = 0;
    for (const kind of Object.keys(PREFIXES) as (keyof typeof PREFIXES)[]) {
      const result = await db.deleteFrom("login_failures")
        .where("throttle_key", "like", `${PREFIXES[kind]}%`)
        .where("failed_at", "<", now - policy[RULE_OF[kind]].windowMs).executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
    return removed;
  });
}
