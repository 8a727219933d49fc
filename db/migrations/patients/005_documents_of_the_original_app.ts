/**
 * Patients migration 005: the tables take documents of the original app, which may leave any
 * field out: `NOT NULL` is dropped from the columns it may leave out, and the tally triggers are
 * made again, NULL-safe. Frozen: never edit it; add a new migration.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The calls of `node:sqlite`'s `DatabaseSync` this migration makes (it imports only kysely). */
export interface SqliteSchemaAccess {
  exec(sql: string): void;
  prepare(sql: string): {
    get(...parameters: string[]): unknown;
    run(...parameters: string[]): unknown;
  };
}

/** The columns a row of the original app may leave NULL, per table (all but the keys). */
const NULLABLE = {
  patients: [
    "gender",
    "age",
    "hypertension",
    "heart_disease",
    "ever_married",
    "work_type",
    "Residence_type",
    "avg_glucose_level",
    "bmi",
    "smoking_status",
    "stroke",
    "created_at",
    "updated_at",
    "revision",
  ],
  deleted_patients: [
    "id",
    "gender",
    "age",
    "hypertension",
    "heart_disease",
    "ever_married",
    "work_type",
    "Residence_type",
    "avg_glucose_level",
    "bmi",
    "smoking_status",
    "stroke",
    "created_at",
    "updated_at",
  ],
};

/** The tally triggers again, NULL-safe: a missing value is tallied as empty. */
const STATEMENTS = [
  `DROP TRIGGER IF EXISTS patients_tally_insert`,
  `DROP TRIGGER IF EXISTS patients_tally_delete`,
  `DROP TRIGGER IF EXISTS patients_tally_update`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_insert AFTER INSERT ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, '*', '*', 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'gender', REPLACE(COALESCE(CAST(NEW.gender AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'hypertension', REPLACE(COALESCE(CAST(NEW.hypertension AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'heart_disease', REPLACE(COALESCE(CAST(NEW.heart_disease AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'ever_married', REPLACE(COALESCE(CAST(NEW.ever_married AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'work_type', REPLACE(COALESCE(CAST(NEW.work_type AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'Residence_type', REPLACE(COALESCE(CAST(NEW.Residence_type AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'smoking_status', REPLACE(COALESCE(CAST(NEW.smoking_status AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'stroke', REPLACE(COALESCE(CAST(NEW.stroke AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'age_year', COALESCE(CAST(CAST(NEW.age AS INTEGER) AS TEXT), ''), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'combination', REPLACE(COALESCE(CAST(NEW.gender AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.hypertension AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.heart_disease AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.ever_married AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.work_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.Residence_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.smoking_status AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.stroke AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_delete AFTER DELETE ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, '*', '*', -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'gender', REPLACE(COALESCE(CAST(OLD.gender AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'hypertension', REPLACE(COALESCE(CAST(OLD.hypertension AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'heart_disease', REPLACE(COALESCE(CAST(OLD.heart_disease AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'ever_married', REPLACE(COALESCE(CAST(OLD.ever_married AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'work_type', REPLACE(COALESCE(CAST(OLD.work_type AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'Residence_type', REPLACE(COALESCE(CAST(OLD.Residence_type AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'smoking_status', REPLACE(COALESCE(CAST(OLD.smoking_status AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'stroke', REPLACE(COALESCE(CAST(OLD.stroke AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'age_year', COALESCE(CAST(CAST(OLD.age AS INTEGER) AS TEXT), ''), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'combination', REPLACE(COALESCE(CAST(OLD.gender AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.hypertension AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.heart_disease AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.ever_married AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.work_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.Residence_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.smoking_status AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.stroke AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
    END`,
  `CREATE TRIGGER IF NOT EXISTS patients_tally_update
      AFTER UPDATE OF user_id, age, gender, hypertension, heart_disease, ever_married, work_type, Residence_type, smoking_status, stroke ON patients BEGIN
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, '*', '*', -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'gender', REPLACE(COALESCE(CAST(OLD.gender AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'hypertension', REPLACE(COALESCE(CAST(OLD.hypertension AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'heart_disease', REPLACE(COALESCE(CAST(OLD.heart_disease AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'ever_married', REPLACE(COALESCE(CAST(OLD.ever_married AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'work_type', REPLACE(COALESCE(CAST(OLD.work_type AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'Residence_type', REPLACE(COALESCE(CAST(OLD.Residence_type AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'smoking_status', REPLACE(COALESCE(CAST(OLD.smoking_status AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'stroke', REPLACE(COALESCE(CAST(OLD.stroke AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'age_year', COALESCE(CAST(CAST(OLD.age AS INTEGER) AS TEXT), ''), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (OLD.user_id, 'combination', REPLACE(COALESCE(CAST(OLD.gender AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.hypertension AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.heart_disease AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.ever_married AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.work_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.Residence_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.smoking_status AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(OLD.stroke AS TEXT), ''), '|', '¦'), -1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + -1;
      INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, '*', '*', 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'gender', REPLACE(COALESCE(CAST(NEW.gender AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'hypertension', REPLACE(COALESCE(CAST(NEW.hypertension AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'heart_disease', REPLACE(COALESCE(CAST(NEW.heart_disease AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'ever_married', REPLACE(COALESCE(CAST(NEW.ever_married AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'work_type', REPLACE(COALESCE(CAST(NEW.work_type AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'Residence_type', REPLACE(COALESCE(CAST(NEW.Residence_type AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'smoking_status', REPLACE(COALESCE(CAST(NEW.smoking_status AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'stroke', REPLACE(COALESCE(CAST(NEW.stroke AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'age_year', COALESCE(CAST(CAST(NEW.age AS INTEGER) AS TEXT), ''), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (NEW.user_id, 'combination', REPLACE(COALESCE(CAST(NEW.gender AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.hypertension AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.heart_disease AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.ever_married AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.work_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.Residence_type AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.smoking_status AS TEXT), ''), '|', '¦') || '|' || REPLACE(COALESCE(CAST(NEW.stroke AS TEXT), ''), '|', '¦'), 1)
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + 1;
    END`,
];

/**
 * Drops `NOT NULL` from the columns of `NULLABLE`. SQLite cannot alter a column, but dropping a
 * `NOT NULL` does not change how rows are stored, so the table's definition is edited in place,
 * as SQLite's documentation describes ("ALTER TABLE", section 7) — instant, where copying a
 * million rows into a new table is not.
 */
function allowMissingValues(database: SqliteSchemaAccess): void {
  // Declared for Deno's main thread but not in the types a worker is checked with (the summary
  // reader's worker imports the store), so it is named through its own small type.
  const defensive = database as unknown as { enableDefensive(on: boolean): void };
  defensive.enableDefensive(false);
  try {
    database.exec("BEGIN IMMEDIATE");
    try {
      const { schema_version: version } = database.prepare("PRAGMA schema_version").get() as {
        schema_version: number;
      };
      database.exec("PRAGMA writable_schema = ON");
      const read = database.prepare(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
      );
      const write = database.prepare(
        "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
      );
      for (const [table, columns] of Object.entries(NULLABLE)) {
        const { sql: definition } = read.get(table) as { sql: string };
        const relaxed = columns.reduce(
          (text, column) =>
            text.replace(new RegExp(`(\\b${column}\\s+(?:TEXT|REAL|INTEGER))\\s+NOT NULL`), "$1"),
          definition,
        );
        write.run(relaxed, table);
      }
      database.exec(`PRAGMA schema_version = ${version + 1}`);
      database.exec("PRAGMA writable_schema = OFF");
      database.exec("COMMIT");
    } catch (error) {
      database.exec("PRAGMA writable_schema = OFF");
      database.exec("ROLLBACK");
      throw error;
    }
  } finally {
    defensive.enableDefensive(true);
  }
}

/** The migration, editing the schema through `database`, the connection Kysely runs on. */
export function documentsOfTheOriginalApp(database: SqliteSchemaAccess): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      allowMissingValues(database);
      for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
    },
  };
}
