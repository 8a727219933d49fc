/** The admins' use-cases: the user list with record counts, and lock, unlock and end sessions. */
import type { AccountsDb } from "../../db/accounts/database.ts";
import {
  findUserSummary,
  listUsers,
  setLocked,
  type UserSummary,
} from "../../db/accounts/admin.ts";
import { LockSelfError, NotFoundError } from "../errors.ts";
import type { PatientStore } from "../patient_store.ts";
import type { Paging } from "../query_params.ts";

/** What the admins' use-cases need. */
export interface AdminDeps {
  accounts: AccountsDb;
  patients: Pick<PatientStore, "count" | "countsByOwner">;
}

/** A user as the admins see them: the account (no password hash) and how many patients it has. */
export type AdminUser = UserSummary & { records: number };

export type AdminAction = "lock" | "unlock" | "end-sessions";

/** Where a user's sessions are ended (the session store). */
export interface SessionEnder {
  deleteUserSessions(userId: number): Promise<number>;
}

/** One page of the users, with how many patients each has. */
export async function usersPage(
  deps: AdminDeps,
  { page, perPage }: Paging,
): Promise<{ items: AdminUser[]; total: number }> {
  const [users, counts] = await Promise.all([
    listUsers(deps.accounts, { offset: (page - 1) * perPage, limit: perPage }),
    deps.patients.countsByOwner(),
  ]);
  return {
    items: users.items.map((user) => ({ ...user, records: counts.get(user.id) ?? 0 })),
    total: users.total,
  };
}

/**
 * Admin `adminId` does `action` to user `userId`: a lock also ends every session (and the user's
 * tokens stop working while it lasts). Returns the user after it and how many sessions ended.
 */
export async function applyAdminAction(
  deps: AdminDeps,
  request: { action: AdminAction; userId: number; adminId: number; sessions: SessionEnder },
): Promise<{ user: AdminUser; ended: number }> {
  const { action, userId: id, adminId, sessions } = request;
  if (action === "lock" && id === adminId) throw new LockSelfError();
  const exists = action === "end-sessions"
    ? (await findUserSummary(deps.accounts, id)) !== null
    : await setLocked(deps.accounts, id, action === "lock");
  if (!exists) throw new NotFoundError(`There is no user ${id}.`);
  const ended = action === "unlock" ? 0 : await sessions.deleteUserSessions(id);
  const user = (await findUserSummary(deps.accounts, id))!;
  const records = await deps.patients.count(id);
  return { user: { ...user, records }, ended };
}
