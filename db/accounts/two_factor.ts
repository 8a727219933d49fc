/**
 * The second factor in the accounts database: each user's TOTP secret (pending until confirmed),
 * the last time step a code was accepted for, and the recovery codes as SHA-256 hashes. Using a
 * time step or a recovery code is one conditional UPDATE, so two requests racing with the same
 * code cannot both succeed.
 */
import type { AccountsDb } from "./database.ts";

export interface TwoFactor {
  /** The base32 secret. */
  secret: string;
  createdAt: Date;
  /** When it was turned on; null while the setup waits for its first code. */
  enabledAt: Date | null;
  /** The last time step a code was accepted for, or null. */
  lastUsedStep: number | null;
}

/** A recovery code as stored: its row id and hash, never the code. */
export interface StoredRecoveryCode {
  id: number;
  hash: string;
}

/** The user's second factor (on, or a setup under way), or null. */
export function getTwoFactor(accounts: AccountsDb, userId: number): Promise<TwoFactor | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("two_factor").selectAll().where("user_id", "=", userId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      secret: row.secret,
      createdAt: new Date(Number(row.created_at)),
      enabledAt: row.enabled_at === null ? null : new Date(Number(row.enabled_at)),
      lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    };
  });
}

/** The ids of those of `userIds` who have the second factor on (for the admin pages). */
export function twoFactorEnabled(accounts: AccountsDb, userIds: number[]): Promise<Set<number>> {
  if (userIds.length === 0) return Promise.resolve(new Set());
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("two_factor").select("user_id")
      .where("user_id", "in", userIds).where("enabled_at", "is not", null).execute();
    return new Set(rows.map((row) => Number(row.user_id)));
  });
}

/**
 * Starts a setup with a new secret, replacing an unconfirmed one; false when the second factor
 * is already on (it must be turned off first).
 */
export function beginTwoFactorSetup(
  accounts: AccountsDb,
  userId: number,
  secret: string,
): Promise<boolean> {
  return accounts.run(async (db) => {
    await db.deleteFrom("two_factor").where("user_id", "=", userId).where("enabled_at", "is", null)
      .execute();
    try {
      await db.insertInto("two_factor").values({
        user_id: userId,
        secret,
        created_at: Date.now(),
        enabled_at: null,
        last_used_step: null,
      }).execute();
      return true;
    } catch (error) {
      if (accounts.isUniqueViolation(error)) return false;
      throw error;
    }
  });
}

/** Drops a setup that was never confirmed (a second factor that is on stays). */
export function cancelTwoFactorSetup(accounts: AccountsDb, userId: number): Promise<void> {
  return accounts.run(async (db) => {
    await db.deleteFrom("two_factor").where("user_id", "=", userId).where("enabled_at", "is", null)
      .execute();
  });
}

/**
 * Turns the second factor on: the setup with exactly this secret becomes active, with `step`
 * (the confirming code's) already used, and `codeHashes` become the recovery codes. False when
 * the setup was replaced or confirmed meanwhile.
 */
export async function enableTwoFactor(
  accounts: AccountsDb,
  userId: number,
  secret: string,
  step: number,
  codeHashes: string[],
): Promise<boolean> {
  // The codes first: a failure after them leaves the setup pending, never on without codes.
  await replaceRecoveryCodes(accounts, userId, codeHashes);
  return accounts.run(async (db) => {
    const result = await db.updateTable("two_factor")
      .set({ enabled_at: Date.now(), last_used_step: step })
      .where("user_id", "=", userId).where("secret", "=", secret).where("enabled_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}

/** Turns the second factor off: the secret and every recovery code go. */
export function disableTwoFactor(accounts: AccountsDb, userId: number): Promise<void> {
  return accounts.run(async (db) => {
    await db.deleteFrom("two_factor").where("user_id", "=", userId).execute();
    await db.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  });
}

/**
 * Records that a code of time step `step` was accepted. False when this step or a later one was
 * already used — a replay, or a concurrent request with the same code that won.
 */
export function claimTotpStep(
  accounts: AccountsDb,
  userId: number,
  step: number,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("two_factor").set({ last_used_step: step })
      .where("user_id", "=", userId).where("enabled_at", "is not", null)
      .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}

/** Replaces the user's recovery codes by these hashes. */
export function replaceRecoveryCodes(
  accounts: AccountsDb,
  userId: number,
  codeHashes: string[],
): Promise<void> {
  const now = Date.now();
  return accounts.run(async (db) => {
    await db.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    if (codeHashes.length === 0) return;
    await db.insertInto("recovery_codes").values(
      codeHashes.map((hash) => ({
        user_id: userId,
        code_hash: hash,
        created_at: now,
        used_at: null,
      })),
    ).execute();
  });
}

/** The user's recovery codes not used yet. */
export function unusedRecoveryCodes(
  accounts: AccountsDb,
  userId: number,
): Promise<StoredRecoveryCode[]> {
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("recovery_codes").select(["id", "code_hash"])
      .where("user_id", "=", userId).where("used_at", "is", null).orderBy("id").execute();
    return rows.map((row) => ({ id: Number(row.id), hash: row.code_hash }));
  });
}

/** Marks a recovery code used; false when it already was (each code works once). */
export function claimRecoveryCode(accounts: AccountsDb, id: number): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("recovery_codes").set({ used_at: Date.now() })
      .where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}
