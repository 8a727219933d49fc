/**
 * Periodic clean-up: expired sessions and old login failures in the accounts database, and
 * whatever other jobs the app adds (the patient database's purge of old deleted records).
 */
import type { SecurityConfig } from "../config.ts";
import type { AccountsDb } from "./accounts_db.ts";
import { deleteOldFailures } from "./login_throttle.ts";
import { DatabaseSessionStore } from "./sessions.ts";

/** Runs one clean-up; returns what it removed. */
export async function cleanUp(
  accounts: AccountsDb,
  security: SecurityConfig,
): Promise<{ sessions: number; failures: number }> {
  const store = new DatabaseSessionStore(accounts, {
    idleMs: security.sessionIdleMs,
    absoluteMs: security.sessionAbsoluteMs,
  });
  return {
    sessions: await store.deleteExpired(),
    failures: await deleteOldFailures(accounts, security.throttle),
  };
}

/** Cleans up now and every `everyMs`, then runs each of `jobs`; returns a function that stops it. */
export function startHousekeeping(
  accounts: AccountsDb,
  security: SecurityConfig,
  log: (line: string) => void,
  everyMs = 10 * 60_000,
  jobs: (() => Promise<unknown>)[] = [],
): () => void {
  const run = () =>
    Promise.allSettled(
      [() => cleanUp(accounts, security), ...jobs].map((job) =>
        job().catch((error) => log(`Housekeeping skipped: ${(error as Error).message}`))
      ),
    );
  run();
  const timer = setInterval(run, everyMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
