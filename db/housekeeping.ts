/**
 * Periodic clean-up: expired sessions, old login failures and reset requests, expired
 * password-reset links and uploads older than a day in the accounts database, and whatever other jobs the app adds (the patient database's purge of old
 * deleted records).
 */
import type { SecurityConfig } from "../config.ts";
import type { AccountsDb } from "./accounts/database.ts";
import { deleteOldImports } from "./accounts/imports.ts";
import { deleteOldFailures, deleteOldResetRequests } from "./accounts/login_throttle.ts";
import { deleteExpiredPasswordResets } from "./accounts/password_resets.ts";
import { DatabaseSessionStore } from "./accounts/sessions.ts";

/** How long an upload (or an import's report) is kept after it was last touched. */
export const IMPORT_KEPT_MS = 86_400_000;

/** Runs one clean-up; returns what it removed. */
export async function cleanUp(
  accounts: AccountsDb,
  security: SecurityConfig,
  now = Date.now(),
): Promise<{ sessions: number; failures: number; imports: number; passwordResets: number }> {
  const store = new DatabaseSessionStore(accounts, {
    idleMs: security.sessionIdleMs,
    absoluteMs: security.sessionAbsoluteMs,
  });
  return {
    sessions: await store.deleteExpired(),
    failures: await deleteOldFailures(accounts, security.throttle) +
      await deleteOldResetRequests(accounts, security.resetThrottle),
    imports: await deleteOldImports(accounts, now - IMPORT_KEPT_MS),
    passwordResets: await deleteExpiredPasswordResets(accounts, now),
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
