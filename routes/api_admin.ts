/**
 * `/api/admin`: the users (with record counts, never records), lock, unlock and end sessions,
 * and the whole audit log with filters, as JSON or CSV. Admins only (403 for anyone else).
 */
import { Hono } from "hono";
import { adminAuditItem } from "../lib/audit.ts";
import { parseAuditQuery } from "../lib/audit_query.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { onlyKnown, readPaging } from "../lib/query_params.ts";
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { requireAdmin } from "../middleware/require_admin.ts";
import type { AdminAction, AdminUser } from "../lib/accounts/admin.ts";
import { sendAuditCsv } from "../http/audit_csv.ts";
import { withRegistryFilter } from "../http/audit_registry.ts";
import { adminActionOf } from "../http/admin_action.ts";
import type { AppEnv } from "../http/env.ts";

export const apiAdminRoutes = new Hono<AppEnv>();
apiAdminRoutes.use("*", requireAdmin());

const iso = (date: Date | null) => date?.toISOString() ?? null;

function userJson(user: AdminUser) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    admin: user.admin,
    locked: user.locked,
    locked_at: iso(user.lockedAt),
    created_at: iso(user.createdAt),
    last_login_at: iso(user.lastLoginAt),
    two_factor: user.twoFactor,
    records: user.records,
  };
}

apiAdminRoutes.get("/users", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [];
  onlyKnown(params, ["page", "per_page"], errors);
  const paging = readPaging(params, errors);
  if (errors.length) throw new InvalidQueryError(errors);
  const { items, total } = await c.get("accounts").usersPage(paging);
  return c.json({ items: items.map(userJson), total, page: paging.page, per_page: paging.perPage });
});

for (const action of ["lock", "unlock", "end-sessions"] as const satisfies AdminAction[]) {
  apiAdminRoutes.post(`/users/:id/${action}`, async (c) => {
    const { user, ended } = await adminActionOf(c, action);
    return c.json({ ...userJson(user), sessions_ended: ended });
  });
}

apiAdminRoutes.use("/audit", ownSiteDownloads());
apiAdminRoutes.get("/audit", async (c) => {
  const parsed = parseAuditQuery(new URL(c.req.url).searchParams);
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  const { search, paging, format } = await withRegistryFilter(c, parsed.query);
  if (format === "csv") return sendAuditCsv(c, search);
  const { items, total } = await c.get("deps").stores.patients.audit.search(search, {
    offset: (paging.page - 1) * paging.perPage,
    limit: paging.perPage,
  });
  return c.json({
    items: items.map(adminAuditItem),
    total,
    page: paging.page,
    per_page: paging.perPage,
  });
});
