/**
 * Patients migration 003: an index per field (every column can be sorted on, by user then id),
 * one of the filterable fields together, and per-user tallies of each value and combination,
 * counted afresh and then kept by triggers. As it landed: 005 replaced the triggers with
 * NULL-safe ones.
 * Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const STATEMENTS = [
  `CREATE INDEX IF NOT EXISTS "patients_user_gender"
          ON patients (user_id, "gender", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_age"
          ON patients (user_id, "age", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_hypertension"
          ON patients (user_id, "hypertension", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_heart_disease"
          ON patients (user_id, "heart_disease", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_ever_married"
          ON patients (user_id, "ever_married", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_work_type"
          ON patients (user_id, "work_type", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_Residence_type"
          ON patients (user_id, "Residence_type", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_avg_glucose_level"
          ON patients (user_id, "avg_glucose_level", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_bmi"
          ON patients (user_id, "bmi", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_smoking_status"
          ON patients (user_id, "smoking_status", id)`,
  `CREATE INDEX IF NOT EXISTS "patients_user_stroke"
          ON patients (user_id, "stroke", id)`,
  `CREATE INDEX IF NOT EXISTS patients_user_filters
        ON patients (user_id, stroke, gender, hypertension, heart_disease, ever_married, work_type, Residence_type, smoking_status, age)`,
  `CREATE TABLE IF NOT EXISTS patient_tallies (
  user_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (user_id, field, value)
) WITHOUT ROWID`,
  `DELETE FROM patient_tallies WHERE 1 = 1`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, '*', '*', count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, '*'`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'gender', CAST(patients.gender AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.gender AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'hypertension', CAST(patients.hypertension AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.hypertension AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'heart_disease', CAST(patients.heart_disease AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.heart_disease AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'ever_married', CAST(patients.ever_married AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.ever_married AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'work_type', CAST(patients.work_type AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.work_type AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'Residence_type', CAST(patients.Residence_type AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.Residence_type AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'smoking_status', CAST(patients.smoking_status AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.smoking_status AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'stroke', CAST(patients.stroke AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(patients.stroke AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'age_year', CAST(CAST(patients.age AS INTEGER) AS TEXT), count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, CAST(CAST(patients.age AS INTEGER) AS TEXT)`,
  `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, 'combination', patients.gender || '|' || patients.hypertension || '|' || patients.heart_disease || '|' || patients.ever_married || '|' || patients.work_type || '|' || patients.Residence_type || '|' || patients.smoking_status || '|' || patients.stroke, count(*) FROM patients
        WHERE 1 = 1 GROUP BY user_id, patients.gender || '|' || patients.hypertension || '|' || patients.heart_disease || '|' || patients.ever_married || '|' || patients.work_type || '|' || patients.Residence_type || '|' || patients.smoking_status || '|' || patients.stroke`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_insert AFTER INSERT ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, '*', '*', 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'gender', CAST(NEW.gender AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'hypertension', CAST(NEW.hypertension AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'heart_disease', CAST(NEW.heart_disease AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'ever_married', CAST(NEW.ever_married AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'work_type', CAST(NEW.work_type AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'Residence_type', CAST(NEW.Residence_type AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'smoking_status', CAST(NEW.smoking_status AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'stroke', CAST(NEW.stroke AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'age_year', CAST(CAST(NEW.age AS INTEGER) AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'combination', NEW.gender || '|' || NEW.hypertension || '|' || NEW.heart_disease || '|' || NEW.ever_married || '|' || NEW.work_type || '|' || NEW.Residence_type || '|' || NEW.smoking_status || '|' || NEW.stroke, 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_delete AFTER DELETE ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, '*', '*', -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'gender', CAST(OLD.gender AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'hypertension', CAST(OLD.hypertension AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'heart_disease', CAST(OLD.heart_disease AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'ever_married', CAST(OLD.ever_married AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'work_type', CAST(OLD.work_type AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'Residence_type', CAST(OLD.Residence_type AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'smoking_status', CAST(OLD.smoking_status AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'stroke', CAST(OLD.stroke AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'age_year', CAST(CAST(OLD.age AS INTEGER) AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'combination', OLD.gender || '|' || OLD.hypertension || '|' || OLD.heart_disease || '|' || OLD.ever_married || '|' || OLD.work_type || '|' || OLD.Residence_type || '|' || OLD.smoking_status || '|' || OLD.stroke, -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_update
      AFTER UPDATE OF user_id, age, gender, hypertension, heart_disease, ever_married, work_type, Residence_type, smoking_status, stroke ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, '*', '*', -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'gender', CAST(OLD.gender AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'hypertension', CAST(OLD.hypertension AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'heart_disease', CAST(OLD.heart_disease AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'ever_married', CAST(OLD.ever_married AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'work_type', CAST(OLD.work_type AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'Residence_type', CAST(OLD.Residence_type AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'smoking_status', CAST(OLD.smoking_status AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'stroke', CAST(OLD.stroke AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'age_year', CAST(CAST(OLD.age AS INTEGER) AS TEXT), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'combination', OLD.gender || '|' || OLD.hypertension || '|' || OLD.heart_disease || '|' || OLD.ever_married || '|' || OLD.work_type || '|' || OLD.Residence_type || '|' || OLD.smoking_status || '|' || OLD.stroke, -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, '*', '*', 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'gender', CAST(NEW.gender AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'hypertension', CAST(NEW.hypertension AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'heart_disease', CAST(NEW.heart_disease AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'ever_married', CAST(NEW.ever_married AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'work_type', CAST(NEW.work_type AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'Residence_type', CAST(NEW.Residence_type AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'smoking_status', CAST(NEW.smoking_status AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'stroke', CAST(NEW.stroke AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'age_year', CAST(CAST(NEW.age AS INTEGER) AS TEXT), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'combination', NEW.gender || '|' || NEW.hypertension || '|' || NEW.heart_disease || '|' || NEW.ever_married || '|' || NEW.work_type || '|' || NEW.Residence_type || '|' || NEW.smoking_status || '|' || NEW.stroke, 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
    END`,
];

export const listIndexesAndTallies: Migration = {
  // deno-lint-ignore no-explicit-any
  async up(db: Kysely<any>) {
    for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
  },
};
