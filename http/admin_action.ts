/** An admin's action as a request names it: on the user of the path, by the logged-in admin. */
import type { Context } from "hono";
import type { AdminAction, AdminUser } from "../lib/accounts/admin.ts";
import type { AppEnv } from "./env.ts";
import { pathId, USER_ID } from "./path_id.ts";

/** Does `action` to the path's user; returns the user after it and how many sessions ended. */
export function adminActionOf(
  c: Context<AppEnv>,
  action: AdminAction,
): Promise<{ user: AdminUser; ended: number }> {
  return c.get("accounts").applyAdminAction({
    action,
    userId: pathId(c, USER_ID),
    adminId: c.get("user")!.id,
    sessions: c.get("sessionStore"),
  });
}
