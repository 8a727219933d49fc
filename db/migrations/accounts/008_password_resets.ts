/**
 * Migration 008 (frozen): `password_resets`, the single-use password-reset links. A link's token
 * is stored only as its SHA-256 hash; `used_at` is set once, by a conditional update, when the
 * link is used. The same SQL runs on MySQL/MariaDB and SQLite, and runs again harmlessly after a
 * start-up that stopped halfway (MySQL has no transactional DDL).
 */
import { type Kysely, sql } from "kysely";

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS password_resets (
    token_hash CHAR(64) NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL,
    created_by VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NULL
  )`.execute(db);
  try {
    await sql`CREATE INDEX password_resets_user_id ON password_resets (user_id)`.execute(db);
  } catch (error) {
    // MySQL 8 has no CREATE INDEX IF NOT EXISTS: an index made by a start-up that stopped
    // before recording the migration is left as it is (MySQL errno 1061, SQLite's message).
    const e = error as { errno?: number; message?: string };
    if (e?.errno !== 1061 && !/already exists/i.test(e?.message ?? "")) throw error;
  }
}
