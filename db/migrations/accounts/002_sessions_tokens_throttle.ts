/**
 * Accounts migration 002: server-side sessions, API tokens (as hashes) and the failed logins
 * that throttling counts. Frozen: never edit it; add a new migration.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { type AccountsDialect, ensureIndex } from "./steps.ts";

export function sessionsTokensThrottle(dialect: AccountsDialect): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema.createTable("sessions").ifNotExists()
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("user_id", "integer")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_seen_at", "bigint", (c) => c.notNull())
        .execute();
      await ensureIndex(db, dialect, "sessions_user_id", "sessions", ["user_id"]);
      await ensureIndex(db, dialect, "sessions_last_seen_at", "sessions", ["last_seen_at"]);
      await db.schema.createTable("api_tokens").ifNotExists()
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("user_id", "integer", (c) => c.notNull())
        .addColumn("name", "varchar(100)", (c) => c.notNull())
        .addColumn("token_hash", "char(64)", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .execute();
      await ensureIndex(db, dialect, "api_tokens_user_id", "api_tokens", ["user_id"]);
      await db.schema.createTable("login_failures").ifNotExists()
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("throttle_key", "varchar(320)", (c) => c.notNull())
        .addColumn("failed_at", "bigint", (c) => c.notNull())
        .execute();
      await ensureIndex(db, dialect, "login_failures_key_time", "login_failures", [
        "throttle_key",
        "failed_at",
      ]);
    },
  };
}
