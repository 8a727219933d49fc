/**
 * `/admin` and `/admin/audit`: the users (created, last login, record count, locked) with lock,
 * unlock and "end sessions", and the whole audit log with filters, pages and a CSV download.
 * Admins see who did what to which record id, and which fields changed — never the values.
 */
import { formatCount } from "../lib/count_format.ts";
import { AUDIT_ACTIONS, type AuditEntry } from "../lib/audit.ts";
import type { Paging } from "../lib/query_params.ts";
import type { UserSummary } from "../db/admin.ts";
import { CsrfField, Field, FormAlert, SelectField } from "./Form.tsx";
import { HeaderRow, PageLinks, Time } from "./Paging.tsx";

/** A user as the list shows them: the account and how many patients they have. */
export type AdminUser = UserSummary & { records: number };

function AdminTabs({ current }: { current: "users" | "audit" }) {
  return (
    <nav class="admin-tabs" aria-label="Administration">
      <a href="/admin" aria-current={current === "users" ? "page" : undefined}>Users</a>
      <a href="/admin/audit" aria-current={current === "audit" ? "page" : undefined}>Audit log</a>
    </nav>
  );
}

const when = (date: Date | null, none: string) => date ? <Time date={date} /> : none;

function ActionButton(
  { user, action, label, csrfToken, danger }: {
    user: AdminUser;
    action: "lock" | "unlock" | "end-sessions";
    label: string;
    csrfToken: string;
    danger?: boolean;
  },
) {
  const url = `/admin/users/${user.id}/${action}`;
  return (
    <form method="post" action={url} hx-post={url} hx-target="closest tr" hx-swap="outerHTML">
      <CsrfField token={csrfToken} />
      <button
        type="submit"
        class={danger ? "button-small button-danger" : "button-small button-secondary"}
        aria-label={`${label}: ${user.email}`}
      >
        {label}
      </button>
    </form>
  );
}

/** One user's row; `self` is the admin looking (who cannot lock themselves out). */
export function AdminUserRow(
  { user, csrfToken, self }: { user: AdminUser; csrfToken: string; self: boolean },
) {
  return (
    <tr id={`user-${user.id}`} class={user.locked ? "locked" : undefined}>
      <th scope="row">{user.id}</th>
      <td>
        {user.name}
        {user.admin && <span class="badge">admin</span>}
      </td>
      <td class="email">{user.email}</td>
      <td>{when(user.createdAt, "before records were kept")}</td>
      <td>{when(user.lastLoginAt, "never")}</td>
      <td class="num">{formatCount(user.records)}</td>
      <td>{user.twoFactor ? "On" : "Off"}</td>
      <td>{user.locked ? <>Locked {when(user.lockedAt, "")}</> : "Active"}</td>
      <td class="row-actions">
        {user.locked
          ? <ActionButton user={user} action="unlock" label="Unlock" csrfToken={csrfToken} />
          : !self && (
            <ActionButton user={user} action="lock" label="Lock" csrfToken={csrfToken} danger />
          )}
        <ActionButton
          user={user}
          action="end-sessions"
          label="End sessions"
          csrfToken={csrfToken}
        />
      </td>
    </tr>
  );
}

export function AdminUsersPage(
  props: {
    users: AdminUser[];
    total: number;
    paging: Paging;
    csrfToken: string;
    selfId: number;
  },
) {
  return (
    <div class="admin-page" hx-history="false">
      <h1>Administration</h1>
      <AdminTabs current="users" />
      <p class="lead">
        Locking an account ends its sessions at once; it cannot log in and its API tokens stop
        working until it is unlocked. Patient records stay private to their owners.
      </p>
      <div class="table-wrap">
        <table class="table admin-users">
          <caption class="visually-hidden">Users</caption>
          <thead>
            <HeaderRow
              labels={[
                "ID",
                "Name",
                "Email",
                "Created",
                "Last login",
                "Records",
                "2FA",
                "Status",
                "",
              ]}
            />
          </thead>
          <tbody>
            {props.users.map((user) => (
              <AdminUserRow
                user={user}
                csrfToken={props.csrfToken}
                self={user.id === props.selfId}
              />
            ))}
          </tbody>
        </table>
      </div>
      <p class="count">{formatCount(props.total)} users</p>
      <PageLinks
        base="/admin"
        query={new URLSearchParams()}
        paging={props.paging}
        total={props.total}
      />
    </div>
  );
}

const ACTION_OPTIONS = AUDIT_ACTIONS.map((action) => ({ value: action, label: action }));

/** The filters as the admin typed them (kept in the form), and the problems found in them. */
export interface AuditFilterValues {
  user_id?: string;
  action?: string;
  patient_id?: string;
  from?: string;
  to?: string;
}

/** The filters' fields: name, label and input type. */
const FILTER_FIELDS: [keyof AuditFilterValues, string, string][] = [
  ["user_id", "User ID", "text"],
  ["action", "Action", "select"],
  ["patient_id", "Patient ID", "text"],
  ["from", "From", "date"],
  ["to", "To", "date"],
];

function AuditFilters(
  { values, errors }: { values: AuditFilterValues; errors: Record<string, string> },
) {
  return (
    <form class="card filters audit-filters" method="get" action="/admin/audit" role="search">
      <div class="filter-grid">
        {FILTER_FIELDS.map(([name, label, type]) =>
          name === "action"
            ? (
              <SelectField
                name={name}
                label={label}
                value={values[name]}
                options={ACTION_OPTIONS}
                placeholder="Any"
                error={errors[name]}
                idPrefix="audit-"
              />
            )
            : (
              <Field
                name={name}
                label={label}
                type={type}
                inputmode={type === "text" ? "numeric" : undefined}
                value={values[name]}
                error={errors[name]}
                idPrefix="audit-"
              />
            )
        )}
      </div>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <a class="button button-secondary" href="/admin/audit">Clear filters</a>
      </div>
    </form>
  );
}

function detailsText(entry: AuditEntry): string {
  const d = entry.details;
  if (!d) return "";
  if (entry.action === "import") {
    return ["inserted", "updated", "skipped", "errors"].filter((k) => k in d)
      .map((k) => `${d[k]} ${k}`).join(", ");
  }
  if (entry.action === "export") {
    const filter = JSON.stringify(d.filter ?? {});
    return `${d.format}${d.deidentify ? ", de-identified" : ""}, filter ${filter}`;
  }
  if (entry.action === "view") return `via ${d.via}`;
  return "";
}

const AUDIT_HEADINGS = [
  "When",
  "Owner",
  "By",
  "Action",
  "Patient",
  "Fields",
  "Details",
  "Reason",
  "Client",
  "Request",
  "Status",
];

function AuditRow({ entry }: { entry: AuditEntry }) {
  return (
    <tr class={`status-${entry.status}`}>
      <td>
        <Time date={entry.at} />
      </td>
      <td class="num">{entry.owner_id}</td>
      <td>{entry.user_id ?? "the app"}</td>
      <td>{entry.action}</td>
      <td class="num">{entry.patient_id ?? ""}</td>
      <td class="wrap">
        {entry.action === "create" ? "every field" : Object.keys(entry.changes).join(", ")}
      </td>
      <td class="wrap">{detailsText(entry)}</td>
      <td class="wrap">{entry.reason ?? ""}</td>
      <td>{entry.client ?? ""}</td>
      <td>
        <code>{entry.request_id ?? ""}</code>
      </td>
      <td>{entry.status}</td>
    </tr>
  );
}

export function AdminAuditPage(
  props: {
    entries: AuditEntry[];
    total: number;
    paging: Paging;
    /** The filters as typed, for the form and the page links. */
    query: URLSearchParams;
    values: AuditFilterValues;
    errors: Record<string, string>;
  },
) {
  const csv = new URLSearchParams(props.query);
  csv.delete("page");
  const hasErrors = Object.keys(props.errors).length > 0;
  return (
    <div class="admin-page" hx-history="false">
      <h1>Administration</h1>
      <AdminTabs current="audit" />
      <AuditFilters values={props.values} errors={props.errors} />
      <FormAlert message={hasErrors ? "Please correct the filters marked above." : undefined} />
      {!hasErrors && (
        <>
          <p class="count">
            {formatCount(props.total)} entr{props.total === 1 ? "y" : "ies"}, newest first{" "}
            <a class="button button-small button-secondary" href={`/admin/audit.csv?${csv}`}>
              Download CSV
            </a>
          </p>
          <div class="table-wrap">
            <table class="table admin-audit">
              <caption class="visually-hidden">Audit log</caption>
              <thead>
                <HeaderRow labels={AUDIT_HEADINGS} />
              </thead>
              <tbody>
                {props.entries.map((entry) => <AuditRow entry={entry} />)}
              </tbody>
            </table>
          </div>
        </>
      )}
      <PageLinks
        base="/admin/audit"
        query={props.query}
        paging={props.paging}
        total={props.total}
      />
    </div>
  );
}
