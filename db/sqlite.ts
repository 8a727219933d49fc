/** Opens a SQLite file through Deno's `node:sqlite` as a Kysely database (the embedded backend). */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { Kysely, type SqliteDatabase, SqliteDialect } from "kysely";

function toSqlite(value: unknown): SQLInputValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}

/**
 * Prepares statements once by their SQL (SQLite parses and plans at prepare, which costs more
 * than running a small query): at most `max` are kept, the oldest dropped first. A kept
 * statement must be run to its end before it is used again (`all`, `get`, `run`), never left
 * half-iterated.
 */
export function statementCache(
  db: DatabaseSync,
  max = 1000,
): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size >= max) statements.delete(statements.keys().next().value!);
      statements.set(sql, statement);
    }
    return statement;
  };
}

/**
 * Adapts `DatabaseSync` to the better-sqlite3-like shape that Kysely's SqliteDialect expects.
 * Statements are kept by their SQL (every page asks for its session, user and registries; and a
 * statement keeps its native memory, bound values included, until V8 collects its small object:
 * one per query let a FHIR export of a million patients, its 256 KB pieces inserted one by one,
 * grow the app by its output), but a stream gets a statement of its own: two iterations of one
 * statement would share its cursor.
 */
function adapt(db: DatabaseSync): SqliteDatabase {
  const prepared = statementCache(db);
  const args = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqlite);
  return {
    close: () => db.close(),
    prepare(sql) {
      const statement = prepared(sql);
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...args(parameters)),
        run(parameters) {
          const { changes, lastInsertRowid } = statement.run(...args(parameters));
          return { changes, lastInsertRowid };
        },
        iterate: (parameters) => db.prepare(sql).iterate(...args(parameters)),
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
 * million records in memory. The busy timeout comes first: another connection closing (the
 * last one checkpoints the WAL, holding the file to itself) would otherwise make the journal
 * mode fail at once with "database is locked".
 */
export function openSqliteDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;" +
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
