/**
 * `/api/admin`: the users (with record counts, never records), lock, unlock and end sessions,
 * and the whole audit log with filters, as JSON or CSV. Admins only (403 for anyone else).
 */
import { type Context, Hono } from "hono";
import {
  ADMIN_AUDIT_COLUMNS,
  adminAuditCells,
  adminAuditItem,
  type AuditSearch,
} from "../lib/audit.ts";
import { parseAuditQuery } from "../lib/audit_query.ts";
import { csvLine } from "../lib/csv_rows.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { onlyKnown, readPaging } from "../lib/query_params.ts";
import { requireAdmin } from "../middleware/require_admin.ts";
import type { AdminUser } from "../components/AdminPages.tsx";
import { type AdminAction, applyAdminAction, userIdOf, usersPage } from "./admin_actions.ts";
import type { AppEnv } from "./env.ts";

export const apiAdminRoutes = new Hono<AppEnv>();
apiAdminRoutes.use("/api/admin/*", requireAdmin());

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

apiAdminRoutes.get("/api/admin/users", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [];
  onlyKnown(params, ["page", "per_page"], errors);
  const paging = readPaging(params, errors);
  if (errors.length) throw new InvalidQueryError(errors);
  const { items, total } = await usersPage(c, paging);
  return c.json({ items: items.map(userJson), total, page: paging.page, per_page: paging.perPage });
});

for (const action of ["lock", "unlock", "end-sessions"] as const satisfies AdminAction[]) {
  apiAdminRoutes.post(`/api/admin/users/:id/${action}`, async (c) => {
    const { user, ended } = await applyAdminAction(c, userIdOf(c), action);
    return c.json({ ...userJson(user), sessions_ended: ended });
  });
}

/** Streams the matching entries as CSV, newest first (admins' view: no values). */
export function sendAuditCsv(c: Context<AppEnv>, search: AuditSearch): Response {
  const entries = c.get("deps").stores.patients.audit.stream(search);
  async function* lines() {
    yield csvLine(ADMIN_AUDIT_COLUMNS);
    for await (const entry of entries) yield csvLine(adminAuditCells(adminAuditItem(entry)));
  }
  const date = new Date().toISOString().slice(0, 10);
  c.header("Content-Disposition", `attachment; filename="audit-log-${date}.csv"`);
  c.header("Content-Type", "text/csv; charset=utf-8");
  return c.body(ReadableStream.from(lines()).pipeThrough(new TextEncoderStream()), 200);
}

apiAdminRoutes.get("/api/admin/audit", async (c) => {
  const parsed = parseAuditQuery(new URL(c.req.url).searchParams);
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  const { search, paging, format } = parsed.query;
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
