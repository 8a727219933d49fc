/**
 * The embedded patient store's tables (live records, deleted copies, the audit log) as the store
 * reads and writes them, and the tally triggers it stops and starts again around bulk inserts.
 * The migrations that make them are frozen in `db/migrations/patients/`.
 */
import {
  CATEGORICAL_FIELDS,
  PATIENT_FIELDS,
  type PatientFields,
  type PatientRecord,
} from "../../../lib/patient_fields.ts";
import type { DeletedRecord } from "../../../lib/patient_store.ts";
import { readStoredPatient } from "../../../lib/stored_patient.ts";
import type { AuditTable } from "./audit.ts";

/**
 * A row as the app writes it. A row of a document the original app wrote (imported as it was)
 * may hold NULLs (a missing field, no times, no revision) and text where a number belongs: every
 * row is read through `toRecord`.
 */
export interface PatientsTable
  extends Omit<PatientFields, "hypertension" | "heart_disease" | "stroke"> {
  user_id: number;
  hypertension: number;
  heart_disease: number;
  stroke: number;
  created_at: string | null;
  updated_at: string | null;
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

/** A row, whoever wrote it, as a record (see `stored_patient.ts`). */
export function toRecord(row: PatientsTable): PatientRecord {
  return readStoredPatient(row as unknown as Record<string, unknown>);
}

export function toDeletedRecord(row: DeletedPatientsTable): DeletedRecord {
  return {
    ...toRecord(row),
    deleted_at: new Date(row.deleted_at),
    deleted_by: row.deleted_by === null ? null : Number(row.deleted_by),
  };
}

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

/**
 * A categorical value as a tally's text: a missing one (a row of the original app's) is empty,
 * and a `|` in one that cannot be read is replaced, so that combinations keep their places.
 */
const tallyText = (value: string) => `REPLACE(COALESCE(CAST(${value} AS TEXT), ''), '|', '¦')`;

/** What the tallies count: each categorical field, whole years of age, each combination. */
const COUNTED: [string, (row: string) => string][] = [
  [ALL, () => `'${ALL}'`],
  ...CATEGORICAL_FIELDS.map((f): [string, (row: string) => string] => [
    f,
    (row) => tallyText(`${row}.${f}`),
  ]),
  [AGE_YEARS, (row) => `COALESCE(CAST(CAST(${row}.age AS INTEGER) AS TEXT), '')`],
  [
    COMBINATION,
    (row) => CATEGORICAL_FIELDS.map((f) => tallyText(`${row}.${f}`)).join(" || '|' || "),
  ],
];

/** The tallies a row written by the app adds to, as `COUNTED` computes them in SQL. */
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

const TALLY_TRIGGERS = ["patients_tally_insert", "patients_tally_delete", "patients_tally_update"];

/** Bulk inserts stop the triggers and add up the tallies themselves: a row at a time costs more. */
export const DROP_TALLY_TRIGGERS = TALLY_TRIGGERS.map((name) => `DROP TRIGGER IF EXISTS ${name}`);

/**
 * The triggers that keep the tallies as records come, change and go: those migration 005 made
 * (`tests/migrations_test.ts` holds them to it; a change to them needs a new migration).
 */
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

/**
 * The trigger that bumps a user's data version for each record inserted, as migration 006 made
 * it (`tests/migrations_test.ts` holds it to it). A bulk insert stops it and bumps the version
 * once per transaction itself: a trigger's program run per row costs as much as two indexes.
 */
export const VERSION_INSERT_TRIGGER = "patients_version_insert";
export function versionInsertTrigger(): string {
  return `CREATE TRIGGER IF NOT EXISTS ${VERSION_INSERT_TRIGGER}
    AFTER INSERT ON patients BEGIN
      INSERT INTO patient_versions (user_id, version) VALUES (NEW.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
    END`;
}

/** Bumps a user's data version (parameter: the user id). */
export const BUMP_VERSION = `INSERT INTO patient_versions (user_id, version) VALUES (?, 1)
  ON CONFLICT (user_id) DO UPDATE SET version = version + 1`;

/**
 * The filterable columns in one index (`user_id`, then `FILTER_INDEX_FIELDS`): a count over several
 * conditions reads it alone.
 */
export const FILTER_INDEX = "patients_user_filters";
