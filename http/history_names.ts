/**
 * A record's history names who did what: in a team registry several members change the same
 * records, so each entry carries its author's name (one query for the whole history).
 */
import type { Context } from "hono";
import { userNames } from "../db/accounts/users.ts";
import type { AuditEntry, NamedEntry } from "../lib/audit.ts";
import type { AppEnv } from "./env.ts";

export async function withNames(
  c: Context<AppEnv>,
  entries: readonly AuditEntry[],
): Promise<NamedEntry[]> {
  const ids = entries.flatMap((e) => e.user_id === null ? [] : [e.user_id]);
  const names = await userNames(c.get("deps").stores.accounts, ids);
  return entries.map((e) => ({
    ...e,
    user_name: e.user_id === null ? null : names.get(e.user_id) ?? null,
  }));
}
