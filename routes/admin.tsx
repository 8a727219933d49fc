/** `/admin`: the users (lock, unlock, end sessions) and the audit log (filters, pages, CSV). Admins only. */
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { registryLabels, withRegistryFilter } from "../http/audit_registry.ts";
import { type Context, Hono } from "hono";
import {
  AdminAuditPage,
  AdminUserRow,
  AdminUsersPage,
  type AuditFilterValues,
} from "../components/AdminPages.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import { PageNotice } from "../components/PatientFragments.tsx";
import { userNames } from "../db/accounts/users.ts";
import { parseAuditQuery } from "../lib/audit_query.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { readPaging } from "../lib/query_params.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireAdmin } from "../middleware/require_admin.ts";
import { flash } from "../middleware/session.ts";
import type { AdminAction } from "../lib/accounts/admin.ts";
import { sendAuditCsv } from "../http/audit_csv.ts";
import { adminActionOf } from "../http/admin_action.ts";
import type { AppEnv } from "../http/env.ts";

export const adminRoutes = new Hono<AppEnv>();
adminRoutes.use("*", requireAdmin());

adminRoutes.get("/", async (c) => {
  const errors: FieldError[] = [];
  const paging = readPaging(new URL(c.req.url).searchParams, errors, true);
  if (errors.length) throw new InvalidQueryError(errors);
  const { items, total } = await c.get("accounts").usersPage(paging);
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
  adminRoutes.post(`/users/:id/${action}`, async (c) => {
    const { user, ended } = await adminActionOf(c, action);
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

adminRoutes.get("/audit", async (c) => {
  const { params, parsed } = auditQueryOf(c);
  const values: AuditFilterValues = {};
  for (const name of ["user_id", "registry", "action", "patient_id", "from", "to"] as const) {
    const value = params.get(name);
    if (value) values[name] = value;
  }
  const query = new URLSearchParams(Object.entries(values));
  const errors = parsed.ok
    ? {}
    : Object.fromEntries(parsed.errors.map((e) => [e.field, e.message]));
  const paging = parsed.ok ? parsed.query.paging : { page: 1, perPage: 50 };
  const search = parsed.ok ? (await withRegistryFilter(c, parsed.query)).search : {};
  const { items, total } = parsed.ok
    ? await c.get("deps").stores.patients.audit.search(search, {
      offset: (paging.page - 1) * paging.perPage,
      limit: paging.perPage,
    })
    : { items: [], total: 0 };
  if (!parsed.ok) c.status(400);
  const registries = await registryLabels(c, items.map((entry) => entry.owner_id));
  const people = await userNames(
    c.get("deps").stores.accounts,
    [
      ...(parsed.ok && parsed.query.search.ownerId ? [parsed.query.search.ownerId] : []),
      ...items.flatMap((
        entry,
      ) => [entry.owner_id, ...(entry.user_id === null ? [] : [entry.user_id])]),
    ],
  );
  return c.render(
    <AdminAuditPage
      entries={items}
      total={total}
      paging={paging}
      query={query}
      values={values}
      errors={errors}
      names={new Map([...people, ...registries])}
    />,
    { title: "Audit log" },
  );
});

adminRoutes.use("/audit.csv", ownSiteDownloads());
adminRoutes.get("/audit.csv", async (c) => {
  const { parsed } = auditQueryOf(c);
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  return sendAuditCsv(c, (await withRegistryFilter(c, parsed.query)).search);
});
