/** Accounts in `login_data`: plain async functions over the accounts database. */
import type { Kysely } from "kysely";
import type { AccountsDb } from "./database.ts";
import type { AccountsSchema } from "./schema.ts";
import { EmailTakenError } from "../../lib/errors.ts";

export interface User {
  id: number;
  name: string;
  email: string;
  /** A bcrypt hash, or a werkzeug hash from the original app until the user's next login. */
  passwordHash: string;
  /** Granted by `deno task admin grant` (see `admin.ts`). */
  admin?: boolean;
  /** Locked by an admin: cannot log in, and its sessions and tokens do not work. */
  locked?: boolean;
  /** The IANA zone chosen in the profile (as stored; `http/time_zone.ts` checks it). */
  timeZone?: string;
}

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
}

/** Emails are stored and compared trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

type Row = {
  id: number;
  name: string | null;
  email: string | null;
  password: string | null;
  is_admin?: number | null;
  locked_at?: number | null;
  time_zone?: string | null;
};

/** The columns of `login_data` that `toUser` reads, for a query that joins them to its own. */
export const USER_COLUMNS = [
  "login_data.id",
  "login_data.name",
  "login_data.email",
  "login_data.password",
  "login_data.is_admin",
  "login_data.locked_at",
  "login_data.time_zone",
] as const;

/** A `login_data` row as a user. */
export function toUser(row: Row): User {
  return {
    id: Number(row.id),
    name: row.name ?? "",
    email: row.email ?? "",
    passwordHash: row.password ?? "",
    // Present only when set, so that an ordinary account looks as it always did.
    ...(Number(row.is_admin ?? 0) === 1 ? { admin: true } : {}),
    ...(row.locked_at !== null && row.locked_at !== undefined ? { locked: true } : {}),
    ...(row.time_zone ? { timeZone: row.time_zone } : {}),
  };
}

/** Stores a new account. Throws `EmailTakenError` when the email is in use in any capitalisation. */
export function createUser(accounts: AccountsDb, user: NewUser): Promise<User> {
  const email = normalizeEmail(user.email);
  return accounts.run(async (db) => {
    try {
      const result = await db.insertInto("login_data")
        .values({ name: user.name, email, password: user.passwordHash, created_at: Date.now() })
        .executeTakeFirstOrThrow();
      return {
        id: Number(result.insertId),
        name: user.name,
        email,
        passwordHash: user.passwordHash,
      };
    } catch (error) {
      if (accounts.isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  });
}

/** The account with this email (compared case-insensitively), if any. */
export function findUserByEmail(accounts: AccountsDb, email: string): Promise<User | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("login_data").selectAll()
      .where("email", "=", normalizeEmail(email))
      .executeTakeFirst();
    return row ? toUser(row) : null;
  });
}

export function findUserById(accounts: AccountsDb, id: number): Promise<User | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("login_data").selectAll().where("id", "=", id)
      .executeTakeFirst();
    return row ? toUser(row) : null;
  });
}

/** The names of these accounts, by id (ids without an account are left out); at most 500 ids. */
export function userNames(
  accounts: AccountsDb,
  ids: readonly number[],
): Promise<Map<number, string>> {
  const wanted = [...new Set(ids)].slice(0, 500);
  if (wanted.length === 0) return Promise.resolve(new Map());
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("login_data").select(["id", "name"]).where("id", "in", wanted)
      .execute();
    return new Map(rows.map((row) => [Number(row.id), row.name ?? ""]));
  });
}

/** Changes the name; false when the account does not exist. */
export function updateUserName(accounts: AccountsDb, id: number, name: string): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("login_data").set({ name }).where("id", "=", id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n || (await findRow(db, id));
  });
}

/** Sets the time zone the user's times are shown in (null: the installation's); false when the account does not exist. */
export function updateUserTimeZone(
  accounts: AccountsDb,
  id: number,
  zone: string | null,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("login_data").set({ time_zone: zone })
      .where("id", "=", id).executeTakeFirst();
    return result.numUpdatedRows > 0n || (await findRow(db, id));
  });
}

/** Replaces the password hash; false when the account does not exist. */
export function updateUserPasswordHash(
  accounts: AccountsDb,
  id: number,
  passwordHash: string,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("login_data").set({ password: passwordHash })
      .where("id", "=", id).executeTakeFirst();
    return result.numUpdatedRows > 0n || (await findRow(db, id));
  });
}

/**
 * A password change: the new hash, and — in the same transaction — the user's API tokens
 * revoked and their sessions ended but `keepSessionId` (whoever learnt the old password may
 * have either). A database that fails midway changes none of it. False when the account does
 * not exist.
 */
export function changePassword(
  accounts: AccountsDb,
  id: number,
  passwordHash: string,
  keepSessionId?: string,
): Promise<boolean> {
  return accounts.run((db) =>
    db.transaction().execute(async (trx) =>
      (await replacePassword(trx, id, passwordHash, keepSessionId)) !== null
    )
  );
}

/** What a new password ended: the API tokens revoked and the sessions ended. */
export interface PasswordReplaced {
  tokensRevoked: number;
  sessionsEnded: number;
}

/**
 * The steps of a new password, inside the caller's transaction: the hash, every API token of the
 * user revoked, every session ended but `keepSessionId`. Null when the account does not exist.
 */
export async function replacePassword(
  trx: Kysely<AccountsSchema>,
  id: number,
  passwordHash: string,
  keepSessionId?: string,
): Promise<PasswordReplaced | null> {
  const result = await trx.updateTable("login_data").set({ password: passwordHash })
    .where("id", "=", id).executeTakeFirst();
  if (result.numUpdatedRows === 0n && !(await findRow(trx, id))) return null;
  const tokens = await trx.deleteFrom("api_tokens").where("user_id", "=", id).executeTakeFirst();
  let sessions = trx.deleteFrom("sessions").where("user_id", "=", id);
  if (keepSessionId !== undefined) sessions = sessions.where("id", "!=", keepSessionId);
  const ended = await sessions.executeTakeFirst();
  return {
    tokensRevoked: Number(tokens.numDeletedRows),
    sessionsEnded: Number(ended.numDeletedRows),
  };
}

/** Removes the account; false when it did not exist. */
export function deleteUser(accounts: AccountsDb, id: number): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("login_data").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

// MySQL counts only rows whose value changed, so "0 updated" may still mean "exists".
async function findRow(db: Kysely<AccountsSchema>, id: number): Promise<boolean> {
  const row = await db.selectFrom("login_data").select("id").where("id", "=", id)
    .executeTakeFirst();
  return row !== undefined;
}
