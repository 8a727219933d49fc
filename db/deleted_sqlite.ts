/**
 * "Recently deleted" in the embedded store: a delete moves the row from `patients` to
 * `deleted_patients` and a restore moves it back, each in one SQLite transaction, so a record
 * is always in exactly one of the two tables.
 */
import type { Kysely } from "kysely";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { PatientIdTakenError, PatientNotFoundError, StaleRevisionError } from "../lib/errors.ts";
import type { DeletedRecordMethods } from "../lib/patient_store.ts";
import { newRevision } from "./patient_rows.ts";
import {
  COPIED_COLUMNS,
  ROW_COLUMNS,
  type Schema,
  toDeletedRecord,
  toRecord,
} from "./patient_sqlite_schema.ts";
import { inTransaction, isSqliteUniqueViolation } from "./sqlite.ts";

interface Statements {
  copyToDeleted: StatementSync;
  removeLive: StatementSync;
  liveRevision: StatementSync;
  copyToLive: StatementSync;
  removeDeleted: StatementSync;
}

const copied = COPIED_COLUMNS.join(", ");

/** The deleted-records half of the embedded store; `db()` waits for the migrations. */
export function sqliteDeletedRecords(
  database: DatabaseSync,
  db: () => Promise<Kysely<Schema>>,
): DeletedRecordMethods {
  let statements: Statements | null = null;
  const prepared = () =>
    statements ??= {
      copyToDeleted: database.prepare(
        `INSERT INTO deleted_patients (${copied}, revision, from_revision, deleted_at, deleted_by)
         SELECT ${copied}, ?, revision, ?, ? FROM patients
         WHERE user_id = ? AND id = ? AND (? IS NULL OR revision = ?)`,
      ),
      removeLive: database.prepare("DELETE FROM patients WHERE user_id = ? AND id = ?"),
      liveRevision: database.prepare("SELECT revision FROM patients WHERE user_id = ? AND id = ?"),
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
        const expected = revision ?? null;
        const now = new Date().toISOString();
        const next = options.next ?? newRevision();
        const result = s.copyToDeleted.run(
          next,
          now,
          options.by ?? null,
          userId,
          id,
          expected,
          expected,
        );
        if (Number(result.changes) === 0) {
          return s.liveRevision.get(userId, id) ? "stale" : "missing";
        }
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
