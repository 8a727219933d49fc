/**
 * "Recently deleted" in the embedded store: a delete moves the row from `patients` to
 * `deleted_patients` and a restore moves it back, each in one SQLite transaction, so a record
 * is always in exactly one of the two tables.
 */
import type { Kysely } from "kysely";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  PatientIdTakenError,
  PatientNotFoundError,
  StaleRevisionError,
} from "../../../lib/errors.ts";
import type { DeletedRecordMethods } from "../../../lib/patient_store.ts";
import { appShape } from "../../../lib/stored_patient.ts";
import { newRevision } from "../rows.ts";
import {
  COPIED_COLUMNS,
  type PatientsTable,
  ROW_COLUMNS,
  type Schema,
  toDeletedRecord,
  toRecord,
} from "./schema.ts";
import { inTransaction, isSqliteUniqueViolation } from "../../sqlite.ts";

interface Statements {
  liveRow: StatementSync;
  insertDeleted: StatementSync;
  removeLive: StatementSync;
  copyToLive: StatementSync;
  removeDeleted: StatementSync;
}

/** The columns of a deleted copy, in the order `insertDeleted` takes them. */
const DELETED_COLUMNS = [
  ...COPIED_COLUMNS,
  "revision",
  "from_revision",
  "deleted_at",
  "deleted_by",
] as const;

/** The deleted-records half of the embedded store; `db()` waits for the migrations. */
export function sqliteDeletedRecords(
  database: DatabaseSync,
  db: () => Promise<Kysely<Schema>>,
): DeletedRecordMethods {
  let statements: Statements | null = null;
  const prepared = () =>
    statements ??= {
      liveRow: database.prepare(
        `SELECT ${ROW_COLUMNS.join(", ")} FROM patients WHERE user_id = ? AND id = ?`,
      ),
      insertDeleted: database.prepare(
        `INSERT INTO deleted_patients (${DELETED_COLUMNS.join(", ")})
         VALUES (${DELETED_COLUMNS.map(() => "?").join(", ")})`,
      ),
      removeLive: database.prepare("DELETE FROM patients WHERE user_id = ? AND id = ?"),
      copyToLive: database.prepare(
        `INSERT INTO patients (${ROW_COLUMNS.join(", ")})
         SELECT ${COPIED_COLUMNS.map((c) => c === "updated_at" ? "?" : c).join(", ")}, ?
         FROM deleted_patients WHERE user_id = ? AND id = ? AND revision = ?`,
      ),
      removeDeleted: database.prepare(
        "DELETE FROM deleted_patients WHERE user_id = ? AND revision = ?",
      ),
    };

  return {
    async delete(userId, id, revision, options = {}) {
      await db();
      const s = prepared();
      const outcome = inTransaction(database, () => {
        const row = s.liveRow.get(userId, id) as PatientsTable | undefined;
        if (!row) return "missing";
        const record = toRecord(row);
        if (revision !== undefined && record.revision !== revision) return "stale";
        // The copy of a row the app never wrote is in the app's shape (its first change).
        const copy: Record<string, unknown> = {
          ...row,
          ...appShape(record),
          revision: options.next ?? newRevision(),
          from_revision: record.revision,
          deleted_at: new Date().toISOString(),
          deleted_by: options.by ?? null,
        };
        s.insertDeleted.run(...DELETED_COLUMNS.map((c) => (copy[c] ?? null) as SQLInputValue));
        s.removeLive.run(userId, id);
        return "moved";
      });
      if (outcome === "stale") throw new StaleRevisionError(id);
      if (outcome === "missing") throw new PatientNotFoundError(id);
    },

    async listDeleted(userId, { page, perPage }) {
      const handle = await db();
      const rows = await handle.selectFrom("deleted_patients").selectAll()
        .where("user_id", "=", userId).orderBy("deleted_at", "desc").orderBy("id")
        .limit(perPage).offset((page - 1) * perPage).execute();
      const count = await handle.selectFrom("deleted_patients")
        .select((eb) => eb.fn.countAll<number>().as("n")).where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      return { items: rows.map(toDeletedRecord), total: Number(count.n) };
    },

    async getDeleted(userId, id) {
      const row = await (await db()).selectFrom("deleted_patients").selectAll()
        .where("user_id", "=", userId).where("id", "=", id).orderBy("deleted_at", "desc")
        .limit(1).executeTakeFirst();
      return row ? toDeletedRecord(row) : null;
    },

    async restore(userId, id, revision, next = newRevision()) {
      await db();
      const s = prepared();
      const now = new Date().toISOString();
      inTransaction(database, () => {
        let result;
        try {
          result = s.copyToLive.run(now, next, userId, id, revision);
        } catch (error) {
          if (isSqliteUniqueViolation(error)) throw new PatientIdTakenError(id);
          throw error;
        }
        if (Number(result.changes) === 0) throw new PatientNotFoundError(id);
        s.removeDeleted.run(userId, revision);
      });
      const row = await (await db()).selectFrom("patients").selectAll()
        .where("user_id", "=", userId).where("id", "=", id).executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async purge(userId, revision) {
      await db();
      return Number(prepared().removeDeleted.run(userId, revision).changes) === 1;
    },

    async expiredDeleted(before, limit) {
      const rows = await (await db()).selectFrom("deleted_patients").selectAll()
        .where("deleted_at", "<", before.toISOString()).orderBy("deleted_at").limit(limit)
        .execute();
      return rows.map((row) => ({ userId: Number(row.user_id), record: toDeletedRecord(row) }));
    },

    async findRevision(userId, revision) {
      const handle = await db();
      const live = await handle.selectFrom("patients").selectAll().where("user_id", "=", userId)
        .where("revision", "=", revision).executeTakeFirst();
      if (live) return { place: "live", record: toRecord(live) };
      const deleted = await handle.selectFrom("deleted_patients").selectAll()
        .where("user_id", "=", userId).where("revision", "=", revision).executeTakeFirst();
      return deleted ? { place: "deleted", record: toDeletedRecord(deleted) } : null;
    },
  };
}
