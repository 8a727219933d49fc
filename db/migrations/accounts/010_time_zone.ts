/**
 * Migration 010 (frozen): `login_data.time_zone`, the IANA zone a user reads and enters
 * admissions' times in (null: the installation's `APP_TIMEZONE`). Nullable, so the original
 * app's table and rows stay as they were. The same SQL runs on MySQL/MariaDB and SQLite, and
 * runs again harmlessly after a start-up that stopped halfway (MySQL has no transactional DDL).
 */
import { type Kysely, sql } from "kysely";

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const tables = await db.introspection.getTables();
  const columns = tables.find((t) => t.name === "login_data")?.columns ?? [];
  if (columns.some((c) => c.name === "time_zone")) return;
  await sql`ALTER TABLE login_data ADD COLUMN time_zone VARCHAR(64) NULL`.execute(db);
}
