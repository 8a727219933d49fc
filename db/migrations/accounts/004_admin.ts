/**
 * Accounts migration 004: admins, locked accounts, and when an account was registered and last
 * logged in. Frozen: never edit it; add a new migration.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { addColumn } from "./steps.ts";

export const admin: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    await addColumn(db, "login_data", "is_admin", "integer", (c) => c.notNull().defaultTo(0));
    await addColumn(db, "login_data", "locked_at", "bigint");
    await addColumn(db, "login_data", "created_at", "bigint");
    await addColumn(db, "login_data", "last_login_at", "bigint");
  },
};
