/**
 * Patients migration 004: the journal's claims of changes in progress, unique, so that one change
 * at a time starts from a revision (nulls may repeat).
 * Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const STATEMENTS = [
  `ALTER TABLE audit_pending ADD COLUMN claim TEXT`,
  `CREATE UNIQUE INDEX IF NOT EXISTS audit_pending_claim ON audit_pending (claim)`,
];

export const changeClaims: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
  },
};
