/** Opens the accounts database: MySQL/MariaDB through mysql2, or SQLite in DATA_DIR. */
import { Kysely, MysqlDialect } from "kysely";
import { createConnection, createPool, type PoolConnection } from "mysql2";
import { join } from "node:path";
import {
  type DatabaseTimeouts,
  DEFAULT_DATABASE_TIMEOUTS,
  type MysqlConfig,
} from "../../config.ts";
import type { AccountsSchema } from "./schema.ts";
import { StoreUnavailableError } from "../../lib/errors.ts";
import { migrate } from "../migrate.ts";
import { accountsMigrations } from "../migrations/accounts/index.ts";
import { onceSucceeded } from "../once.ts";
import { isSqliteUniqueViolation, openSqlite } from "../sqlite.ts";

export interface AccountsDb {
  readonly dialect: "mysql" | "sqlite";
  /** Where the accounts live, for the start-up line (never a password). */
  readonly description: string;
  /**
   * The Kysely handle, once the database answers and is migrated. Throws
   * `StoreUnavailableError` while it cannot be reached, and tries again on the next call.
   */
  db(): Promise<Kysely<AccountsSchema>>;
  /** Runs `work` on the handle, turning a lost or refused connection into `StoreUnavailableError`. */
  run<T>(work: (db: Kysely<AccountsSchema>) => Promise<T>): Promise<T>;
  /** True when `error` is the database's "duplicate key" error. */
  isUniqueViolation(error: unknown): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MYSQL_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_ACCESS_DENIED_ERROR",
  "ER_DBACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
]);

/** True for a mysql2 error that means "the server is not there", not "the query is wrong". */
function isMysqlConnectionError(error: unknown): boolean {
  const e = error as { code?: string; fatal?: boolean };
  return e?.fatal === true || MYSQL_CONNECTION_CODES.has(e?.code ?? "");
}

/** mysql2's error for a query that outlived its `timeout`. */
const QUERY_TIMEOUT_CODE = "PROTOCOL_SEQUENCE_TIMEOUT";

type QueryCallback = (error: { code?: string } | null, ...results: unknown[]) => void;

/**
 * Gives every query of a pooled connection a time limit: a server that keeps the connection
 * open but never answers (hung, or cut off without a reset) becomes an error after `ms`, and
 * the connection is dropped rather than handed out again with its query still pending. mysql2
 * has the limit per query only, so each new connection's `query` passes it on.
 */
function limitQueryTime(connection: PoolConnection, ms: number): void {
  const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
  const limited = (sql: unknown, values: unknown, callback?: unknown) => {
    if (typeof sql !== "string" || typeof callback !== "function") {
      return query(...[sql, values, callback].filter((a) => a !== undefined));
    }
    const answered: QueryCallback = (error, ...results) => {
      if (error?.code === QUERY_TIMEOUT_CODE) connection.destroy();
      (callback as QueryCallback)(error, ...results);
    };
    return query({ sql, values, timeout: ms }, answered);
  };
  Object.assign(connection, { query: limited });
}

function openMysql(config: MysqlConfig, timeouts: DatabaseTimeouts): AccountsDb {
  const connection = {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    connectTimeout: timeouts.unavailableMs,
    timezone: "Z",
  };
  const pool = createPool({
    ...connection,
    database: config.database,
    connectionLimit: 10,
    maxIdle: 10,
    idleTimeout: 30_000,
    enableKeepAlive: true,
  });
  pool.on("connection", (pooled) => limitQueryTime(pooled, timeouts.queryMs));
  const kysely = new Kysely<AccountsSchema>({ dialect: new MysqlDialect({ pool }) });
  const createDatabase = () =>
    new Promise<void>((resolve, reject) => {
      // As the original app did: the database is created when it does not exist yet.
      const admin = createConnection(connection);
      admin.query(
        `CREATE DATABASE IF NOT EXISTS \`${config.database}\` CHARACTER SET utf8mb4`,
        (error) => {
          admin.destroy();
          error ? reject(error) : resolve();
        },
      );
    });
  return accountsDb("mysql", `MySQL at ${config.host}:${config.port}/${config.database}`, kysely, {
    prepare: async () => {
      await createDatabase();
      await migrate(kysely, accountsMigrations("mysql"));
    },
    isUnavailable: isMysqlConnectionError,
    isUniqueViolation: (e) => (e as { errno?: number })?.errno === 1062,
  });
}

function openSqliteAccounts(dataDir: string): AccountsDb {
  Deno.mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "app.db");
  const kysely = openSqlite<AccountsSchema>(path);
  return accountsDb("sqlite", `SQLite at ${path}`, kysely, {
    prepare: () => migrate(kysely, accountsMigrations("sqlite")),
    isUnavailable: (e) => /database is locked|disk I\/O error/.test((e as Error)?.message ?? ""),
    isUniqueViolation: isSqliteUniqueViolation,
  });
}

function accountsDb(
  dialect: AccountsDb["dialect"],
  description: string,
  kysely: Kysely<AccountsSchema>,
  hooks: {
    prepare: () => Promise<void>;
    isUnavailable: (error: unknown) => boolean;
    isUniqueViolation: (error: unknown) => boolean;
  },
): AccountsDb {
  const unavailable = (error: unknown) =>
    hooks.isUnavailable(error) ? new StoreUnavailableError("users", { cause: error }) : error;
  const prepared = onceSucceeded(async () => {
    try {
      await hooks.prepare();
    } catch (error) {
      // A migration that fails for a reason other than the connection is still an outage:
      // nothing can be served until it is fixed, and the log says why.
      throw new StoreUnavailableError("users", { cause: error });
    }
  });
  const db = async () => {
    await prepared();
    return kysely;
  };
  return {
    dialect,
    description,
    db,
    async run(work) {
      const handle = await db();
      try {
        return await work(handle);
      } catch (error) {
        throw unavailable(error);
      }
    },
    isUniqueViolation: hooks.isUniqueViolation,
    async ping() {
      const handle = await db();
      try {
        await handle.selectFrom("login_data").select("id").limit(1).execute();
      } catch (error) {
        throw new StoreUnavailableError("users", { cause: error });
      }
    },
    close: () => kysely.destroy(),
  };
}

/**
 * Opens MySQL when it is configured, else SQLite in `dataDir`. Connects lazily: never throws for
 * an outage. `timeouts` default to `DB_TIMEOUT_MS` and `DB_QUERY_TIMEOUT_MS`'s defaults.
 */
export function openAccountsDb(
  mysql: MysqlConfig | null,
  dataDir: string,
  timeouts: Partial<DatabaseTimeouts> = {},
): AccountsDb {
  return mysql
    ? openMysql(mysql, { ...DEFAULT_DATABASE_TIMEOUTS, ...timeouts })
    : openSqliteAccounts(dataDir);
}
