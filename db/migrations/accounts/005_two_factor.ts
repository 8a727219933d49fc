/**
 * Accounts migration 005: TOTP secrets and one-time recovery codes (as hashes). Frozen: never
 * edit it; add a new migration.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { type AccountsDialect, ensureIndex } from "./steps.ts";

export function twoFactor(dialect: AccountsDialect): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema.createTable("two_factor").ifNotExists()
        .addColumn("user_id", "integer", (c) => c.primaryKey())
        .addColumn("secret", "varchar(64)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("enabled_at", "bigint")
        .addColumn("last_used_step", "bigint")
        .execute();
      await db.schema.createTable("recovery_codes").ifNotExists()
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("user_id", "integer", (c) => c.notNull())
        .addColumn("code_hash", "char(64)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await ensureIndex(db, dialect, "recovery_codes_user_id", "recovery_codes", ["user_id"]);
    },
  };
}
