/**
 * The registry a browser page is in: the `registry={rid}` of its address (absent: the user's
 * personal registry), the header's switcher of the user's registries, and links that keep the
 * registry. Pages call `currentRegistry(c)` (404 for a registry the user is not a member of);
 * the page renderer calls `registryNav(c)`, one query per rendered page and none for the API.
 */
import type { Context } from "hono";
import type { RegistryNav } from "../components/Layout.tsx";
import type { RegistryAccess } from "../lib/registry_service.ts";
import type { AppEnv } from "./env.ts";
import { registryAccess, registryCaller } from "./registry_access.ts";

export { type RegistryRef, withRegistry } from "../components/registry_url.ts";

const accessOfRequest = new WeakMap<Context<AppEnv>, Promise<RegistryAccess>>();

/**
 * The caller's access to the registry named by the page's `registry` parameter (their personal
 * registry without one), read from the database once per request. Throws
 * `RegistryNotFoundError` (404) for a registry they are not an active member of.
 */
export function currentRegistry(c: Context<AppEnv>): Promise<RegistryAccess> {
  let access = accessOfRequest.get(c);
  if (!access) {
    access = registryAccess(c);
    accessOfRequest.set(c, access);
  }
  return access;
}

/** Pages whose address makes sense in any registry: switching stays on them. */
const SWITCH_STAYS = new Set([
  "/",
  "/patients",
  "/patients/deleted",
  "/patients/import",
  "/patients/admissions/import",
  "/dashboard",
  "/codebook",
  "/registries",
  "/profile",
  "/admin",
  "/admin/audit",
]);

/**
 * Where the switcher goes: the page itself when it is one of the registry's lists, else the list
 * it belongs to — a record's id, an import's or a registry's page mean something else (or
 * nothing) in another registry, and a form's answer has no address of its own.
 */
export function switchTarget(method: string, path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (method === "GET" && SWITCH_STAYS.has(trimmed)) return trimmed;
  const root = `/${trimmed.split("/")[1] ?? ""}`;
  return SWITCH_STAYS.has(root) && root !== "/" ? root : "/patients";
}

/** A registry's own pages (`/registries/{rid}…`) are in it; any other page names its registry. */
function pageRegistryId(c: Context<AppEnv>): string {
  const own = /^\/registries\/([^/]+)/.exec(c.req.path)?.[1];
  return (own ?? c.req.query("registry") ?? "").trim().toLowerCase();
}

/**
 * The header's switcher for the logged-in user: their registries (personal first) and which one
 * the page is in. One query; null when there is no user or the accounts database cannot answer
 * (the page is shown without the switcher rather than not at all).
 */
export async function registryNav(c: Context<AppEnv>): Promise<RegistryNav | null> {
  if (!c.get("user")) return null;
  try {
    const registries = await c.get("registries").listRegistries(registryCaller(c));
    const wanted = pageRegistryId(c);
    const current = registries.find((r) => wanted === "" ? r.personal : r.id === wanted) ??
      null;
    return {
      registries: registries.map(({ id, name, role, personal }) => ({ id, name, role, personal })),
      current: current?.id ?? null,
      action: switchTarget(c.req.method, c.req.path),
    };
  } catch (error) {
    const { log } = c.get("deps");
    log(`${new Date().toISOString()} ${c.get("requestId")} registry switcher left out: ${error}`);
    return null;
  }
}

/** How many records registry `scope` holds, live and recently deleted (a deletion needs 0). */
export function recordCounter(c: Context<AppEnv>): (scope: number) => Promise<number> {
  const { patients } = c.get("deps").stores;
  return async (scope) => {
    const [live, deleted] = await Promise.all([
      patients.count(scope),
      patients.listDeleted(scope, { page: 1, perPage: 1 }),
    ]);
    return live + deleted.total;
  };
}
