/**
 * Sessions in the accounts database, as a hono-sessions store, so several app instances share
 * them. The store enforces the idle timeout and the absolute lifetime; an empty session (a
 * visitor who has not logged in or opened a form) is never written.
 */
import { createHmac } from "node:crypto";
import type { SessionData, Store } from "hono-sessions";
import { compiledOnce } from "./compiled.ts";
import type { AccountsDb } from "./database.ts";
import { toUser, type User, USER_COLUMNS } from "./users.ts";

export interface SessionPolicy {
  /** A session unused for this long ends (ms). */
  idleMs: number;
  /** A session ends this long after it began, used or not (ms). */
  absoluteMs: number;
}

/** When a session began and was last seen (epoch ms). */
export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
}

/** A stored session with its times. */
export interface StoredSession extends SessionTimes {
  data: SessionData;
  /**
   * The account of the row's `user_id`, read in the same statement (null when the session has
   * no user, or the account is gone): a page needs both, and one query costs half of two.
   */
  user: User | null;
}

/** The session's row and its user's account, compiled once (every page reads it). */
const sessionQuery = compiledOnce((db, id) =>
  db.selectFrom("sessions")
    .leftJoin("login_data", "login_data.id", "sessions.user_id")
    .select(["sessions.data", "sessions.created_at", "sessions.last_seen_at"])
    .select(USER_COLUMNS)
    .where("sessions.id", "=", id)
);

/** How many sessions' keys are kept, and the longest id kept (ours are UUIDs, 36 characters). */
const KEPT_KEYS = 4096;
const KEPT_ID_LENGTH = 64;

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
  /**
   * `secret` keys the table: a session's row is found by HMAC(secret, id), while the cookie
   * carries the id itself (a random UUID). Someone who can read the table cannot use a session,
   * and a new SESSION_SECRET ends every session, as sealed cookies did.
   */
  constructor(
    private readonly accounts: AccountsDb,
    private readonly policy: SessionPolicy,
    private readonly secret = "",
  ) {}

  /** Recent ids' keys: an HMAC costs more than the session's query (most requests are repeats). */
  readonly #keys = new Map<string, string>();

  #keyOf(sid: string): string {
    let key = this.#keys.get(sid);
    if (key === undefined) {
      key = createHmac("sha256", this.secret).update(sid).digest("hex");
      // Only ids of our own length are kept (a cookie sent by anyone can be of any size).
      if (sid.length <= KEPT_ID_LENGTH) {
        if (this.#keys.size >= KEPT_KEYS) this.#keys.delete(this.#keys.keys().next().value!);
        this.#keys.set(sid, key);
      }
    }
    return key;
  }

  async getSessionById(id?: string): Promise<SessionData | null> {
    return (await this.readSession(id))?.data ?? null;
  }

  /**
   * The session with when it began and was last seen (after this read), or null when there is
   * none or it has expired (then it is removed). Reading notes the use unless `touch` is false
   * (a page asking how long its session has left must not extend it).
   */
  readSession(sid: string | undefined, touch = true): Promise<StoredSession | null> {
    if (!sid) return Promise.resolve(null);
    const id = this.#keyOf(sid);
    return this.accounts.run(async (db) => {
      const row = (await db.executeQuery(sessionQuery(db, id))).rows[0];
      if (!row) return null;
      const now = Date.now();
      let lastSeenAt = Number(row.last_seen_at);
      const createdAt = Number(row.created_at);
      if (now - lastSeenAt > this.policy.idleMs || now - createdAt > this.policy.absoluteMs) {
        await db.deleteFrom("sessions").where("id", "=", id).execute();
        return null;
      }
      // Often enough that a session in use never reaches its idle timeout, rarely enough to be cheap.
      if (touch && now - lastSeenAt > Math.min(TOUCH_EVERY_MS, this.policy.idleMs / 2)) {
        await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
        lastSeenAt = now;
      }
      return {
        data: JSON.parse(row.data) as SessionData,
        createdAt,
        lastSeenAt,
        user: row.id === null ? null : toUser({ ...row, id: row.id }),
      };
    });
  }

  /** Notes that the session is in use now ("Stay logged in"); false when it has ended. */
  touch(sid: string): Promise<boolean> {
    const id = this.#keyOf(sid);
    const now = Date.now();
    return this.accounts.run(async (db) => {
      const result = await db.updateTable("sessions").set({ last_seen_at: now })
        .where("id", "=", id).where("last_seen_at", ">=", now - this.policy.idleMs)
        .where("created_at", ">=", now - this.policy.absoluteMs).executeTakeFirst();
      if (result.numUpdatedRows > 0n) return true;
      // MySQL counts changed rows only: a touch in the same millisecond changes nothing.
      const row = await db.selectFrom("sessions").select("id").where("id", "=", id)
        .where("last_seen_at", "=", now).executeTakeFirst();
      return row !== undefined;
    });
  }

  createSession(id: string, data: SessionData): Promise<void> {
    return this.persistSessionData(id, data);
  }

  persistSessionData(sid: string, data: SessionData): Promise<void> {
    if (isEmpty(data)) return Promise.resolve();
    const id = this.#keyOf(sid);
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

  deleteSession(sid: string): Promise<void> {
    const id = this.#keyOf(sid);
    return this.accounts.run(async (db) => {
      await db.deleteFrom("sessions").where("id", "=", id).execute();
    });
  }

  /** Ends every session of a user but `exceptId` (after a password change, or all of them). */
  deleteUserSessions(userId: number, exceptId?: string): Promise<number> {
    return this.accounts.run(async (db) => {
      let query = db.deleteFrom("sessions").where("user_id", "=", userId);
      if (exceptId !== undefined) query = query.where("id", "!=", this.#keyOf(exceptId));
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
