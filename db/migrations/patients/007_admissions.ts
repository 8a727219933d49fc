/**
 * Patients migration 007: the admissions table, beside the patients (their rows are not
 * touched). One row per admission, live or deleted (`deleted_at`); times are milliseconds since
 * the epoch (UTC). `user_id` is the scope, as in `patients`.
 */
import { type Kysely, sql } from "kysely";

// deno-lint-ignore no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS admissions (
    user_id INTEGER NOT NULL,
    patient_id INTEGER NOT NULL,
    admission_id INTEGER NOT NULL,
    patient_created_at TEXT,
    stroke_type TEXT NOT NULL,
    last_known_well_at INTEGER,
    arrival_at INTEGER NOT NULL,
    imaging_at INTEGER,
    nihss_arrival INTEGER,
    thrombolysis_at INTEGER,
    thrombectomy_at INTEGER,
    discharge_at INTEGER,
    discharge_destination TEXT,
    mrs_discharge INTEGER,
    mrs_90d INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by INTEGER,
    PRIMARY KEY (user_id, patient_id, admission_id)
  ) WITHOUT ROWID`.execute(db);
  await sql`CREATE UNIQUE INDEX IF NOT EXISTS admissions_revision
    ON admissions (user_id, revision)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS admissions_arrival
    ON admissions (user_id, arrival_at, patient_id, admission_id)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS admissions_deleted_at
    ON admissions (deleted_at) WHERE deleted_at IS NOT NULL`.execute(db);
}
