/** What the admin page and the admin API share: the user list with record counts, lock, unlock, end sessions. */
import type { Context } from "hono";
import type { AdminUser } from "../components/AdminPages.tsx";
import { findUserSummary, listUsers, setLocked } from "../db/admin.ts";
import { LockSelfError, NotFoundError } from "../lib/errors.ts";
import type { Paging } from "../lib/query_params.ts";
import type { AppEnv } from "./env.ts";

export async function usersPage(
  c: Context<AppEnv>,
  { page, perPage }: Paging,
): Promise<{ items: AdminUser[]; total: number }> {
  const { stores } = c.get("deps");
  const [users, counts] = await Promise.all([
    listUsers(stores.accounts, { offset: (page - 1) * perPage, limit: perPage }),
    stores.patients.countsByOwner(),
  ]);
  return {
    items: users.items.map((user) => ({ ...user, records: counts.get(user.id) ?? 0 })),
    total: users.total,
  };
}

/** The `{id}` of an admin path as a user id; 404 for anything else. */
export function userIdOf(c: Context): number {
  const text = c.req.param("id") ?? "";
  const id = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError(`There is no user ${text}.`);
  return id;
}

export type AdminAction = "lock" | "unlock" | "end-sessions";

/**
 * Does an admin action to user `id`: a lock also ends every session (and the user's tokens stop
 * working while it lasts). Returns the user after it and how many sessions ended.
 */
export async function applyAdminAction(
  c: Context<AppEnv>,
  id: number,
  action: AdminAction,
): Promise<{ user: AdminUser; ended: number }> {
  const { stores } = c.get("deps");
  if (action === "lock" && id === c.get("user")!.id) throw new LockSelfError();
  const exists = action === "end-sessions"
    ? (await findUserSummary(stores.accounts, id)) !== null
    : await setLocked(stores.accounts, id, action === "lock");
  if (!exists) throw new NotFoundError(`There is no user ${id}.`);
  const ended = action === "unlock" ? 0 : await c.get("sessionStore").deleteUserSessions(id);
  const user = (await findUserSummary(stores.accounts, id))!;
  const records = await stores.patients.count(id);
  return { user: { ...user, records }, ended };
}
