/**
 * Secrets the app makes once and every instance shares, kept in the accounts database by name:
 * the first instance to need one writes it, a second one racing it loses the insert (the name
 * is the key) and reads the winner's, so all agree on one value for good.
 */
import type { AccountsDb } from "./database.ts";

/**
 * The secret called `name`: the stored one, or `make()` stored now when there is none yet.
 * Two instances asking at once get the same value (an insert that meets the stored name is
 * dropped, then the row is read back).
 */
export function sharedSecret(
  accounts: AccountsDb,
  name: string,
  make: () => string,
): Promise<string> {
  return accounts.run(async (db) => {
    const stored = await db.selectFrom("app_secrets").select("value").where("name", "=", name)
      .executeTakeFirst();
    if (stored) return stored.value;
    // Another instance may write it between the read and here: its row stays, this one is dropped.
    const insert = db.insertInto("app_secrets")
      .values({ name, value: make(), created_at: Date.now() });
    await (accounts.dialect === "mysql"
      ? insert.ignore()
      : insert.onConflict((oc) => oc.column("name").doNothing())).execute();
    const row = await db.selectFrom("app_secrets").select("value").where("name", "=", name)
      .executeTakeFirstOrThrow();
    return row.value;
  });
}
