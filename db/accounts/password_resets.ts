/**
 * Password-reset links: 256 random bits each, single-use, valid for 30 minutes, stored only as
 * SHA-256 hashes. Using one sets the new password, revokes every API token and ends every session
 * of the account, in one transaction with marking the link used.
 */
import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { AccountsDb } from "./database.ts";
import { accountThrottleKey } from "./login_throttle.ts";
import { normalizeEmail, type PasswordReplaced, replacePassword } from "./users.ts";

/** How long a link works after it was made. */
export const RESET_LINK_MS = 30 * 60_000;

/** Who made a link: the account's owner on /forgot-password, or an admin's command. */
export type ResetMadeBy = "email" | "admin";

/** A link just made: its token exists nowhere else (the table keeps its hash). */
export interface NewPasswordReset {
  token: string;
  expiresAt: Date;
}

/** A link that may still be used, and whose account it resets. */
export interface PasswordResetTarget {
  userId: number;
  email: string;
}

/** A link used: whose password it set, how it was made, and what the new password ended. */
export interface CompletedPasswordReset extends PasswordResetTarget, PasswordReplaced {
  madeBy: ResetMadeBy;
}

/** The shape of a token: 32 bytes in base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** True when `text` could be a token (anything else is refused before any query). */
export function isResetToken(text: string): boolean {
  return TOKEN.test(text);
}

/** The `user_id` of a request's row when no usable account has the email: no link can use it. */
export const NO_ACCOUNT = -1;

/**
 * Makes a link for the account with this email. One statement in every case: an email without an
 * account, or a locked one, gets a row naming no account ({@link NO_ACCOUNT}) that no link can use,
 * so a request for an unknown email writes exactly what one for a known email writes. Whether the
 * link works — and so whether a message is due — {@link findPasswordReset} says.
 */
export function createPasswordReset(
  accounts: AccountsDb,
  email: string,
  madeBy: ResetMadeBy,
  now = Date.now(),
): Promise<NewPasswordReset> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = now + RESET_LINK_MS;
  const address = normalizeEmail(email);
  return accounts.run(async (db) => {
    await db.insertInto("password_resets").values({
      token_hash: hashOf(token),
      user_id: sql<number>`COALESCE((SELECT id FROM login_data WHERE email = ${address}
        AND locked_at IS NULL), ${NO_ACCOUNT})`,
      created_by: madeBy,
      created_at: now,
      expires_at: expiresAt,
    }).execute();
    return { token, expiresAt: new Date(expiresAt) };
  });
}

/** The account of a link that works now (not used, not expired, account not locked), or null. */
export function findPasswordReset(
  accounts: AccountsDb,
  token: string,
  now = Date.now(),
): Promise<PasswordResetTarget | null> {
  if (!isResetToken(token)) return Promise.resolve(null);
  return accounts.run(async (db) => {
    const row = await db.selectFrom("password_resets")
      .innerJoin("login_data", "login_data.id", "password_resets.user_id")
      .select(["login_data.id", "login_data.email"])
      .where("password_resets.token_hash", "=", hashOf(token))
      .where("password_resets.used_at", "is", null)
      .where("password_resets.expires_at", ">", now)
      .where("login_data.locked_at", "is", null)
      .executeTakeFirst();
    return row ? { userId: Number(row.id), email: row.email ?? "" } : null;
  });
}

/**
 * Uses a link: marks it used — a conditional update that only one of several concurrent uses can
 * make — then, in the same transaction, sets the new password, revokes the account's API tokens,
 * ends its sessions, marks its other links used and forgets its failed logins. Null when the link
 * is unknown, used, expired, or its account is gone or locked (nothing is changed but the mark).
 */
export function completePasswordReset(
  accounts: AccountsDb,
  token: string,
  passwordHash: string,
  now = Date.now(),
): Promise<CompletedPasswordReset | null> {
  if (!isResetToken(token)) return Promise.resolve(null);
  const tokenHash = hashOf(token);
  return accounts.run((db) =>
    db.transaction().execute(async (trx) => {
      const claimed = await trx.updateTable("password_resets").set({ used_at: now })
        .where("token_hash", "=", tokenHash).where("used_at", "is", null)
        .where("expires_at", ">", now).executeTakeFirst();
      if (claimed.numUpdatedRows === 0n) return null;
      const row = await trx.selectFrom("password_resets")
        .innerJoin("login_data", "login_data.id", "password_resets.user_id")
        .select(["login_data.id", "login_data.email", "login_data.locked_at", "created_by"])
        .where("token_hash", "=", tokenHash).executeTakeFirst();
      if (!row || row.locked_at !== null) return null;
      const userId = Number(row.id);
      const replaced = await replacePassword(trx, userId, passwordHash);
      if (!replaced) return null;
      await trx.updateTable("password_resets").set({ used_at: now })
        .where("user_id", "=", userId).where("used_at", "is", null).execute();
      const email = row.email ?? "";
      await trx.deleteFrom("login_failures").where("throttle_key", "=", accountThrottleKey(email))
        .execute();
      return {
        userId,
        email,
        madeBy: row.created_by === "admin" ? "admin" : "email",
        ...replaced,
      };
    })
  );
}

/** The address to send a just-made link to: the account's own, as stored. */
export function resetRecipient(accounts: AccountsDb, token: string): Promise<string | null> {
  return findPasswordReset(accounts, token).then((target) => target?.email || null);
}

/** Removes links that have expired (used or not); returns how many. */
export function deleteExpiredPasswordResets(
  accounts: AccountsDb,
  now = Date.now(),
): Promise<number> {
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("password_resets").where("expires_at", "<=", now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
