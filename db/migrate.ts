/** Runs in-code Kysely migrations, idempotently, and reports a failure as one clear error. */
import type { Kysely } from "kysely";
import { type Migration, Migrator } from "kysely/migration";

/** Applies every migration not yet applied (names sort in the order they must run). */
export async function migrate(
  // deno-lint-ignore no-explicit-any
  db: Kysely<any>,
  migrations: Record<string, Migration>,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`Migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}
