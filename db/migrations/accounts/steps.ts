/**
 * Steps the accounts migrations share, frozen with them: a change here would change migrations
 * that have run (`tests/migrations_test.ts` fails). Each step can run again on a database where
 * it ran before: MySQL has no transactional DDL, so a half-applied start-up simply runs again.
 */
import { type ColumnDefinitionBuilder, type Kysely, sql } from "kysely";

/** The accounts database's two dialects (MySQL or MariaDB, and the embedded SQLite). */
export type AccountsDialect = "mysql" | "sqlite";

/** Adds a column unless the table has it (neither MySQL 8 nor SQLite has `ADD COLUMN IF NOT EXISTS`). */
export async function addColumn(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  table: string,
  column: string,
  type: "integer" | "bigint" | "varchar(64)" | "text" | "mediumtext",
  build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder = (c) => c,
): Promise<void> {
  const tables = await db.introspection.getTables();
  const existing = tables.find((t) => t.name === table)?.columns ?? [];
  if (existing.some((c) => c.name === column)) return;
  await db.schema.alterTable(table).addColumn(column, sql.raw(type), build).execute();
}

/** Creates an index unless it exists (MySQL 8 has no `CREATE INDEX IF NOT EXISTS`). */
export async function ensureIndex(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  dialect: AccountsDialect,
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
