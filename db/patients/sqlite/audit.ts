/**
 * The audit log of the embedded patient store: tables in the same SQLite file — `audit_log`,
 * which triggers make append-only in the database itself (no entry can be changed or deleted),
 * and `audit_pending`, the journal of changes in progress.
 */
import type { Kysely, SelectQueryBuilder } from "kysely";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  type AuditAction,
  type AuditEntry,
  type AuditLog,
  type AuditSearch,
  type AuditStatus,
  ChangeInProgressError,
  claimOf,
} from "../../../lib/audit.ts";
import { inTransaction, isSqliteUniqueViolation } from "../../sqlite.ts";
import { keysetBatches } from "../batches.ts";

export interface AuditTable {
  id: string;
  at: string;
  owner_id: number;
  user_id: number | null;
  action: string;
  patient_id: number | null;
  changes: string;
  reason: string | null;
  client: string | null;
  request_id: string | null;
  details: string | null;
  status: string;
  revision_before: string | null;
  revision_after: string | null;
}

interface Schema {
  audit_log: AuditTable;
  audit_pending: AuditTable;
}

const COLUMNS = [
  "id",
  "at",
  "owner_id",
  "user_id",
  "action",
  "patient_id",
  "changes",
  "reason",
  "client",
  "request_id",
  "details",
  "status",
  "revision_before",
  "revision_after",
] as const satisfies readonly (keyof AuditTable)[];

/** Entries per batch of `stream()`. */
const STREAM_BATCH = 1000;

function toEntry(row: AuditTable): AuditEntry {
  return {
    id: row.id,
    at: new Date(row.at),
    owner_id: Number(row.owner_id),
    user_id: row.user_id === null ? null : Number(row.user_id),
    action: row.action as AuditAction,
    patient_id: row.patient_id === null ? null : Number(row.patient_id),
    changes: JSON.parse(row.changes),
    reason: row.reason,
    client: row.client,
    request_id: row.request_id,
    details: row.details === null ? null : JSON.parse(row.details),
    status: row.status as AuditStatus,
    revision_before: row.revision_before,
    revision_after: row.revision_after,
  };
}

function toRow(entry: AuditEntry): AuditTable {
  return {
    ...entry,
    at: entry.at.toISOString(),
    changes: JSON.stringify(entry.changes),
    details: entry.details === null ? null : JSON.stringify(entry.details),
  };
}

function matching<O>(
  query: SelectQueryBuilder<Schema, "audit_log", O>,
  search: AuditSearch,
): SelectQueryBuilder<Schema, "audit_log", O> {
  let q = query;
  if (search.ownerId !== undefined) q = q.where("owner_id", "=", search.ownerId);
  if (search.action !== undefined) q = q.where("action", "=", search.action);
  if (search.patientId !== undefined) q = q.where("patient_id", "=", search.patientId);
  if (search.from !== undefined) q = q.where("at", ">=", search.from.toISOString());
  if (search.to !== undefined) q = q.where("at", "<", search.to.toISOString());
  return q;
}

/** Appends entries' rows (values in `columns` order) elsewhere: in the writing worker. */
export type AuditRowsWriter = (
  columns: readonly string[],
  rows: SQLInputValue[][],
) => Promise<void>;

/** From this many entries on (an import's batch), `append` hands them to `bulk` when given. */
const BULK_ENTRIES = 500;

/**
 * The audit log over an open database; `ready()` resolves once the migrations have run (and
 * throws `StoreUnavailableError` when they cannot). `bulk` writes many entries at once off the
 * app's thread.
 */
export function sqliteAuditLog(
  database: DatabaseSync,
  // deno-lint-ignore no-explicit-any
  kysely: Kysely<any>,
  ready: () => Promise<unknown>,
  bulk: AuditRowsWriter | null = null,
): AuditLog {
  const db = kysely as Kysely<Schema>;
  const handle = async () => {
    await ready();
    return db;
  };
  let statements: {
    log: StatementSync;
    journal: StatementSync;
    holder: StatementSync;
    drop: StatementSync;
  } | null = null;
  const insertInto = (table: string, columns: readonly string[]) =>
    database.prepare(
      `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    );
  const prepared = () =>
    statements ??= {
      log: insertInto("audit_log", COLUMNS),
      journal: insertInto("audit_pending", [...COLUMNS, "claim"]),
      holder: database.prepare("SELECT * FROM audit_pending WHERE claim = ?"),
      drop: database.prepare("DELETE FROM audit_pending WHERE id = ?"),
    };
  const getEntry = async (id: string) => {
    const row = await (await handle()).selectFrom("audit_log").selectAll().where("id", "=", id)
      .executeTakeFirst();
    return row ? toEntry(row) : null;
  };
  const values = (entry: AuditEntry) => {
    const row = toRow(entry);
    return COLUMNS.map((column) => row[column]);
  };
  return {
    async append(entries) {
      await ready();
      if (bulk && entries.length >= BULK_ENTRIES) {
        await bulk(COLUMNS, entries.map((entry) => values(entry) as SQLInputValue[]));
        return;
      }
      const { log } = prepared();
      inTransaction(database, () => {
        for (const entry of entries) log.run(...values(entry));
      });
    },

    async begin(entry) {
      await ready();
      const { journal, holder } = prepared();
      const claim = claimOf(entry);
      try {
        journal.run(...values(entry), claim);
      } catch (error) {
        const claimed = isSqliteUniqueViolation(error) &&
          /audit_pending\.claim/.test((error as Error).message);
        if (!claimed || claim === null) throw error;
        const row = holder.get(claim) as AuditTable | undefined;
        throw new ChangeInProgressError(row ? toEntry(row) : null);
      }
    },

    async finish(entry) {
      await ready();
      const { log, drop } = prepared();
      try {
        inTransaction(database, () => {
          log.run(...values(entry));
          drop.run(entry.id);
        });
        return true;
      } catch (error) {
        // Only the log having this very entry is fine; any other refusal is an error.
        if (!isSqliteUniqueViolation(error) || !(await getEntry(entry.id))) throw error;
        drop.run(entry.id);
        return false;
      }
    },

    get: getEntry,

    async forget(id) {
      await ready();
      prepared().drop.run(id);
    },

    async history(ownerId, patientId) {
      const rows = await (await handle()).selectFrom("audit_log").selectAll()
        .where("owner_id", "=", ownerId).where("patient_id", "=", patientId)
        .where("status", "=", "done").orderBy("at", "desc").orderBy("id", "desc").execute();
      return rows.map(toEntry);
    },

    async search(search, { offset, limit }) {
      const h = await handle();
      const rows = await matching(h.selectFrom("audit_log").selectAll(), search)
        .orderBy("at", "desc").orderBy("id", "desc").limit(limit).offset(offset).execute();
      const count = await matching(
        h.selectFrom("audit_log").select((eb) => eb.fn.countAll<number>().as("n")),
        search,
      ).executeTakeFirstOrThrow();
      return { items: rows.map(toEntry), total: Number(count.n) };
    },

    async *stream(search) {
      const h = await handle();
      // Keyset paging on (at, id): entries appended meanwhile never shift a batch.
      const batches = keysetBatches(STREAM_BATCH, (after: AuditTable | null) => {
        let query = matching(h.selectFrom("audit_log").selectAll(), search);
        if (after) {
          const { at, id } = after;
          query = query.where((eb) =>
            eb.or([eb("at", "<", at), eb.and([eb("at", "=", at), eb("id", "<", id)])])
          );
        }
        return query.orderBy("at", "desc").orderBy("id", "desc").limit(STREAM_BATCH).execute();
      });
      for await (const rows of batches) for (const row of rows) yield toEntry(row);
    },

    async pending(before, limit) {
      const rows = await (await handle()).selectFrom("audit_pending").selectAll()
        .where("at", "<", before.toISOString()).orderBy("at").limit(limit).execute();
      return rows.map(toEntry);
    },

    async continuedFrom(ownerId, revision, exceptId) {
      const h = await handle();
      for (const table of ["audit_pending", "audit_log"] as const) {
        const row = await h.selectFrom(table).selectAll().where("owner_id", "=", ownerId)
          .where("revision_before", "=", revision).where("id", "!=", exceptId)
          .where("status", "!=", "failed").executeTakeFirst();
        if (row) return toEntry(row);
      }
      return null;
    },
  };
}
