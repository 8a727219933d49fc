/** The embedded patient store's tables (live records, deleted copies, the audit log) and their migrations. */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import {
  CATEGORICAL_FIELDS,
  PATIENT_FIELDS,
  type PatientFields,
  type PatientRecord,
} from "../lib/patient_fields.ts";
import type { DeletedRecord } from "../lib/patient_store.ts";
import { type AuditTable, createAuditTables } from "./audit_sqlite.ts";
import { FILTER_INDEX_FIELDS } from "./patient_rows.ts";

export interface PatientsTable
  extends Omit<PatientFields, "hypertension" | "heart_disease" | "stroke"> {
  user_id: number;
  hypertension: number;
  heart_disease: number;
  stroke: number;
  created_at: string;
  updated_at: string;
  revision: string;
}

/** A deleted record: the live row as it was, under a new revision, and when and by whom. */
export interface DeletedPatientsTable extends PatientsTable {
  /** The revision the live record had when it was deleted. */
  from_revision: string;
  deleted_at: string;
  deleted_by: number | null;
}

export interface Schema {
  patients: PatientsTable;
  deleted_patients: DeletedPatientsTable;
  audit_log: AuditTable;
  audit_pending: AuditTable;
}

/** The columns of a stored row. */
export const ROW_COLUMNS = [
  "user_id",
  ...PATIENT_FIELDS,
  "created_at",
  "updated_at",
  "revision",
] as const satisfies readonly (keyof PatientsTable)[];

/** The columns a deleted copy shares with the live row (all but the revision). */
export const COPIED_COLUMNS = ROW_COLUMNS.filter((c) => c !== "revision");

export function toRecord(row: PatientsTable): PatientRecord {
  const record = {} as Record<string, unknown>;
  for (const field of PATIENT_FIELDS) record[field] = row[field];
  return {
    ...(record as unknown as PatientFields),
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
    revision: row.revision,
  };
}

export function toDeletedRecord(row: DeletedPatientsTable): DeletedRecord {
  return {
    ...toRecord(row),
    deleted_at: new Date(row.deleted_at),
    deleted_by: row.deleted_by === null ? null : Number(row.deleted_by),
  };
}

/** The patient columns' definitions, shared by the live and the deleted table. */
const PATIENT_COLUMNS = sql`
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
  revision TEXT NOT NULL`;

/** The index of a field's values, by user then id (for the id, the primary key's). */
export function fieldIndex(field: string): string {
  return field === "id" ? "sqlite_autoindex_patients_1" : `patients_user_${field}`;
}

/** The tally "field" of whole years of age (only a planning estimate, never a total). */
export const AGE_YEARS = "age_year";
/** The tally "field" of all of a user's records. */
export const ALL = "*";
/**
 * The tally "field" of each combination of the categorical values, written `Male|0|1|…` in
 * `CATEGORICAL_FIELDS` order (no value holds a `|`): at most 3,840 per user, so a count over
 * several conditions sums a few thousand tallies (`GLOB 'Male|*|1|…'`) instead of every record.
 */
export const COMBINATION = "combination";

/** What the tallies count: each categorical field, whole years of age, each combination. */
const COUNTED: [string, (row: string) => string][] = [
  [ALL, () => `'${ALL}'`],
  ...CATEGORICAL_FIELDS.map((f): [string, (row: string) => string] => [
    f,
    (row) => `CAST(${row}.${f} AS TEXT)`,
  ]),
  [AGE_YEARS, (row) => `CAST(CAST(${row}.age AS INTEGER) AS TEXT)`],
  [COMBINATION, (row) => CATEGORICAL_FIELDS.map((f) => `${row}.${f}`).join(" || '|' || ")],
];

/** The tallies a row adds to, as `COUNTED` computes them in SQL. */
export function tallyKeysOf(row: PatientsTable): [string, string][] {
  return [
    [ALL, ALL],
    ...CATEGORICAL_FIELDS.map((f): [string, string] => [f, String(row[f])]),
    [AGE_YEARS, String(Math.trunc(row.age))],
    [COMBINATION, CATEGORICAL_FIELDS.map((f) => String(row[f])).join("|")],
  ];
}

/** Adds `n` to one tally (parameters: user id, field, value, n). */
export const ADD_TO_TALLY =
  `INSERT INTO patient_tallies (user_id, field, value, n) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + excluded.n`;

const TALLY_TABLE = `CREATE TABLE IF NOT EXISTS patient_tallies (
  user_id INTEGER NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (user_id, field, value)
) WITHOUT ROWID`;

/** Statements that count the tallies afresh from the records of the users `where` selects. */
export function recountTallies(where: string): string[] {
  return [
    `DELETE FROM patient_tallies WHERE ${where}`,
    ...COUNTED.map(([field, value]) =>
      `INSERT INTO patient_tallies (user_id, field, value, n)
        SELECT user_id, '${field}', ${value("patients")}, count(*) FROM patients
        WHERE ${where} GROUP BY user_id, ${value("patients")}`
    ),
  ];
}

const TALLY_TRIGGERS = ["patients_tally_insert", "patients_tally_delete", "patients_tally_update"];

/** Bulk inserts stop the triggers and add up the tallies themselves: a row at a time costs more. */
export const DROP_TALLY_TRIGGERS = TALLY_TRIGGERS.map((name) => `DROP TRIGGER IF EXISTS ${name}`);

/** The triggers that keep the tallies as records come, change and go. */
export function tallyTriggers(): string[] {
  const adjust = (row: "NEW" | "OLD", delta: 1 | -1) =>
    COUNTED.map(([field, value]) =>
      `INSERT INTO patient_tallies (user_id, field, value, n)
        VALUES (${row}.user_id, '${field}', ${value(row)}, ${delta})
        ON CONFLICT (user_id, field, value) DO UPDATE SET n = n + ${delta};`
    ).join("\n");
  const [insert, remove, update] = TALLY_TRIGGERS;
  return [
    `CREATE TRIGGER IF NOT EXISTS ${insert} AFTER INSERT ON patients BEGIN
      ${adjust("NEW", 1)}
    END`,
    `CREATE TRIGGER IF NOT EXISTS ${remove} AFTER DELETE ON patients BEGIN
      ${adjust("OLD", -1)}
    END`,
    `CREATE TRIGGER IF NOT EXISTS ${update}
      AFTER UPDATE OF user_id, age, ${CATEGORICAL_FIELDS.join(", ")} ON patients BEGIN
      ${adjust("OLD", -1)}
      ${adjust("NEW", 1)}
    END`,
  ];
}

/** The filterable columns in one index: a count over several conditions reads it alone. */
export const FILTER_INDEX = "patients_user_filters";
const FILTER_INDEX_COLUMNS = ["user_id", ...FILTER_INDEX_FIELDS];

export const migrations: Record<string, Migration> = {
  "001_patients": {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      await sql`CREATE TABLE IF NOT EXISTS patients (
        ${PATIENT_COLUMNS},
        PRIMARY KEY (user_id, id)
      ) WITHOUT ROWID`.execute(db);
      for (const field of ["age", "avg_glucose_level", "bmi", "stroke"]) {
        await sql`CREATE INDEX IF NOT EXISTS ${sql.id(`patients_user_${field}`)}
          ON patients (user_id, ${sql.id(field)}, id)`.execute(db);
      }
    },
  },
  "002_deleted_and_audit": {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      // A record deleted, re-created and deleted again has two copies: each its own revision.
      await sql`CREATE TABLE IF NOT EXISTS deleted_patients (
        ${PATIENT_COLUMNS},
        from_revision TEXT NOT NULL,
        deleted_at TEXT NOT NULL,
        deleted_by INTEGER,
        PRIMARY KEY (user_id, revision)
      ) WITHOUT ROWID`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS deleted_user_id
        ON deleted_patients (user_id, id, deleted_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS deleted_user_at
        ON deleted_patients (user_id, deleted_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS deleted_at
        ON deleted_patients (deleted_at)`.execute(db);
      await createAuditTables(db);
    },
  },
  "003_list_indexes_and_tallies": {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      // Every field can be sorted on and most filtered on: one index each, by user then id.
      for (const field of PATIENT_FIELDS.filter((f) => f !== "id")) {
        await sql`CREATE INDEX IF NOT EXISTS ${sql.id(fieldIndex(field))}
          ON patients (user_id, ${sql.id(field)}, id)`.execute(db);
      }
      await sql.raw(`CREATE INDEX IF NOT EXISTS ${FILTER_INDEX}
        ON patients (${FILTER_INDEX_COLUMNS.join(", ")})`).execute(db);
      await sql.raw(TALLY_TABLE).execute(db);
      for (const statement of [...recountTallies("1 = 1"), ...tallyTriggers()]) {
        await sql.raw(statement).execute(db);
      }
    },
  },
};
