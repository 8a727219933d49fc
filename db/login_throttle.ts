/**
 * Throttling of failed logins and token requests, kept in the accounts database (not in process
 * memory) so that every app instance sees the same counts. A sliding window per key: an
 * account (`account:<email>`) or a client address (`client:<ip>`).
 */
import type { SecurityConfig } from "../config.ts";
import type { AccountsDb } from "./accounts_db.ts";

/** Per key kind: how many failures are allowed in what time. */
export type ThrottlePolicy = SecurityConfig["throttle"];

export interface ThrottleKeys {
  account: string;
  client: string;
}

/** The keys of one attempt: the normalised email and the client address. */
export function throttleKeys(email: string, clientAddress: string): ThrottleKeys {
  return { account: `account:${email.trim().toLowerCase()}`, client: `client:${clientAddress}` };
}

/**
 * How long (ms) the attempt must wait, or 0 when it may go ahead: blocked once a key has had
 * `limit` failures within the window, until the oldest of those leaves it.
 */
export function throttleWait(
  accounts: AccountsDb,
  keys: ThrottleKeys,
  policy: ThrottlePolicy,
): Promise<number> {
  const now = Date.now();
  return accounts.run(async (db) => {
    let wait = 0;
    for (const kind of ["account", "client"] as const) {
      const rule = policy[kind];
      const rows = await db.selectFrom("login_failures").select("failed_at")
        .where("throttle_key", "=", keys[kind]).where("failed_at", ">", now - rule.windowMs)
        .orderBy("failed_at", "desc").limit(rule.limit).execute();
      if (rows.length >= rule.limit) {
        const oldest = Number(rows[rows.length - 1]!.failed_at);
        wait = Math.max(wait, oldest + rule.windowMs - now);
      }
    }
    return wait;
  });
}

/** Counts a failed attempt against both keys. */
export function recordFailure(accounts: AccountsDb, keys: ThrottleKeys): Promise<void> {
  const now = Date.now();
  return accounts.run(async (db) => {
    await db.insertInto("login_failures").values([
      { throttle_key: keys.account, failed_at: now },
      { throttle_key: keys.client, failed_at: now },
    ]).execute();
  });
}

/** A successful login forgets the account's failures (the client's remain). */
export function clearAccountFailures(accounts: AccountsDb, keys: ThrottleKeys): Promise<void> {
  return accounts.run(async (db) => {
    await db.deleteFrom("login_failures").where("throttle_key", "=", keys.account).execute();
  });
}

/** Removes failures older than every window; returns how many. */
export function deleteOldFailures(accounts: AccountsDb, policy: ThrottlePolicy): Promise<number> {
  const longest = Math.max(policy.account.windowMs, policy.client.windowMs);
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("login_failures")
      .where("failed_at", "<", Date.now() - longest).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
