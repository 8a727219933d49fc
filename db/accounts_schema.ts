/** The accounts database's tables, as Kysely types, and the migrations that create them. */
import { type ColumnDefinitionBuilder, type Generated, type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

/** The original app's table, column for column, plus nullable or defaulted columns of ours. */
export interface LoginDataTable {
  id: Generated<number>;
  name: string | null;
  email: string | null;
  password: string | null;
  /** 1 for an admin (`deno task admin grant`), else 0. */
  is_admin: Generated<number>;
  /** When an admin locked the account (epoch ms), or null. */
  locked_at: number | null;
  /** When the account was registered (epoch ms); null for accounts from before this column. */
  created_at: number | null;
  /** The last successful login or token request (epoch ms), or null. */
  last_login_at: number | null;
}

/** Server-side sessions (hono-sessions' store); times are epoch milliseconds. */
export interface SessionsTable {
  id: string;
  user_id: number | null;
  data: string;
  created_at: number;
  last_seen_at: number;
}

/** API tokens, stored only as SHA-256 hashes. */
export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
}

/** One row per failed login or token request, per throttling key (account or client). */
export interface LoginFailuresTable {
  id: Generated<number>;
  throttle_key: string;
  failed_at: number;
}

/** A CSV upload between its preview and its import, and the import's progress and result. */
export interface ImportsTable {
  id: string;
  user_id: number;
  file_name: string;
  bytes: number;
  on_conflict: string;
  /** `previewed`, `running`, `done` or `failed`. */
  status: string;
  rows_total: number;
  rows_done: number;
  /** The preview's or the import's counts and first errors, as JSON. */
  result: string;
  created_at: number;
  updated_at: number;
}

/** The uploaded file, in pieces small enough for any database's packet limit. */
export interface ImportChunksTable {
  import_id: string;
  seq: number;
  data: Uint8Array;
}

/** A user's TOTP secret: pending while `enabled_at` is null, on once confirmed with a code. */
export interface TwoFactorTable {
  user_id: number;
  /** The base32 secret (the server must read it to compute codes). */
  secret: string;
  created_at: number;
  enabled_at: number | null;
  /** The last time step a code was accepted for: it and older ones are refused (no replay). */
  last_used_step: number | null;
}

/** One-time recovery codes, stored only as SHA-256 hashes; `used_at` is set when one is used. */
export interface RecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface AccountsSchema {
  login_data: LoginDataTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  imports: ImportsTable;
  import_chunks: ImportChunksTable;
  two_factor: TwoFactorTable;
  recovery_codes: RecoveryCodesTable;
}

/**
 * Frozen migrations: add new ones, never edit old ones. Each is idempotent on its own
 * (MySQL has no transactional DDL), so a half-applied start-up can simply run again.
 */
export function accountsMigrations(dialect: "mysql" | "sqlite"): Record<string, Migration> {
  return {
    "001_login_data": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        // The seed's table exactly; an existing one (with its rows) is left as it is.
        await db.schema.createTable("login_data").ifNotExists()
          .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
          .addColumn("name", "varchar(255)")
          .addColumn(
            "email",
            "varchar(255)",
            // SQLite compares case-sensitively by default; MySQL's collations do not.
            (c) => dialect === "sqlite" ? c.unique().modifyEnd(sql`collate nocase`) : c.unique(),
          )
          .addColumn("password", "varchar(255)")
          .execute();
      },
    },
    "002_sessions_tokens_throttle": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema.createTable("sessions").ifNotExists()
          .addColumn("id", "varchar(64)", (c) => c.primaryKey())
          .addColumn("user_id", "integer")
          .addColumn("data", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_seen_at", "bigint", (c) => c.notNull())
          .execute();
        await ensureIndex(db, dialect, "sessions_user_id", "sessions", ["user_id"]);
        await ensureIndex(db, dialect, "sessions_last_seen_at", "sessions", ["last_seen_at"]);
        await db.schema.createTable("api_tokens").ifNotExists()
          .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
          .addColumn("user_id", "integer", (c) => c.notNull())
          .addColumn("name", "varchar(100)", (c) => c.notNull())
          .addColumn("token_hash", "char(64)", (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint")
          .execute();
        await ensureIndex(db, dialect, "api_tokens_user_id", "api_tokens", ["user_id"]);
        await db.schema.createTable("login_failures").ifNotExists()
          .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
          .addColumn("throttle_key", "varchar(320)", (c) => c.notNull())
          .addColumn("failed_at", "bigint", (c) => c.notNull())
          .execute();
        await ensureIndex(db, dialect, "login_failures_key_time", "login_failures", [
          "throttle_key",
          "failed_at",
        ]);
      },
    },
    "003_imports": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        const big = dialect === "mysql" ? "mediumtext" : "text";
        await db.schema.createTable("imports").ifNotExists()
          .addColumn("id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("user_id", "integer", (c) => c.notNull())
          .addColumn("file_name", "varchar(255)", (c) => c.notNull())
          .addColumn("bytes", "bigint", (c) => c.notNull())
          .addColumn("on_conflict", "varchar(10)", (c) => c.notNull())
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("rows_total", "integer", (c) => c.notNull())
          .addColumn("rows_done", "integer", (c) => c.notNull())
          .addColumn("result", sql.raw(big), (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        await ensureIndex(db, dialect, "imports_user_id", "imports", ["user_id"]);
        await db.schema.createTable("import_chunks").ifNotExists()
          .addColumn("import_id", "varchar(36)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn(
            "data",
            dialect === "mysql" ? sql.raw("mediumblob") : "blob",
            (c) => c.notNull(),
          )
          .addPrimaryKeyConstraint("import_chunks_pk", ["import_id", "seq"])
          .execute();
      },
    },
    "004_admin": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        await addColumn(db, "login_data", "is_admin", "integer", (c) => c.notNull().defaultTo(0));
        await addColumn(db, "login_data", "locked_at", "bigint");
        await addColumn(db, "login_data", "created_at", "bigint");
        await addColumn(db, "login_data", "last_login_at", "bigint");
      },
    },
    "005_two_factor": {
      // deno-lint-ignore no-explicit-any
      async up(db: Kysely<any>) {
        await db.schema.createTable("two_factor").ifNotExists()
          .addColumn("user_id", "integer", (c) => c.primaryKey())
          .addColumn("secret", "varchar(64)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("enabled_at", "bigint")
          .addColumn("last_used_step", "bigint")
          .execute();
        await db.schema.createTable("recovery_codes").ifNotExists()
          .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
          .addColumn("user_id", "integer", (c) => c.notNull())
          .addColumn("code_hash", "char(64)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("used_at", "bigint")
          .execute();
        await ensureIndex(db, dialect, "recovery_codes_user_id", "recovery_codes", ["user_id"]);
      },
    },
  };
}

/** Adds a column unless the table has it (neither MySQL 8 nor SQLite has `ADD COLUMN IF NOT EXISTS`). */
async function addColumn(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  table: string,
  column: string,
  type: "integer" | "bigint",
  build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder = (c) => c,
): Promise<void> {
  const tables = await db.introspection.getTables();
  const existing = tables.find((t) => t.name === table)?.columns ?? [];
  if (existing.some((c) => c.name === column)) return;
  await db.schema.alterTable(table).addColumn(column, type, build).execute();
}

/** Creates an index unless it exists (MySQL 8 has no `CREATE INDEX IF NOT EXISTS`). */
async function ensureIndex(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  dialect: "mysql" | "sqlite",
  name: string,
  table: string,
  columns: string[],
): Promise<void> {
  if (dialect === "sqlite") {
    await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    return;
  }
  try {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  } catch (error) {
    if ((error as { errno?: number }).errno !== 1061) throw error; // ER_DUP_KEYNAME: it exists
  }
}
