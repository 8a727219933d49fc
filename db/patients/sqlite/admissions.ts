/**
 * Admissions in the embedded store: the `admissions` table of the patient database (patients
 * migration 007), on the patient store's own connection, so that its migrations have run and
 * each write is one statement (or one transaction) that nothing can interleave with. Times are
 * kept as milliseconds since the epoch (UTC); the streaming reads go by key, a batch at a time,
 * so that no statement stays open between two batches.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { statementCache } from "../../sqlite.ts";
import type {
  AdmissionStore,
  InsertedAdmissions,
  NewAdmission,
  StoredAdmission,
} from "../../../lib/admission_store.ts";
import {
  ADMISSION_INPUT_FIELDS,
  type AdmissionInputField,
  isTimeField,
} from "../../../lib/stroke/admission_fields.ts";
import {
  EARLIEST_MS,
  hasRoom,
  insertNumbered,
  LATEST_MS,
  nextAdmissionId,
} from "../admission_numbers.ts";
import { admissionWrites, type ConditionalWrite, missOrStale } from "../admission_writes.ts";
import { keysetBatches, READ_BATCH } from "../batches.ts";

/** A row as stored. */
interface AdmissionRow {
  user_id: number;
  patient_id: number;
  admission_id: number;
  patient_created_at: string | null;
  stroke_type: string;
  last_known_well_at: number | null;
  arrival_at: number;
  imaging_at: number | null;
  nihss_arrival: number | null;
  thrombolysis_at: number | null;
  thrombectomy_at: number | null;
  discharge_at: number | null;
  discharge_destination: string | null;
  mrs_discharge: number | null;
  mrs_90d: number | null;
  created_at: string;
  updated_at: string;
  revision: string;
  deleted_at: string | null;
  deleted_by: number | null;
}

const COLUMNS = [
  "user_id",
  "patient_id",
  "admission_id",
  "patient_created_at",
  ...ADMISSION_INPUT_FIELDS,
  "created_at",
  "updated_at",
  "revision",
  "deleted_at",
  "deleted_by",
] as const;

const date = (ms: number | null) => ms === null ? null : new Date(Number(ms));

function toAdmission(row: AdmissionRow): StoredAdmission {
  const out: Record<string, unknown> = {
    admission_id: Number(row.admission_id),
    patient_id: Number(row.patient_id),
    patient_created_at: row.patient_created_at === null ? null : new Date(row.patient_created_at),
  };
  for (const field of ADMISSION_INPUT_FIELDS) {
    const value = row[field];
    out[field] = isTimeField(field)
      ? date(value as number | null)
      : typeof value === "bigint"
      ? Number(value)
      : value;
  }
  return {
    ...out,
    revision: row.revision,
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
    deleted_at: row.deleted_at === null ? null : new Date(row.deleted_at),
    deleted_by: row.deleted_by === null ? null : Number(row.deleted_by),
  } as StoredAdmission;
}

/** A field's value as a column holds it (times in ms). */
function columnValue(field: AdmissionInputField, value: unknown): SQLInputValue {
  if (value === null || value === undefined) return null;
  return isTimeField(field) ? (value as Date).getTime() : value as SQLInputValue;
}

function rowOf(
  scope: number,
  admission: NewAdmission,
  id: number,
  revision: string,
  now: string,
): AdmissionRow {
  const row: Record<string, unknown> = {
    user_id: scope,
    patient_id: admission.patient_id,
    admission_id: id,
    patient_created_at: admission.patient_created_at?.toISOString() ?? null,
  };
  for (const field of ADMISSION_INPUT_FIELDS) {
    row[field] = columnValue(field, admission.fields[field]);
  }
  return {
    ...row,
    created_at: now,
    updated_at: now,
    revision,
    deleted_at: null,
    deleted_by: null,
  } as AdmissionRow;
}

const isUniqueViolation = (error: unknown) => {
  const e = error as { errcode?: number; message?: string };
  return e?.errcode === 2067 || e?.errcode === 1555 ||
    /UNIQUE constraint failed/.test(e?.message ?? "");
};

/**
 * The admissions of the embedded patient store on `database`; `ready` resolves once the
 * patient store's migrations have run (and throws its `StoreUnavailableError` when they fail).
 */
export function sqliteAdmissionStore(
  database: DatabaseSync,
  ready: () => Promise<unknown>,
): AdmissionStore {
  /** A statement, prepared once (after the migrations). */
  const statement = statementCache(database);
  const all = async (text: string, ...params: SQLInputValue[]) => {
    await ready();
    return statement(text).all(...params) as unknown as AdmissionRow[];
  };
  const one = async (text: string, ...params: SQLInputValue[]) => {
    await ready();
    return statement(text).get(...params) as unknown as AdmissionRow | undefined;
  };
  const INSERT = `INSERT INTO admissions (${COLUMNS.join(", ")}) VALUES (${
    COLUMNS.map(() => "?").join(", ")
  })`;
  const insertRow = (row: AdmissionRow, orIgnore = false) =>
    statement(orIgnore ? `${INSERT} ON CONFLICT DO NOTHING` : INSERT).run(
      ...COLUMNS.map((c) => row[c] as SQLInputValue),
    );
  const takenNumbers = (scope: number, patientId: number) =>
    (statement("SELECT admission_id FROM admissions WHERE user_id = ? AND patient_id = ?")
      .all(scope, patientId) as { admission_id: number }[]).map((r) => Number(r.admission_id));

  /** One conditional write of a row at `revision`, in the state `live` says. */
  const write: ConditionalWrite = async (scope, patientId, admissionId, revision, live, set) => {
    await ready();
    const columns = Object.keys(set);
    const row = statement(
      `UPDATE admissions SET ${columns.map((c) => `${c} = ?`).join(", ")}
       WHERE user_id = ? AND patient_id = ? AND admission_id = ? AND revision = ?
       AND deleted_at IS ${live ? "" : "NOT "}NULL RETURNING *`,
    ).get(
      ...columns.map((c) => set[c] as SQLInputValue),
      scope,
      patientId,
      admissionId,
      revision,
    ) as AdmissionRow | undefined;
    if (row) return toAdmission(row);
    const found = await one(
      "SELECT * FROM admissions WHERE user_id = ? AND patient_id = ? AND admission_id = ?",
      scope,
      patientId,
      admissionId,
    );
    return missOrStale(found, patientId, admissionId, live);
  };

  /** Rows read a batch at a time, each batch after the last key of the one before. */
  async function* batches(
    read: (last: AdmissionRow | null) => AdmissionRow[],
  ): AsyncIterable<StoredAdmission> {
    await ready();
    for await (const rows of keysetBatches(READ_BATCH, read)) {
      for (const row of rows) yield toAdmission(row);
    }
  }

  return {
    async list(scope, patientId, state = "live") {
      return (await all(
        state === "live"
          ? `SELECT * FROM admissions WHERE user_id = ? AND patient_id = ? AND deleted_at IS NULL
             ORDER BY arrival_at, admission_id`
          : `SELECT * FROM admissions WHERE user_id = ? AND patient_id = ?
             AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, admission_id`,
        scope,
        patientId,
      )).map(toAdmission);
    },

    async countOf(scope, patientIds) {
      const rows = await all(
        `SELECT patient_id, COUNT(*) AS n FROM admissions WHERE user_id = ?
         AND patient_id IN (SELECT value FROM json_each(?)) GROUP BY patient_id`,
        scope,
        JSON.stringify(patientIds),
      ) as unknown as { patient_id: number; n: number }[];
      return new Map(rows.map((row) => [Number(row.patient_id), Number(row.n)]));
    },

    async get(scope, patientId, admissionId) {
      const row = await one(
        "SELECT * FROM admissions WHERE user_id = ? AND patient_id = ? AND admission_id = ?",
        scope,
        patientId,
        admissionId,
      );
      return row ? toAdmission(row) : null;
    },

    async create(scope, admission, next) {
      await ready();
      return await insertNumbered(
        admission,
        () => Promise.resolve(takenNumbers(scope, admission.patient_id)),
        (id) => {
          const row = rowOf(scope, admission, id, next, new Date().toISOString());
          insertRow(row);
          return Promise.resolve(toAdmission(row));
        },
        isUniqueViolation,
      );
    },

    async insertMany(scope, admissions) {
      await ready();
      const now = new Date().toISOString();
      const result: InsertedAdmissions = { stored: [], taken: [], full: [] };
      const numbers = new Map<number, number[]>();
      database.exec("BEGIN IMMEDIATE");
      try {
        admissions.forEach((admission, index) => {
          const pid = admission.patient_id;
          let taken = numbers.get(pid);
          if (!taken) numbers.set(pid, taken = takenNumbers(scope, pid));
          if (!hasRoom(taken)) {
            result.full.push(index);
            return;
          }
          const id = admission.admission_id ?? nextAdmissionId(taken);
          const row = rowOf(scope, admission, id, admission.revision, now);
          if (Number(insertRow(row, true).changes) !== 1) {
            result.taken.push(index);
            return;
          }
          taken.push(id);
          result.stored.push(toAdmission(row));
        });
        database.exec("COMMIT");
      } catch (error) {
        database.exec("ROLLBACK");
        throw error;
      }
      return result;
    },

    ...admissionWrites(write, {
      now: () => new Date().toISOString(),
      field: columnValue,
    }),

    async purge(scope, revision) {
      await ready();
      const result = statement(
        "DELETE FROM admissions WHERE user_id = ? AND revision = ? AND deleted_at IS NOT NULL",
      ).run(scope, revision);
      return Number(result.changes) === 1;
    },

    async expiredDeleted(before, limit) {
      return (await all(
        `SELECT * FROM admissions WHERE deleted_at IS NOT NULL AND deleted_at < ?
         ORDER BY deleted_at LIMIT ?`,
        before.toISOString(),
        limit,
      )).map((row) => ({ scope: Number(row.user_id), admission: toAdmission(row) }));
    },

    async findRevision(scope, revision) {
      const row = await one(
        "SELECT * FROM admissions WHERE user_id = ? AND revision = ?",
        scope,
        revision,
      );
      if (!row) return null;
      return { place: row.deleted_at === null ? "live" : "deleted", admission: toAdmission(row) };
    },

    iterate(scope, from, to) {
      const start = from?.getTime() ?? EARLIEST_MS;
      const end = to?.getTime() ?? LATEST_MS;
      const base = `SELECT * FROM admissions WHERE user_id = ? AND arrival_at >= ?
        AND arrival_at < ? AND deleted_at IS NULL`;
      const order = `ORDER BY arrival_at, patient_id, admission_id LIMIT ${READ_BATCH}`;
      return batches((last) =>
        (last === null
          ? statement(`${base} ${order}`).all(scope, start, end)
          : statement(`${base} AND (arrival_at, patient_id, admission_id) > (?, ?, ?) ${order}`)
            .all(
              scope,
              start,
              end,
              last.arrival_at,
              last.patient_id,
              last.admission_id,
            )) as unknown as AdmissionRow[]
      );
    },

    exportAll(scope) {
      const base = "SELECT * FROM admissions WHERE user_id = ? AND deleted_at IS NULL";
      const order = `ORDER BY patient_id, admission_id LIMIT ${READ_BATCH}`;
      return batches((last) =>
        (last === null
          ? statement(`${base} ${order}`).all(scope)
          : statement(`${base} AND (patient_id, admission_id) > (?, ?) ${order}`)
            .all(scope, last.patient_id, last.admission_id)) as unknown as AdmissionRow[]
      );
    },

    async deleteAllOf(scope) {
      await ready();
      return Number(statement("DELETE FROM admissions WHERE user_id = ?").run(scope).changes);
    },
  };
}
