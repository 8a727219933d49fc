/**
 * Patients migration 006: each user's data version, bumped by triggers in the same transaction
 * as every change to their live records (no write path can forget it); summaries are cached
 * under it.
 * Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS patient_versions (
        user_id INTEGER PRIMARY KEY,
        version INTEGER NOT NULL
      )`,
  `CREATE TRIGGER IF NOT EXISTS patients_version_insert
    AFTER INSERT ON patients BEGIN
      INSERT INTO patient_versions (user_id, version) VALUES (NEW.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_version_delete
    AFTER DELETE ON patients BEGIN
      INSERT INTO patient_versions (user_id, version) VALUES (OLD.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_version_update
    AFTER UPDATE ON patients BEGIN
      INSERT INTO patient_versions (user_id, version) VALUES (NEW.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
    END`,
];

export const dataVersions: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
  },
};
