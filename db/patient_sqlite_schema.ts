/** The embedded patient store's tables (live records, deleted copies, the audit log) and their migrations. */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import { PATIENT_FIELDS, type PatientFields, type PatientRecord } from "../lib/patient_fields.ts";
import type { DeletedRecord } from "../lib/patient_store.ts";
import { type AuditTable, createAuditTables } from "./audit_sqlite.ts";

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
};
