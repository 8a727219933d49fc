/** Accounts in `login_data`: plain async functions over the accounts database. */
import type { AccountsDb } from "./accounts_db.ts";
import { EmailTakenError } from "../lib/errors.ts";

export interface User {
  id: number;
  name: string;
  email: string;
  /** A bcrypt hash, or a werkzeug hash from the original app until the user's next login. */
  passwordHash: string;
  /** Granted by `deno task admin grant` (see `db/admin.ts`). */
  admin?: boolean;
  /** Locked by an admin: cannot log in, and its sessions and tokens do not work. */
  locked?: boolean;
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
};

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

/** Changes the name; false when the account does not exist. */
export function updateUserName(accounts: AccountsDb, id: number, name: string): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.updateTable("login_data").set({ name }).where("id", "=", id)
      .executeTakeFirst();
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
    db.transaction().execute(async (trx) => {
      const result = await trx.updateTable("login_data").set({ password: passwordHash })
        .where("id", "=", id).executeTakeFirst();
      if (result.numUpdatedRows === 0n && !(await findRow(trx, id))) return false;
      await trx.deleteFrom("api_tokens").where("user_id", "=", id).execute();
      let sessions = trx.deleteFrom("sessions").where("user_id", "=", id);
      if (keepSessionId !== undefined) sessions = sessions.where("id", "!=", keepSessionId);
      await sessions.execute();
      return true;
    })
  );
}

/** Removes the account; false when it did not exist. */
export function deleteUser(accounts: AccountsDb, id: number): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("login_data").where("id", "=", id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}

// MySQL counts only rows whose value changed, so "0 updated" may still mean "exists".
async function findRow(db: Awaited<ReturnType<AccountsDb["db"]>>, id: number): Promise<boolean> {
  const row = await db.selectFrom("login_data").select("id").where("id", "=", id)
    .executeTakeFirst();
  return row !== undefined;
}
