/** The accounts database's tables, as Kysely types, and the migrations that create them. */
import { type Generated, type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The original app's table, column for column. */
export interface LoginDataTable {
  id: Generated<number>;
  name: string | null;
  email: string | null;
  password: string | null;
}

export interface AccountsSchema {
  login_data: LoginDataTable;
}

/**
 * Frozen migrations: add new ones, never edit old ones. Each is idempotent on its own
 * (MySQL has no transactional DDL), so a half-applied start-up can simply run again.
 */
export function accountsMigrations(dialect: "mysql" | "sqlite"): Record<string, Migration> {
  return {
    "001_login_data": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        // The seed's table exactly; an existing one (with its rows) is left as it is.
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
    },
  };
}
