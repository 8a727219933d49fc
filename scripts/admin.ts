/**
 * `deno task admin grant|revoke <email>`: makes an account an admin, or no longer one, in the
 * configured accounts database (the same environment variables as the app), and says what it did.
 * `deno task admin reset-link <email>`: prints a single-use password-reset link for the account,
 * for installations that send no email.
 */
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { type AccountsDb, openAccountsDb } from "../db/accounts/database.ts";
import { setAdmin } from "../db/accounts/admin.ts";
import {
  createPasswordReset,
  findPasswordReset,
  RESET_LINK_MS,
} from "../db/accounts/password_resets.ts";
import { findUserByEmail, normalizeEmail } from "../db/accounts/users.ts";

const USAGE = "Usage: deno task admin grant|revoke|reset-link <email>";
const VERBS = new Set(["grant", "revoke", "reset-link"]);

/**
 * Prints a reset link on `out` (alone on its line, for scripts), and what to do with it on `err`.
 * Without `PUBLIC_URL` the app's address is unknown here, so the line is the link's path.
 */
async function resetLink(
  accounts: AccountsDb,
  config: Config,
  email: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const user = await findUserByEmail(accounts, email);
  if (!user) {
    err(`No account has the email ${normalizeEmail(email)} (in ${accounts.description}).`);
    return 1;
  }
  if (user.locked) {
    err(
      `${user.email} is locked: unlock it on /admin first, or the new password would not let them log in.`,
    );
    return 1;
  }
  const reset = await createPasswordReset(accounts, user.email, "admin");
  if (!await findPasswordReset(accounts, reset.token)) {
    err(`${user.email} was locked or removed meanwhile; no link was made.`);
    return 1;
  }
  const path = `/reset-password/${reset.token}`;
  out(config.publicUrl === null ? path : `${config.publicUrl}${path}`);
  if (config.publicUrl === null) {
    err("PUBLIC_URL is not set, so this is the link's path: open it at the app's address.");
  }
  err(
    `A link for ${user.email} (user ${user.id}): it works once, within ${
      RESET_LINK_MS / 60_000
    } minutes (until ${reset.expiresAt.toISOString()}). Give it to them only.`,
  );
  return 0;
}

/** Runs the command; returns the exit code. Lines go to `out` and `err`. */
export async function adminCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const [verb, email, ...rest] = args;
  if (!verb || !VERBS.has(verb) || !email || rest.length > 0) {
    err(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(`Configuration error: ${error.message}`);
    return 1;
  }
  const accounts = openAccountsDb(config.mysql, config.dataDir);
  try {
    if (verb === "reset-link") return await resetLink(accounts, config, email, out, err);
    const result = await setAdmin(accounts, email, verb === "grant");
    if (!result) {
      err(`No account has the email ${email.trim().toLowerCase()} (in ${accounts.description}).`);
      return 1;
    }
    const what = verb === "grant" ? "is now an admin" : "is no longer an admin";
    const already = verb === "grant" ? "was already an admin" : "was not an admin";
    out(`${result.email} (user ${result.id}) ${result.changed ? what : already}.`);
    return 0;
  } catch (error) {
    err(`Could not change the account: ${(error as Error).message}`);
    return 1;
  } finally {
    await accounts.close();
  }
}

if (import.meta.main) {
  Deno.exit(await adminCommand(Deno.args, Deno.env.toObject(), console.log, console.error));
}
