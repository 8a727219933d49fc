/**
 * Accounts migration 001: the original app's `login_data` table, exactly as its seed made it; an
 * existing one (with its rows) is left as it is. Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { AccountsDialect } from "./steps.ts";

export function loginData(dialect: AccountsDialect): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      await db.schema.createTable("login_data").ifNotExists()
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("name", "varchar(255)")
        .addColumn(
          "email",
          "varchar(255)",
          // SQLite compares case-sensitively by default; MySQL's collations do not.
          (c) => dialect === "sqlite" ? c.unique().modifyEnd(sql`collate nocase`) : c.unique(),
        )
        .addColumn("password", "varchar(255)")
        .execute();
    },
  };
}
