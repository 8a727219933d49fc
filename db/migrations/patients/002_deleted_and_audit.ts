/**
 * Patients migration 002: "recently deleted" (a copy per deletion, under its own revision), the
 * audit log (append-only: triggers refuse any change) and its journal of changes in progress.
 * Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS deleted_patients (
        ${""}
  user_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  gender TEXT NOT NULL,
  age REAL NOT NULL,
  hypertension INTEGER NOT NULL,
  heart_disease INTEGER NOT NULL,
  ever_married TEXT NOT NULL,
  work_type TEXT NOT NULL,
  Residence_type TEXT NOT NULL,
  avg_glucose_level REAL NOT NULL,
  bmi REAL,
  smoking_status TEXT NOT NULL,
  stroke INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  revision TEXT NOT NULL,
        from_revision TEXT NOT NULL,
        deleted_at TEXT NOT NULL,
        deleted_by INTEGER,
        PRIMARY KEY (user_id, revision)
      ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS deleted_user_id
        ON deleted_patients (user_id, id, deleted_at)`,
  `CREATE INDEX IF NOT EXISTS deleted_user_at
        ON deleted_patients (user_id, deleted_at)`,
  `CREATE INDEX IF NOT EXISTS deleted_at
        ON deleted_patients (deleted_at)`,
  `CREATE TABLE IF NOT EXISTS audit_log (
  id TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  user_id INTEGER,
  action TEXT NOT NULL,
  patient_id INTEGER,
  changes TEXT NOT NULL,
  reason TEXT,
  client TEXT,
  request_id TEXT,
  details TEXT,
  status TEXT NOT NULL,
  revision_before TEXT,
  revision_after TEXT) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS audit_owner_patient_at
    ON audit_log (owner_id, patient_id, at)`,
  `CREATE INDEX IF NOT EXISTS audit_owner_at ON audit_log (owner_id, at)`,
  `CREATE INDEX IF NOT EXISTS audit_at ON audit_log (at)`,
  `CREATE TRIGGER IF NOT EXISTS "audit_log_no_update"
      BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
  `CREATE TRIGGER IF NOT EXISTS "audit_log_no_delete"
      BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
  `CREATE TABLE IF NOT EXISTS audit_pending (
  id TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  owner_id INTEGER NOT NULL,
  user_id INTEGER,
  action TEXT NOT NULL,
  patient_id INTEGER,
  changes TEXT NOT NULL,
  reason TEXT,
  client TEXT,
  request_id TEXT,
  details TEXT,
  status TEXT NOT NULL,
  revision_before TEXT,
  revision_after TEXT) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS audit_pending_at ON audit_pending (at)`,
];

export const deletedAndAudit: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
  },
};
