/**
 * Registries (frozen: never edit, add a new migration instead). Creates `registries`,
 * `registry_members` and `registry_events`, and adds `api_tokens.registry_id` (the number of the
 * registry a token is bound to, null for an unbound token). Every statement may run again: MySQL
 * has no transactional DDL, so a start-up that stopped half-way simply runs it once more.
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

const MYSQL = [
  `CREATE TABLE IF NOT EXISTS registries (
    id INT NOT NULL AUTO_INCREMENT,
    public_id VARCHAR(32) NOT NULL,
    name VARCHAR(100) NOT NULL,
    created_by INT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY registries_public_id (public_id),
    KEY registries_created_by (created_by)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS registry_members (
    registry_id INT NOT NULL,
    user_id INT NULL,
    email VARCHAR(255) NOT NULL,
    role VARCHAR(10) NOT NULL,
    status VARCHAR(10) NOT NULL,
    added_by INT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (registry_id, email),
    KEY registry_members_user_id (user_id),
    KEY registry_members_email (email)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS registry_events (
    id BIGINT NOT NULL AUTO_INCREMENT,
    registry_id INT NOT NULL,
    created_at BIGINT NOT NULL,
    actor_id INT NULL,
    action VARCHAR(16) NOT NULL,
    member_email VARCHAR(255) NULL,
    member_user_id INT NULL,
    role_before VARCHAR(10) NULL,
    role_after VARCHAR(10) NULL,
    details TEXT NULL,
    client VARCHAR(100) NULL,
    request_id VARCHAR(100) NULL,
    PRIMARY KEY (id),
    KEY registry_events_registry_time (registry_id, created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

const SQLITE = [
  `CREATE TABLE IF NOT EXISTS registries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  )`,
  `CREATE INDEX IF NOT EXISTS registries_created_by ON registries (created_by)`,
  `CREATE TABLE IF NOT EXISTS registry_members (
    registry_id INTEGER NOT NULL,
    user_id INTEGER,
    email TEXT NOT NULL COLLATE NOCASE,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (registry_id, email)
  )`,
  `CREATE INDEX IF NOT EXISTS registry_members_user_id ON registry_members (user_id)`,
  `CREATE INDEX IF NOT EXISTS registry_members_email ON registry_members (email)`,
  `CREATE TABLE IF NOT EXISTS registry_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    registry_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    actor_id INTEGER,
    action TEXT NOT NULL,
    member_email TEXT,
    member_user_id INTEGER,
    role_before TEXT,
    role_after TEXT,
    details TEXT,
    client TEXT,
    request_id TEXT
  )`,
  `CREATE INDEX IF NOT EXISTS registry_events_registry_time
    ON registry_events (registry_id, created_at)`,
];

/** Whether `api_tokens` has `registry_id` (neither MySQL 8 nor SQLite has `ADD COLUMN IF NOT EXISTS`). */
async function hasTokenRegistry(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  dialect: "mysql" | "sqlite",
): Promise<boolean> {
  const query = dialect === "mysql"
    ? sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = 'api_tokens'
        AND column_name = 'registry_id'`
    : sql<{ n: number }>`SELECT COUNT(*) AS n FROM pragma_table_info('api_tokens')
        WHERE name = 'registry_id'`;
  const { rows } = await query.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

export function registriesMigration(dialect: "mysql" | "sqlite"): Migration {
  return {
    // deno-lint-ignore no-explicit-any
    async up(db: Kysely<any>) {
      for (const statement of dialect === "mysql" ? MYSQL : SQLITE) {
        await sql.raw(statement).execute(db);
      }
      if (!(await hasTokenRegistry(db, dialect))) {
        await sql.raw("ALTER TABLE api_tokens ADD COLUMN registry_id INTEGER NULL").execute(db);
      }
    },
  };
}
