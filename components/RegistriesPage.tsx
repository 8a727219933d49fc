/**
 * `/registries` and `/registries/{rid}`: the user's registries with their role, creating one, and
 * a team registry's page — rename, members (add, change role, remove), leave, delete, and the
 * membership changes. Controls the user's role may not use are not drawn.
 */
import type { RegistryEvent } from "../db/accounts/registries.ts";
import { formatCount } from "../lib/count_format.ts";
import {
  can,
  type MemberView,
  REGISTRY_LIMITS,
  REGISTRY_ROLES,
  type RegistryRole,
  type RegistrySummary,
} from "../lib/registry_service.ts";
import { type RegistryRef, withRegistry } from "./registry_url.ts";
import {
  Card,
  CsrfField,
  Field,
  FieldError,
  type FieldErrors,
  FormAlert,
  SelectField,
} from "./Form.tsx";
import { Time } from "./Paging.tsx";

/** What each role may do, in words (the SPEC's table). */
export const ROLE_RIGHTS: Record<RegistryRole, string> = {
  owner: "everything an editor may; rename the registry, manage its members, delete it when empty",
  editor:
    "read, search, add, edit, delete and restore records; import; export (plain and de-identified); history; dashboard",
  viewer: "read, search, history and dashboard; de-identified export only",
};

const ROLE_OPTIONS = REGISTRY_ROLES.map((role) => ({ value: role, label: role }));

/** The DOM ids that the htmx answers of the members' forms replace. */
export const REGISTRY_DOM_IDS = { members: "members", history: "registry-history" } as const;

/** How a link stays in this registry. */
function refOf(registry: Pick<RegistrySummary, "id" | "personal">): RegistryRef {
  return { registryId: registry.id, personal: registry.personal };
}

/** "a viewer", "an editor", "an owner". */
export function withArticle(role: RegistryRole): string {
  return `${role === "viewer" ? "a" : "an"} ${role}`;
}

/** A member as a sentence names them: "Bob Lee (bob@example.org)", or the email alone. */
export function memberLabel(member: Pick<MemberView, "name" | "email">): string {
  return member.name ? `${member.name} (${member.email})` : member.email;
}

function RolesExplained() {
  return (
    <details class="role-help">
      <summary>What each role may do</summary>
      <dl>
        {REGISTRY_ROLES.map((role) => (
          <>
            <dt>{role}</dt>
            <dd>{ROLE_RIGHTS[role]}</dd>
          </>
        ))}
      </dl>
    </details>
  );
}

export interface RegistriesPageProps {
  registries: RegistrySummary[];
  /** The registry the page is in (the header's choice), kept by its links. */
  current: RegistryRef;
  csrfToken: string;
  /** The name typed into the create form, when it was refused, and why. */
  name?: string | undefined;
  errors?: FieldErrors | undefined;
}

/** `/registries`: the user's registries (personal first) and the form that creates one. */
export function RegistriesPage(props: RegistriesPageProps) {
  const { registries, current, errors = {} } = props;
  return (
    <div class="registries-page">
      <h1>Registries</h1>
      <p class="lead">
        A registry is a set of patient records. Your personal registry is yours alone; a team
        registry is kept by its members, each with a role.
      </p>
      <div class="table-wrap" tabindex={0} role="region" aria-label="Your registries">
        <table class="table registries">
          <caption class="visually-hidden">Your registries, personal first</caption>
          <thead>
            <tr>
              <th scope="col">Registry</th>
              <th scope="col">Your role</th>
              <th scope="col" class="num">Members</th>
              <th scope="col">Records</th>
            </tr>
          </thead>
          <tbody>
            {registries.map((r) => {
              const here = r.id === current.registryId;
              return (
                <tr aria-current={here ? "true" : undefined} class={here ? "current" : undefined}>
                  <th scope="row">
                    <a href={`/registries/${r.id}`}>{r.name}</a>
                    {here && (
                      <>
                        {" "}
                        <span class="badge badge-current">current</span>
                      </>
                    )}
                  </th>
                  <td>{r.role}</td>
                  <td class="num">{formatCount(r.members)}</td>
                  <td>
                    <a href={withRegistry("/patients", refOf(r))}>
                      Open records<span class="visually-hidden">of {r.name}</span>
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Card title="Create a team registry" id="create">
        <p>
          You become its owner and can then add members by email. Records you add there are the
          team's, never part of your personal registry.
        </p>
        <form
          method="post"
          action={withRegistry("/registries", current)}
          class="inline-form"
          novalidate
        >
          <CsrfField token={props.csrfToken} />
          <Field
            name="name"
            idPrefix="create-"
            label="Name"
            hint="For example the unit or the study"
            value={props.name}
            error={errors.name}
            required
            maxlength={REGISTRY_LIMITS.name.max}
            autofocus={!!errors.name}
          />
          <button type="submit">Create registry</button>
        </form>
      </Card>
    </div>
  );
}

/** What a refused form of the registry page says, and what was typed. */
export interface RegistryPageErrors {
  rename?: FieldErrors | undefined;
  /** The add form's fields (`email`, `role`) and `form` for what belongs to no field. */
  add?: FieldErrors | undefined;
  /** A member row's message, by the member's email. */
  member?: { email: string; message: string } | undefined;
  /** A message above the members (a member who is no longer there). */
  members?: string | undefined;
  leave?: string | undefined;
  delete?: string | undefined;
}

export interface RegistryPageProps {
  registry: RegistrySummary;
  members: MemberView[];
  /** The user looking. */
  you: number;
  events: RegistryEvent[];
  /** The names of the accounts the events name, by id. */
  names: ReadonlyMap<number, string>;
  csrfToken: string;
  errors?: RegistryPageErrors | undefined;
  values?: { name?: string | undefined; email?: string | undefined; role?: string | undefined };
  /**
   * Where the focus goes once an htmx answer replaced the members' card: the add form's email
   * (to add the next one) or the card's heading (the control used is gone).
   */
  focus?: "add" | "members" | undefined;
}

/** The address of one of the registry's actions, in the page's registry. */
function actionUrl(props: Pick<RegistryPageProps, "registry">, action: string) {
  return `/registries/${props.registry.id}/${action}`;
}

/** htmx attributes of a members' form: its answer replaces the members' card. */
const SWAPS_MEMBERS = (url: string) => ({
  "hx-post": url,
  "hx-target": `#${REGISTRY_DOM_IDS.members}`,
  "hx-swap": "outerHTML",
});

function MemberItem(
  { member, props, manage }: { member: MemberView; props: RegistryPageProps; manage: boolean },
) {
  const self = member.user_id === props.you;
  const error = props.errors?.member?.email === member.email
    ? props.errors.member.message
    : undefined;
  const key = member.email.replace(/[^a-z0-9]+/gi, "-");
  const roleId = `role-${key}`;
  const roleUrl = actionUrl(props, "members/role");
  const removeUrl = actionUrl(props, "members/remove");
  return (
    <li class="member" id={`member-${key}`}>
      <p class="member-who">
        {member.name
          ? <strong class="member-name">{member.name}</strong>
          : <span class="member-name muted">Not registered yet</span>}
        {self && (
          <>
            {" "}
            <span class="badge badge-current">you</span>
          </>
        )} <span class="member-email">{member.email}</span>
      </p>
      {manage
        ? (
          <form method="post" action={roleUrl} class="member-role" {...SWAPS_MEMBERS(roleUrl)}>
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="email" value={member.email} />
            <label class="visually-hidden" for={roleId}>Role of {memberLabel(member)}</label>
            <select
              id={roleId}
              name="role"
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? `${roleId}-error` : undefined}
              autofocus={!!error}
            >
              {REGISTRY_ROLES.map((role) => (
                <option value={role} selected={role === member.role}>{role}</option>
              ))}
            </select>
            <button
              type="submit"
              class="button-small button-secondary"
              aria-label={`Change the role of ${memberLabel(member)}`}
            >
              Change
            </button>
            <FieldError id={roleId} error={error} />
          </form>
        )
        : (
          <p class="member-role">
            <span class="visually-hidden">Role:</span> {member.role}
          </p>
        )}
      <p class={`member-status member-${member.status}`}>
        <span class="visually-hidden">Status:</span> {member.status}
      </p>
      {manage && (
        <div class="member-actions">
          {!self && (
            <form method="post" action={removeUrl} {...SWAPS_MEMBERS(removeUrl)}>
              <CsrfField token={props.csrfToken} />
              <input type="hidden" name="email" value={member.email} />
              <button
                type="submit"
                class="button-small button-danger"
                aria-label={`Remove ${memberLabel(member)}`}
              >
                Remove
              </button>
            </form>
          )}
        </div>
      )}
    </li>
  );
}

/** The members' card: the list, and for an owner the role forms and the add form. */
export function MembersCard(props: RegistryPageProps) {
  const access = { role: props.registry.role };
  const manage = !props.registry.personal && can(access, "manage_members");
  const errors = props.errors?.add ?? {};
  const addUrl = actionUrl(props, "members");
  const firstError = ["email", "role"].find((field) => errors[field]);
  const invited = props.members.filter((m) => m.status === "invited").length;
  return (
    <section
      class="card form-card"
      id={REGISTRY_DOM_IDS.members}
      aria-labelledby="members-heading"
    >
      <h2 id="members-heading" tabindex={-1} autofocus={props.focus === "members" || undefined}>
        Members
      </h2>
      <p>
        {formatCount(props.members.length)} member{props.members.length === 1 ? "" : "s"}
        {invited > 0 && `, ${formatCount(invited)} of them invited (not registered yet)`}.
        {manage
          ? " As an owner you add, change and remove members."
          : " Owners add, change and remove members."}
      </p>
      <FormAlert message={props.errors?.members} />
      <div class={manage ? "members-box members-manage" : "members-box"}>
        <div class="member-head" aria-hidden="true">
          <span>Name and email</span>
          <span>Role</span>
          <span>Status</span>
        </div>
        <ul class="member-list" aria-label={`Members of ${props.registry.name}`}>
          {props.members.map((member) => (
            <MemberItem member={member} props={props} manage={manage} />
          ))}
        </ul>
      </div>
      {manage && (
        <form
          method="post"
          action={addUrl}
          class="add-member"
          novalidate
          {...SWAPS_MEMBERS(addUrl)}
        >
          <h3>Add a member</h3>
          <p class="hint">
            Someone with an account joins at once; an email without one is invited and joins when it
            registers.
          </p>
          <FormAlert message={errors.form} />
          <div class="inline-form">
            <CsrfField token={props.csrfToken} />
            <Field
              name="email"
              idPrefix="add-"
              label="Email"
              type="email"
              value={props.values?.email}
              error={errors.email}
              autocomplete="off"
              required
              maxlength={REGISTRY_LIMITS.email}
              autofocus={firstError === "email" || (!firstError && props.focus === "add")}
            />
            <SelectField
              name="role"
              idPrefix="add-"
              label="Role"
              value={props.values?.role ?? "viewer"}
              options={ROLE_OPTIONS}
              error={errors.role}
              autofocus={firstError === "role"}
            />
            <button type="submit">Add member</button>
          </div>
          <RolesExplained />
        </form>
      )}
    </section>
  );
}

/** One membership change as a sentence: who did what to whom, with which role. */
export function eventSentence(event: RegistryEvent, names: ReadonlyMap<number, string>): string {
  const person = (id: number | null, email?: string | null) => {
    const name = id === null ? undefined : names.get(id);
    if (name && email) return `${name} (${email})`;
    return name ?? email ?? "an account since deleted";
  };
  const actor = person(event.actorId);
  const member = person(event.memberUserId, event.memberEmail);
  const after = event.roleAfter ?? "";
  const before = event.roleBefore ?? "";
  const detail = (key: string) => {
    const value = event.details?.[key];
    return typeof value === "string" ? value : "";
  };
  switch (event.action) {
    case "create":
      return `${actor} created the registry “${detail("name")}” and became its owner.`;
    case "rename":
      return `${actor} renamed the registry from “${detail("before")}” to “${detail("after")}”.`;
    case "delete":
      return `${actor} deleted the registry.`;
    case "add":
      return `${actor} added ${member} as ${after}.`;
    case "invite":
      return `${actor} invited ${member} as ${after}.`;
    case "accept":
      return `${member} registered and joined as ${after} (invited before).`;
    case "role":
      return `${actor} changed the role of ${member} from ${before} to ${after}.`;
    case "remove":
      return `${actor} removed ${member} (${before}).`;
    case "leave":
      return `${member} left the registry (${before}).`;
  }
}

/** The membership changes, newest first (the latest 100). */
export function HistoryCard(
  { events, names, oob }: {
    events: RegistryEvent[];
    names: ReadonlyMap<number, string>;
    oob?: boolean;
  },
) {
  return (
    <section
      class="card form-card"
      id={REGISTRY_DOM_IDS.history}
      aria-labelledby="history-heading"
      hx-swap-oob={oob ? "true" : undefined}
    >
      <h2 id="history-heading">Membership changes</h2>
      <p>Who added, invited, changed or removed whom, newest first (the latest 100).</p>
      {events.length === 0
        ? <p class="muted">No changes yet.</p>
        : (
          <ol class="plain-list registry-history">
            {events.map((event) => (
              <li>
                <Time date={event.at} /> <span>{eventSentence(event, names)}</span>
              </li>
            ))}
          </ol>
        )}
    </section>
  );
}

/** `/registries/{rid}`: one registry, with what the user's role may do there. */
export function RegistryPage(props: RegistryPageProps) {
  const { registry, errors = {} } = props;
  const access = { role: registry.role };
  const back = withRegistry("/registries", refOf(registry));
  const records = withRegistry("/patients", {
    registryId: registry.id,
    personal: registry.personal,
  });
  if (registry.personal) {
    return (
      <div class="registry-page">
        <p class="back">
          <a href={back}>← Your registries</a>
        </p>
        <h1>{registry.name}</h1>
        <p class="lead">
          Your personal registry holds the records only you see. It cannot be renamed, shared or
          deleted: create a team registry to keep records with others.
        </p>
        <p class="actions">
          <a class="button" href={records}>Open your records</a>
        </p>
      </div>
    );
  }
  const renameError = errors.rename?.name;
  return (
    <div class="registry-page">
      <p class="back">
        <a href={back}>← Your registries</a>
      </p>
      <div class="page-heading">
        <h1>{registry.name}</h1>
        <p class="actions">
          <a class="button" href={records}>Open its records</a>
        </p>
      </div>
      <p class="lead">
        Your role here is <strong>{registry.role}</strong>: {ROLE_RIGHTS[registry.role]}.
      </p>

      {can(access, "rename") && (
        <Card title="Name" id="rename">
          <form method="post" action={actionUrl(props, "rename")} class="inline-form" novalidate>
            <CsrfField token={props.csrfToken} />
            <Field
              name="name"
              idPrefix="rename-"
              label="Registry name"
              value={props.values?.name ?? registry.name}
              error={renameError}
              required
              maxlength={REGISTRY_LIMITS.name.max}
              autofocus={!!renameError}
            />
            <button type="submit">Rename</button>
          </form>
        </Card>
      )}

      <MembersCard {...props} />

      <HistoryCard events={props.events} names={props.names} />

      <div class="grid-2">
        <Card title="Leave this registry" id="leave">
          <p>
            You lose access to its records at once; an owner can add you again. The last owner
            cannot leave: make another member owner first.
          </p>
          <FormAlert message={errors.leave} />
          <p class="actions">
            <a
              class="button button-secondary"
              href={actionUrl(props, "leave")}
              autofocus={errors.leave ? true : undefined}
            >
              Leave “{registry.name}”…
            </a>
          </p>
        </Card>
        {can(access, "delete_registry") && (
          <Card title="Delete this registry" id="delete">
            <p>
              Only an empty registry can be deleted (no records, none recently deleted). Its members
              lose it at once.
            </p>
            <FormAlert message={errors.delete} />
            <p class="actions">
              <a
                class="button button-danger"
                href={actionUrl(props, "delete")}
                autofocus={errors.delete ? true : undefined}
              >
                Delete “{registry.name}”…
              </a>
            </p>
          </Card>
        )}
      </div>
    </div>
  );
}

/** Asks before the user leaves, or an owner deletes, a registry. */
export function ConfirmRegistryPage(
  props: {
    registry: RegistrySummary;
    csrfToken: string;
    what: "leave" | "delete";
    /** Before a deletion: how many records (live and recently deleted) it holds now. */
    records?: number | undefined;
  },
) {
  const { registry, what } = props;
  const back = `/registries/${registry.id}`;
  const records = what === "delete" ? props.records ?? 0 : 0;
  if (records > 0) {
    return (
      <div class="registry-page">
        <p class="back">
          <a href={back}>← {registry.name}</a>
        </p>
        <h1>“{registry.name}” cannot be deleted yet</h1>
        <p class="lead">
          It holds {formatCount(records)} record{records === 1 ? "" : "s"}{" "}
          (counting those recently deleted): only an empty registry can be deleted. Delete or move
          its records first; recently deleted ones leave for good after the retention period.
        </p>
        <p class="actions">
          <a class="button" href={withRegistry("/patients", refOf(registry))} autofocus>
            Open its records
          </a>
          <a class="button button-secondary" href={back}>Back to “{registry.name}”</a>
        </p>
      </div>
    );
  }
  return (
    <div class="registry-page">
      <p class="back">
        <a href={back}>← {registry.name}</a>
      </p>
      {what === "leave"
        ? (
          <>
            <h1>Leave “{registry.name}”?</h1>
            <p class="lead">
              You will no longer see its records or its members. An owner can add you again.
            </p>
          </>
        )
        : (
          <>
            <h1>Delete “{registry.name}”?</h1>
            <p class="lead">
              It is removed for its {formatCount(registry.members)}{" "}
              member{registry.members === 1 ? "" : "s"}{" "}
              at once, with its invitations and the API tokens made for it. Only an empty registry
              can be deleted.
            </p>
          </>
        )}
      <form method="post" action={actionUrl(props, what)} class="actions">
        <CsrfField token={props.csrfToken} />
        <button type="submit" class="button-danger" autofocus>
          {what === "leave" ? `Leave “${registry.name}”` : `Delete “${registry.name}”`}
        </button>
        <a class="button button-secondary" href={back}>Cancel</a>
      </form>
    </div>
  );
}
