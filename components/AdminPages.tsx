/**
 * `/admin` and `/admin/audit`: the users (created, last login, record count, locked) with lock,
 * unlock and "end sessions", and the whole audit log with filters, pages and a CSV download.
 * Admins see who did what to which record id, and which fields changed — never the values.
 */
import { formatCount } from "../lib/count_format.ts";
import { adminDetails, AUDIT_ACTIONS, type AuditEntry } from "../lib/audit.ts";
import type { AdminUser } from "../lib/accounts/admin.ts";
import { filterFieldsInWords } from "../lib/patient_format.ts";
import type { Paging } from "../lib/query_params.ts";
import { CsrfField, Field, FormAlert, SelectField } from "./Form.tsx";
import { HeaderRow, PageLinks, Time } from "./Paging.tsx";

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
      <div class="table-wrap" tabindex={0} role="region" aria-label="Users">
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
  registry?: string;
  action?: string;
  patient_id?: string;
  from?: string;
  to?: string;
}

/** The filters' fields: name, label and input type. */
const FILTER_FIELDS: [keyof AuditFilterValues, string, string][] = [
  ["user_id", "User ID", "text"],
  ["registry", "Registry ID", "text"],
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

/** Where a view happened, in words. */
const VIEWED_VIA: Record<string, string> = {
  api: "through the API",
  detail: "on its page",
  edit: "in the edit form",
};

/** What an admin may read of an entry's details: counts and field names, never values. */
function detailsText(entry: AuditEntry): string {
  const d = adminDetails(entry.details);
  if (!d) return "";
  if (entry.action === "import") {
    return ["inserted", "updated", "skipped", "errors"].filter((k) => k in d)
      .map((k) => `${d[k]} ${k}`).join(", ") + (d.error ? ` (${d.error})` : "");
  }
  if (typeof d.import === "string") return `from an import, line ${d.line}`;
  if (entry.action === "export") {
    const fields = filterFieldsInWords(Array.isArray(d.filter) ? d.filter.map(String) : []);
    const format = String(d.format ?? "").toUpperCase();
    const deidentified = d.deidentify
      ? `, de-identified${typeof d.k_min === "number" ? ` (groups of at least ${d.k_min})` : ""}`
      : "";
    if (d.of === "admissions") {
      return `${format} of admissions${deidentified}; ${
        fields ? `of the patients filtered by ${fields}` : "of all patients"
      }`;
    }
    return `${format}${deidentified}; ${fields ? `filtered by ${fields}` : "all records"}`;
  }
  if (entry.action === "view") return VIEWED_VIA[String(d.via)] ?? `via ${d.via}`;
  if (entry.action === "password_reset") {
    const how = d.via === "admin_link" ? "with a link an admin made" : "with a link sent by email";
    const count = (n: unknown, one: string) =>
      typeof n === "number" ? `${n} ${one}${n === 1 ? "" : "s"}` : "";
    const ended = [count(d.sessions_ended, "session"), count(d.tokens_revoked, "API token")];
    return `${how}; ${ended[0]} ended, ${ended[1]} revoked`;
  }
  return "";
}

/** A user as the log shows them: "Ann Clinician (1)", or the id alone for an account gone. */
/** A user (by name) or, for a negative number, a team registry ("registry Stroke unit"). */
function Person({ id, names }: { id: number; names: ReadonlyMap<number, string> }) {
  const name = names.get(id);
  if (id < 0) return <>{name ?? `registry ${-id}`}</>;
  return name
    ? (
      <>
        {name} <span class="muted">({id})</span>
      </>
    )
    : <>user {id}</>;
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

function AuditRow({ entry, names }: { entry: AuditEntry; names: ReadonlyMap<number, string> }) {
  return (
    <tr class={`status-${entry.status}`}>
      <td class="when">
        <Time date={entry.at} />
      </td>
      <td class="person">
        <Person id={entry.owner_id} names={names} />
      </td>
      <td class="person">
        {entry.user_id === null ? "the app" : <Person id={entry.user_id} names={names} />}
      </td>
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

/** The log's filters in words: " about the records of Ann (1), action export, from 2026-01-02". */
function filterSentence(values: AuditFilterValues, names: ReadonlyMap<number, string>): string {
  const words: string[] = [];
  const owner = Number(values.user_id);
  if (values.user_id) {
    const name = names.get(owner);
    words.push(` about the records of ${name ? `${name} (${owner})` : `user ${values.user_id}`}`);
  }
  if (values.action) words.push(`action ${values.action}`);
  if (values.patient_id) words.push(`patient ${values.patient_id}`);
  if (values.from) words.push(`from ${values.from}`);
  if (values.to) words.push(`to ${values.to}`);
  if (words.length === 0) return "";
  return words[0]!.startsWith(" about") ? words.join(", ") : ` (${words.join(", ")})`;
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
    /** The names of the users the entries name, by id. */
    names: ReadonlyMap<number, string>;
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
            {formatCount(props.total)} entr{props.total === 1 ? "y" : "ies"}
            {filterSentence(props.values, props.names)}, newest first{" "}
            <a class="button button-small button-secondary" href={`/admin/audit.csv?${csv}`}>
              Download CSV
            </a>
          </p>
          <div class="table-wrap" tabindex={0} role="region" aria-label="Audit log entries">
            <table class="table admin-audit">
              <caption class="visually-hidden">Audit log</caption>
              <thead>
                <HeaderRow labels={AUDIT_HEADINGS} />
              </thead>
              <tbody>
                {props.entries.map((entry) => <AuditRow entry={entry} names={props.names} />)}
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
