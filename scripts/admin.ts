/**
 * `deno task admin grant|revoke <email>`: makes an account an admin, or no longer one, in the
 * configured accounts database (the same environment variables as the app), and says what it did.
 */
import { ConfigError, loadConfig } from "../config.ts";
import { openAccountsDb } from "../db/accounts_db.ts";
import { setAdmin } from "../db/admin.ts";

const USAGE = "Usage: deno task admin grant|revoke <email>";

/** Runs the command; returns the exit code. Lines go to `out` and `err`. */
export async function adminCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const [verb, email, ...rest] = args;
  if ((verb !== "grant" && verb !== "revoke") || !email || rest.length > 0) {
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
