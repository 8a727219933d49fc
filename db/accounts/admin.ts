/** What admins do with accounts: grant and revoke the role, list users, lock and unlock them. */
import { type Kysely, sql } from "kysely";
import type { AccountsDb } from "./database.ts";
import { normalizeEmail } from "./users.ts";

/** A user as the admin pages list them (no password hash). */
export interface UserSummary {
  id: number;
  name: string;
  email: string;
  admin: boolean;
  locked: boolean;
  lockedAt: Date | null;
  /** Null for accounts registered before this was recorded. */
  createdAt: Date | null;
  lastLoginAt: Date | null;
  /** Whether a second factor (TOTP) is on: set up and confirmed. */
  twoFactor: boolean;
}

type SummaryRow = {
  id: number;
  name: string | null;
  email: string | null;
  is_admin: number;
  locked_at: number | null;
  created_at: number | null;
  last_login_at: number | null;
  two_factor: number | string | null;
};

const SUMMARY_COLUMNS = [
  "id",
  "name",
  "email",
  "is_admin",
  "locked_at",
  "created_at",
  "last_login_at",
] as const;

/** The summary's columns, and whether the user's second factor is on (one query for a page). */
// deno-lint-ignore no-explicit-any
function selectSummaries(db: Kysely<any>) {
  return db.selectFrom("login_data").select([
    ...SUMMARY_COLUMNS,
    sql<number>`EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = login_data.id
      AND t.enabled_at IS NOT NULL)`.as("two_factor"),
  ]);
}

const dateOf = (ms: number | null) => ms === null ? null : new Date(Number(ms));

function toSummary(row: SummaryRow): UserSummary {
  return {
    id: Number(row.id),
    name: row.name ?? "",
    email: row.email ?? "",
    admin: Number(row.is_admin) === 1,
    locked: row.locked_at !== null,
    lockedAt: dateOf(row.locked_at),
    createdAt: dateOf(row.created_at),
    lastLoginAt: dateOf(row.last_login_at),
    twoFactor: Number(row.two_factor) === 1,
  };
}

/** Makes the account with this email an admin, or not; null when there is no such account. */
export function setAdmin(
  accounts: AccountsDb,
  email: string,
  admin: boolean,
): Promise<{ id: number; email: string; changed: boolean } | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("login_data").select(["id", "email", "is_admin"])
      .where("email", "=", normalizeEmail(email)).executeTakeFirst();
    if (!row) return null;
    const changed = (Number(row.is_admin) === 1) !== admin;
    if (changed) {
      await db.updateTable("login_data").set({ is_admin: admin ? 1 : 0 }).where("id", "=", row.id)
        .execute();
    }
    return { id: Number(row.id), email: row.email ?? "", changed };
  });
}

/** A page of users by id, and how many there are. */
export function listUsers(
  accounts: AccountsDb,
  page: { offset: number; limit: number },
): Promise<{ items: UserSummary[]; total: number }> {
  return accounts.run(async (db) => {
    const rows = await selectSummaries(db).orderBy("id")
      .limit(page.limit).offset(page.offset).execute();
    const count = await db.selectFrom("login_data")
      .select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return { items: rows.map(toSummary), total: Number(count.n) };
  });
}

export function findUserSummary(accounts: AccountsDb, id: number): Promise<UserSummary | null> {
  return accounts.run(async (db) => {
    const row = await selectSummaries(db).where("id", "=", id).executeTakeFirst();
    return row ? toSummary(row) : null;
  });
}

/** Locks or unlocks an account; false when it does not exist. A lock keeps its first time. */
export function setLocked(accounts: AccountsDb, id: number, locked: boolean): Promise<boolean> {
  return accounts.run(async (db) => {
    let query = db.updateTable("login_data").set({ locked_at: locked ? Date.now() : null })
      .where("id", "=", id);
    if (locked) query = query.where("locked_at", "is", null);
    await query.execute();
    const row = await db.selectFrom("login_data").select("id").where("id", "=", id)
      .executeTakeFirst();
    return row !== undefined;
  });
}

/** Notes a successful login (or token request) for the admins' list. */
export function recordLogin(accounts: AccountsDb, id: number): Promise<void> {
  return accounts.run(async (db) => {
    await db.updateTable("login_data").set({ last_login_at: Date.now() }).where("id", "=", id)
      .execute();
  });
}
