/** Opens a SQLite file through Deno's `node:sqlite` as a Kysely database (the embedded backend). */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { Kysely, type SqliteDatabase, SqliteDialect } from "kysely";

function toSqlite(value: unknown): SQLInputValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}

/** Adapts `DatabaseSync` to the better-sqlite3-like shape that Kysely's SqliteDialect expects. */
function adapt(db: DatabaseSync): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare(sql) {
      const statement = db.prepare(sql);
      const args = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqlite);
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...args(parameters)),
        run(parameters) {
          const { changes, lastInsertRowid } = statement.run(...args(parameters));
          return { changes, lastInsertRowid };
        },
        iterate: (parameters) => statement.iterate(...args(parameters)),
      };
    },
  };
}

/** The page cache of each connection (KiB). */
export const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Opens (creating when needed) the SQLite database at `path` (`:memory:` for a throw-away one).
 * WAL lets readers run beside the writer; `synchronous = FULL` makes a commit durable before
 * it is reported as saved; a 64 MB page cache (SQLite's default is 2 MB) keeps the indexes of a
 * million records in memory.
 */
export function openSqliteDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;" +
      ` PRAGMA foreign_keys = ON; PRAGMA cache_size = -${PAGE_CACHE_KIB};`,
  );
  return db;
}

/** Kysely over an open database. */
export function kyselyOver<Schema>(db: DatabaseSync): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: new SqliteDialect({ database: adapt(db) }) });
}

/** Opens the database at `path` as a Kysely database. */
export function openSqlite<Schema>(path: string): Kysely<Schema> {
  return kyselyOver<Schema>(openSqliteDatabase(path));
}

/** True for SQLite's "UNIQUE constraint failed" (and primary key) errors. */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const e = error as { errcode?: number; message?: string };
  return e?.errcode === 2067 || e?.errcode === 1555 ||
    /UNIQUE constraint failed/.test(e?.message ?? "");
}

/**
 * Runs `work` in one transaction on `db`, committed before this returns; nothing else can run in
 * between, as nothing awaits. Whatever `work` throws rolls it back and is thrown again.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
