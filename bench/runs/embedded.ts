/** The app on its embedded stores, with the bench's account registered and logged in through it. */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { bearerFor, Browser } from "../lib/client.ts";
import { type Bench, BenchFailure, progress } from "../lib/measure.ts";
import { type AppProcess, startApp } from "../lib/processes.ts";

/** The account every target uses (bcrypt cost 12, as in production). */
export const ACCOUNT = { email: "bench@example.org", password: "benchmark password 1" };

/**
 * The app's settings. The login limits are raised: an attempt counts against its account and
 * client address while it runs, so more than 5 logins of one account in flight at once (as
 * 10 logins/s of ~300 ms each can be, all from 127.0.0.1) would answer 429 — in production
 * these would be many users from many addresses.
 */
export function appEnv(dir: string): Record<string, string> {
  return {
    DATA_DIR: dir,
    SESSION_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    LOGIN_LIMIT_PER_ACCOUNT: "1000000",
    LOGIN_LIMIT_PER_CLIENT: "1000000",
  };
}

export interface EmbeddedApp extends AppProcess {
  /** Its DATA_DIR (app.db, patients.db). */
  dir: string;
  /** The logged-in browser (its cookies and CSRF token). */
  browser: Browser;
  sessionCookie: string;
  /** The `Authorization` header of an API token. */
  bearer: Record<string, string>;
  userId: number;
}

/** Starts the app on `env`'s DATA_DIR and registers the account through its pages. */
export async function startEmbedded(
  bench: Bench,
  env: Record<string, string>,
): Promise<EmbeddedApp> {
  const dir = env.DATA_DIR!;
  progress(`Starting the app (embedded stores in ${dir})…`);
  const app = await startApp(env);
  bench.children.push(app.child);

  const browser = new Browser(app.child.base);
  const registered = await browser.postForm("/register", {
    name: "Bench",
    email: ACCOUNT.email,
    password: ACCOUNT.password,
    confirm_password: ACCOUNT.password,
  });
  if (registered.status !== 303) throw new BenchFailure(`Register answered ${registered.status}`);
  await browser.page("/patients"); // the session's CSRF token
  const sessionCookie = browser.cookieHeader();
  const bearer = await bearerFor(app.child.base, { ...ACCOUNT, name: "bench" });
  const accountsDb = new DatabaseSync(join(dir, "app.db"), { readOnly: true });
  const userId = (accountsDb.prepare("SELECT id FROM login_data WHERE email = ?").get(
    ACCOUNT.email,
  ) as { id: number }).id;
  accountsDb.close();
  return { ...app, dir, browser, sessionCookie, bearer, userId };
}
