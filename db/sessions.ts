/**
 * Sessions in the accounts database, as a hono-sessions store, so several app instances share
 * them. The store enforces the idle timeout and the absolute lifetime; an empty session (a
 * visitor who has not logged in or opened a form) is never written.
 */
import type { SessionData, Store } from "hono-sessions";
import type { AccountsDb } from "./accounts_db.ts";

export interface SessionPolicy {
  /** A session unused for this long ends (ms). */
  idleMs: number;
  /** A session ends this long after it began, used or not (ms). */
  absoluteMs: number;
}

/** How often `last_seen_at` is written while a session is in use (ms): not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** The logged-in user's id as the session data holds it, or null. */
export function sessionUserId(data: SessionData): number | null {
  const value = data._data?.user_id?.value;
  return typeof value === "number" ? value : null;
}

function isEmpty(data: SessionData): boolean {
  return Object.keys(data._data ?? {}).length === 0;
}

/** A hono-sessions `Store` over the `sessions` table. */
export class DatabaseSessionStore implements Store {
  constructor(private readonly accounts: AccountsDb, private readonly policy: SessionPolicy) {}

  getSessionById(id?: string): Promise<SessionData | null> {
    if (!id) return Promise.resolve(null);
    return this.accounts.run(async (db) => {
      const row = await db.selectFrom("sessions").selectAll().where("id", "=", id)
        .executeTakeFirst();
      if (!row) return null;
      const now = Date.now();
      const lastSeen = Number(row.last_seen_at);
      if (
        now - lastSeen > this.policy.idleMs || now - Number(row.created_at) > this.policy.absoluteMs
      ) {
        await db.deleteFrom("sessions").where("id", "=", id).execute();
        return null;
      }
      // Often enough that a session in use never reaches its idle timeout, rarely enough to be cheap.
      if (now - lastSeen > Math.min(TOUCH_EVERY_MS, this.policy.idleMs / 2)) {
        await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
      }
      return JSON.parse(row.data) as SessionData;
    });
  }

  createSession(id: string, data: SessionData): Promise<void> {
    return this.persistSessionData(id, data);
  }

  persistSessionData(id: string, data: SessionData): Promise<void> {
    if (isEmpty(data)) return Promise.resolve();
    const now = Date.now();
    const row = {
      id,
      user_id: sessionUserId(data),
      data: JSON.stringify(data),
      created_at: now,
      last_seen_at: now,
    };
    const changes = { user_id: row.user_id, data: row.data, last_seen_at: now };
    return this.accounts.run(async (db) => {
      const insert = db.insertInto("sessions").values(row);
      await (this.accounts.dialect === "mysql"
        ? insert.onDuplicateKeyUpdate(changes)
        : insert.onConflict((oc) => oc.column("id").doUpdateSet(changes))).execute();
    });
  }

  deleteSession(id: string): Promise<void> {
    return this.accounts.run(async (db) => {
      await db.deleteFrom("sessions").where("id", "=", id).execute();
    });
  }

  /** Ends every session of a user but `exceptId` (after a password change, or all of them). */
  deleteUserSessions(userId: number, exceptId?: string): Promise<number> {
    return this.accounts.run(async (db) => {
      let query = db.deleteFrom("sessions").where("user_id", "=", userId);
      if (exceptId !== undefined) query = query.where("id", "!=", exceptId);
      return Number((await query.executeTakeFirst()).numDeletedRows);
    });
  }

  /** Removes sessions past their idle timeout or lifetime; returns how many. */
  deleteExpired(now = Date.now()): Promise<number> {
    return this.accounts.run(async (db) => {
      const result = await db.deleteFrom("sessions").where((eb) =>
        eb.or([
          eb("last_seen_at", "<", now - this.policy.idleMs),
          eb("created_at", "<", now - this.policy.absoluteMs),
        ])
      ).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}
