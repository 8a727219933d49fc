/**
 * Patients migration 001: the live records, one row per (user, id), every field required, and
 * the indexes the first lists sorted by. (The blank line's spaces are part of the stored
 * definition.)
 * Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS patients (
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
        PRIMARY KEY (user_id, id)
      ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS "patients_user_age"
          ON patients (user_id, "age", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_avg_glucose_level"
          ON patients (user_id, "avg_glucose_level", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_bmi"
          ON patients (user_id, "bmi", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_stroke"
          ON patients (user_id, "stroke", id)`,
];

export const patients: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
  },
};
