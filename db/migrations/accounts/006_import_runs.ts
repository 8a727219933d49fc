/**
 * Accounts migration 006: an import's run holds a lease, counts its attempts and keeps what
 * another run needs to go on from it. Frozen: never edit it; add a new migration.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { type AccountsDialect, addColumn, ensureIndex } from "./steps.ts";

export function importRuns(dialect: AccountsDialect): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      await addColumn(db, "imports", "lease_owner", "varchar(64)");
      await addColumn(db, "imports", "lease_until", "bigint");
      await addColumn(db, "imports", "attempts", "integer", (c) => c.notNull().defaultTo(0));
      await addColumn(db, "imports", "run", dialect === "mysql" ? "mediumtext" : "text");
      await ensureIndex(db, dialect, "imports_status_lease", "imports", [
        "status",
        "lease_until",
      ]);
    },
  };
}
