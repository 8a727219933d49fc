/**
 * Accounts migration 003: CSV uploads between their preview and their import, and the uploaded
 * file in chunks. Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { type AccountsDialect, ensureIndex } from "./steps.ts";

export function imports(dialect: AccountsDialect): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      const big = dialect === "mysql" ? "mediumtext" : "text";
      await db.schema.createTable("imports").ifNotExists()
        .addColumn("id", "varchar(36)", (c) => c.primaryKey())
        .addColumn("user_id", "integer", (c) => c.notNull())
        .addColumn("file_name", "varchar(255)", (c) => c.notNull())
        .addColumn("bytes", "bigint", (c) => c.notNull())
        .addColumn("on_conflict", "varchar(10)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("rows_total", "integer", (c) => c.notNull())
        .addColumn("rows_done", "integer", (c) => c.notNull())
        .addColumn("result", sql.raw(big), (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await ensureIndex(db, dialect, "imports_user_id", "imports", ["user_id"]);
      await db.schema.createTable("import_chunks").ifNotExists()
        .addColumn("import_id", "varchar(36)", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn(
          "data",
          dialect === "mysql" ? sql.raw("mediumblob") : "blob",
          (c) => c.notNull(),
        )
        .addPrimaryKeyConstraint("import_chunks_pk", ["import_id", "seq"])
        .execute();
    },
  };
}
