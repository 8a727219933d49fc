/** `/admin`: the users (lock, unlock, end sessions) and the audit log (filters, pages, CSV). Admins only. */
import { type Context, Hono } from "hono";
import {
  AdminAuditPage,
  AdminUserRow,
  AdminUsersPage,
  type AuditFilterValues,
} from "../components/AdminPages.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import { PageNotice } from "../components/PatientFragments.tsx";
import { parseAuditQuery } from "../lib/audit_query.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { readPaging } from "../lib/query_params.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireAdmin } from "../middleware/require_admin.ts";
import { flash } from "../middleware/session.ts";
import { type AdminAction, applyAdminAction, userIdOf, usersPage } from "./admin_actions.ts";
import { sendAuditCsv } from "./api_admin.ts";
import type { AppEnv } from "./env.ts";

export const adminRoutes = new Hono<AppEnv>();
adminRoutes.use("/admin", requireAdmin());
adminRoutes.use("/admin/*", requireAdmin());

adminRoutes.get("/admin", async (c) => {
  const errors: FieldError[] = [];
  const paging = readPaging(new URL(c.req.url).searchParams, errors, true);
  if (errors.length) throw new InvalidQueryError(errors);
  const { items, total } = await usersPage(c, paging);
  return c.render(
    <AdminUsersPage
      users={items}
      total={total}
      paging={paging}
      csrfToken={csrfToken(c)}
      selfId={c.get("user")!.id}
    />,
    { title: "Administration" },
  );
});

const DONE: Record<AdminAction, (email: string, ended: number) => string> = {
  lock: (email, ended) => `${email} is locked; ${ended} session${ended === 1 ? "" : "s"} ended.`,
  unlock: (email) => `${email} is unlocked.`,
  "end-sessions": (email, ended) => `${ended} session${ended === 1 ? "" : "s"} of ${email} ended.`,
};

for (const action of ["lock", "unlock", "end-sessions"] as const) {
  adminRoutes.post(`/admin/users/:id/${action}`, async (c) => {
    const { user, ended } = await applyAdminAction(c, userIdOf(c), action);
    const message = DONE[action](user.email, ended);
    if (!isFragmentRequest(c)) {
      flash(c, message);
      return c.redirect("/admin", 303);
    }
    return c.html(
      <>
        <AdminUserRow user={user} csrfToken={csrfToken(c)} self={user.id === c.get("user")!.id} />
        <PageNotice message={message} />
      </>,
    );
  });
}

/** The audit query of the page (empty fields mean "any"); 400 when it cannot be read. */
function auditQueryOf(c: Context<AppEnv>) {
  const params = new URL(c.req.url).searchParams;
  return { params, parsed: parseAuditQuery(params, { emptyMeansAbsent: true }) };
}

adminRoutes.get("/admin/audit", async (c) => {
  const { params, parsed } = auditQueryOf(c);
  const values: AuditFilterValues = {};
  for (const name of ["user_id", "action", "patient_id", "from", "to"] as const) {
    const value = params.get(name);
    if (value) values[name] = value;
  }
  const query = new URLSearchParams(Object.entries(values));
  const errors = parsed.ok
    ? {}
    : Object.fromEntries(parsed.errors.map((e) => [e.field, e.message]));
  const paging = parsed.ok ? parsed.query.paging : { page: 1, perPage: 50 };
  const { items, total } = parsed.ok
    ? await c.get("deps").stores.patients.audit.search(parsed.query.search, {
      offset: (paging.page - 1) * paging.perPage,
      limit: paging.perPage,
    })
    : { items: [], total: 0 };
  if (!parsed.ok) c.status(400);
  return c.render(
    <AdminAuditPage
      entries={items}
      total={total}
      paging={paging}
      query={query}
      values={values}
      errors={errors}
    />,
    { title: "Audit log" },
  );
});

adminRoutes.get("/admin/audit.csv", (c) => {
  const { parsed } = auditQueryOf(c);
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  return sendAuditCsv(c, parsed.query.search);
});
