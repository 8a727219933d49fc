/**
 * The admins' audit log by registry: every entry's `owner_id` is the number of the registry its
 * records are in (a user's id for their personal registry, negative for a team's). The filter
 * takes a registry's id; the page shows team registries by name (never their records).
 */
import type { Context } from "hono";
import { registryNames, registryNumberOf } from "../db/accounts/registries.ts";
import type { AuditQuery } from "../lib/audit_query.ts";
import { InvalidQueryError } from "../lib/errors.ts";
import type { AppEnv } from "./env.ts";

/** `query` with its `registry` turned into the owner filter; 400 for an id that names none. */
export async function withRegistryFilter(
  c: Context<AppEnv>,
  query: AuditQuery,
): Promise<AuditQuery> {
  if (query.registry === undefined) return query;
  const personal = /^p(\d{1,10})$/.exec(query.registry);
  const number = personal
    ? Number(personal[1])
    : await registryNumberOf(c.get("deps").stores.accounts, query.registry);
  if (number === null || number === 0) {
    throw new InvalidQueryError([{ field: "registry", message: "There is no such registry" }]);
  }
  return { ...query, search: { ...query.search, ownerId: number } };
}

/** Team registries' names by number, as "registry <name>", for the entries shown. */
export async function registryLabels(
  c: Context<AppEnv>,
  owners: readonly number[],
): Promise<Map<number, string>> {
  const names = await registryNames(c.get("deps").stores.accounts, owners);
  return new Map([...names].map(([number, name]) => [number, `registry ${name}`]));
}
