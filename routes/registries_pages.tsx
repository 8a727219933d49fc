/**
 * The registries in the browser, mounted at `/registries`: the list (personal first) and
 * creating one; a registry's page with renaming, members (add, change role, remove), leaving,
 * deleting and the membership changes. Plain forms that work without JavaScript; with htmx the
 * members' forms replace the members' card in place. A non-member gets 404, a member without
 * the right 403 naming the role needed (controls the role may not use are not drawn).
 */
import { type Context, Hono } from "hono";
import { isFragmentRequest } from "../components/htmx.ts";
import { PageNotice } from "../components/PatientFragments.tsx";
import {
  ConfirmRegistryPage,
  HistoryCard,
  memberLabel,
  MembersCard,
  RegistriesPage,
  RegistryPage,
  type RegistryPageProps,
  withArticle,
} from "../components/RegistriesPage.tsx";
import { registryEvents } from "../db/accounts/registries.ts";
import { normalizeEmail, userNames } from "../db/accounts/users.ts";
import {
  AlreadyMemberError,
  InvalidInputError,
  MemberNotFoundError,
  RegistryConflictError,
} from "../lib/errors.ts";
import {
  type MemberView,
  type RegistryAccess,
  requireRight,
  summaryOf,
} from "../lib/registry_service.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash } from "../middleware/session.ts";
import { currentRegistry, recordCounter } from "../http/current_registry.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { appLink } from "../http/links.ts";
import {
  memberNotifier,
  registryAccess,
  registryActor,
  registryCaller,
} from "../http/registry_access.ts";

export const registriesPageRoutes = new Hono<AppEnv>();
registriesPageRoutes.use("*", requireUser());

/** Entries of the membership audit a registry's page shows. */
const HISTORY_LIMIT = 100;

/**
 * Said whenever someone is added: this installation sends no email (`SMTP_URL` is not part of
 * its configuration yet), so the owner tells them. lib/mail.ts's invitation replaces this.
 */
const NO_EMAIL = "No email is sent by this installation: let them know yourself.";

/** The `{rid}` of the path, with the user's access to it (404 for a non-member). */
const pathAccess = (c: Context<AppEnv>) => registryAccess(c, c.req.param("rid") ?? "");

/** Everything a registry's page shows, read now (the members, the changes and their names). */
async function pageProps(
  c: Context<AppEnv>,
  access: RegistryAccess,
  extra: Pick<RegistryPageProps, "errors" | "values" | "focus"> = {},
): Promise<RegistryPageProps> {
  const { accounts } = c.get("deps").stores;
  const registries = c.get("registries");
  const [members, events] = await Promise.all([
    registries.members(access, registryCaller(c)),
    access.personal ? [] : registryEvents(accounts, -access.scope, HISTORY_LIMIT),
  ]);
  const names = await userNames(accounts, [
    ...events.flatMap((e) => [e.actorId, e.memberUserId]).filter((id) => id !== null),
  ]);
  return {
    registry: summaryOf(access, members.length),
    members,
    you: c.get("user")!.id,
    events,
    names,
    csrfToken: csrfToken(c),
    ...extra,
  };
}

/** The registry's page (a refused form comes back on it, with its status and message). */
async function renderRegistry(
  c: Context<AppEnv>,
  access: RegistryAccess,
  extra: Pick<RegistryPageProps, "errors" | "values" | "focus"> = {},
) {
  return c.render(<RegistryPage {...await pageProps(c, access, extra)} />, {
    title: access.name,
  });
}

/** What a members' form came to: a success's message, or what to show at the form. */
type MembersOutcome =
  | { message: string; focus: RegistryPageProps["focus"] }
  | Required<Pick<RegistryPageProps, "errors">> & Pick<RegistryPageProps, "values" | "focus">;

/**
 * The answer to a members' form: with htmx the members' card (and the changes, out of band)
 * with the message; without, the message on the next page (a success) or the page itself with
 * the form's errors (and the status already set).
 */
async function membersAnswer(c: Context<AppEnv>, outcome: MembersOutcome) {
  // Read again: the change may have been the user's own.
  const access = await pathAccess(c);
  const fragment = isFragmentRequest(c);
  if ("message" in outcome) {
    if (!fragment) {
      flash(c, outcome.message);
      return goTo(c, `/registries/${access.registryId}#members`);
    }
    const props = { ...await pageProps(c, access), focus: outcome.focus };
    return c.html(
      <>
        <MembersCard {...props} />
        <HistoryCard events={props.events} names={props.names} oob />
        <PageNotice message={outcome.message} />
      </>,
    );
  }
  if (!fragment) return await renderRegistry(c, access, outcome);
  const props = await pageProps(c, access, outcome);
  return c.html(<MembersCard {...props} />);
}

/**
 * What to tell of a refused change, with its status set: 422 for bad input (each problem), 409
 * for a conflict; any other error is thrown on.
 */
function refusal(c: Context<AppEnv>, error: unknown): string {
  if (error instanceof InvalidInputError) {
    c.status(422);
    return error.errors.map((e) => e.message).join("; ");
  }
  if (error instanceof RegistryConflictError) {
    c.status(409);
    return error.message;
  }
  throw error;
}

/**
 * Sends the browser to `path`: a redirect, or for htmx a full page load (`HX-Redirect`), as
 * when a change means the page's other controls must follow.
 */
function goTo(c: Context<AppEnv>, path: string) {
  if (!isFragmentRequest(c)) return c.redirect(path, 303);
  c.header("HX-Redirect", path);
  return c.body(null, 204);
}

/** A personal registry is nobody else's: it cannot be left or deleted (409). */
function teamOnly(access: RegistryAccess, what: "leave" | "delete"): void {
  if (!access.personal) return;
  throw new RegistryConflictError(
    `Your personal registry cannot be ${
      what === "leave" ? "left" : "deleted"
    }. Create a team registry for records you share.`,
  );
}

/** The user's own membership (its email is how the registry knows them). */
async function myMembership(c: Context<AppEnv>, access: RegistryAccess): Promise<MemberView> {
  const members = await c.get("registries").members(access, registryCaller(c));
  const me = members.find((m) => m.user_id === c.get("user")!.id);
  // Removed between the access check and now: the registry is not theirs any more.
  if (!me) throw new MemberNotFoundError(c.get("user")!.email);
  return me;
}

// The list, and creating a registry.

registriesPageRoutes.get("/", async (c) => {
  const current = await currentRegistry(c);
  const registries = await c.get("registries").listRegistries(registryCaller(c));
  return c.render(
    <RegistriesPage registries={registries} current={current} csrfToken={csrfToken(c)} />,
    { title: "Registries" },
  );
});

registriesPageRoutes.post("/", async (c) => {
  const current = await currentRegistry(c);
  const name = await formText(c, "name");
  try {
    const created = await c.get("registries").create(registryActor(c), name);
    flash(c, `Registry “${created.name}” created. You are its owner: add its members below.`);
    // Its page, which is in it: the header now shows the new registry.
    return c.redirect(`/registries/${created.id}`, 303);
  } catch (error) {
    const message = refusal(c, error);
    const registries = await c.get("registries").listRegistries(registryCaller(c));
    return c.render(
      <RegistriesPage
        registries={registries}
        current={current}
        csrfToken={csrfToken(c)}
        name={name.slice(0, 200)}
        errors={{ name: message }}
      />,
      { title: "Registries" },
    );
  }
});

// One registry.

registriesPageRoutes.get("/:rid", async (c) => {
  return renderRegistry(c, await pathAccess(c));
});

registriesPageRoutes.post("/:rid/rename", async (c) => {
  const access = await pathAccess(c);
  requireRight(access, "rename");
  const name = await formText(c, "name");
  try {
    const renamed = await c.get("registries").rename(access, registryActor(c), name);
    flash(c, `The registry is now called “${renamed.name}”.`);
    return goTo(c, `/registries/${access.registryId}`);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    c.status(422);
    return renderRegistry(c, access, {
      errors: { rename: { name: error.errors.map((e) => e.message).join("; ") } },
      values: { name: name.slice(0, 200) },
    });
  }
});

for (const what of ["leave", "delete"] as const) {
  registriesPageRoutes.get(`/:rid/${what}`, async (c) => {
    const access = await pathAccess(c);
    teamOnly(access, what);
    if (what === "delete") requireRight(access, "delete_registry");
    const [summary, records] = await Promise.all([
      c.get("registries").summary(access),
      what === "delete" ? recordCounter(c)(access.scope) : undefined,
    ]);
    return c.render(
      <ConfirmRegistryPage
        registry={summary}
        csrfToken={csrfToken(c)}
        what={what}
        records={records}
      />,
      { title: what === "leave" ? `Leave ${access.name}` : `Delete ${access.name}` },
    );
  });
}

/** After the user left or deleted a registry: the list, in their personal registry. */
function backToList(c: Context<AppEnv>, message: string) {
  flash(c, message);
  return c.redirect("/registries", 303);
}

registriesPageRoutes.post("/:rid/leave", async (c) => {
  const access = await pathAccess(c);
  teamOnly(access, "leave");
  try {
    const me = await myMembership(c, access);
    await c.get("registries").removeMember(access, registryActor(c), me.email);
  } catch (error) {
    if (!(error instanceof RegistryConflictError)) throw error;
    c.status(409);
    return renderRegistry(c, access, { errors: { leave: error.message } });
  }
  return backToList(c, `You have left “${access.name}”.`);
});

registriesPageRoutes.post("/:rid/delete", async (c) => {
  const access = await pathAccess(c);
  teamOnly(access, "delete");
  requireRight(access, "delete_registry");
  try {
    await c.get("registries").delete(access, registryActor(c), recordCounter(c));
  } catch (error) {
    if (!(error instanceof RegistryConflictError)) throw error;
    c.status(409);
    return renderRegistry(c, access, { errors: { delete: error.message } });
  }
  return backToList(c, `Registry “${access.name}” deleted.`);
});

// Members: add, change role, remove (owners).

registriesPageRoutes.post("/:rid/members", async (c) => {
  const access = await pathAccess(c);
  requireRight(access, "manage_members");
  const email = await formText(c, "email");
  const role = await formText(c, "role");
  const values = { email: email.slice(0, 300), role };
  try {
    const member = await c.get("registries").addMember(
      access,
      registryActor(c),
      { email, role },
      memberNotifier(c),
    );
    const told = c.get("deps").mailer.enabled && appLink(c, "/") !== null
      ? "They are told by email."
      : NO_EMAIL;
    const message = member.status === "invited"
      ? `${member.email} is invited as ${member.role} — they will join when they register with this email. ${told}`
      : `${memberLabel(member)} is now ${withArticle(member.role)} of “${access.name}”. ${told}`;
    return await membersAnswer(c, { message, focus: "add" });
  } catch (error) {
    const add: Record<string, string> = {};
    if (error instanceof InvalidInputError) {
      c.status(422);
      for (const e of error.errors) add[e.field === "role" ? "role" : "email"] = e.message;
    } else if (error instanceof AlreadyMemberError) {
      c.status(409);
      add.email = error.message;
    } else if (error instanceof RegistryConflictError) {
      c.status(409);
      add.form = error.message;
    } else throw error;
    return await membersAnswer(c, { errors: { add }, values });
  }
});

/** The change of one member's role or membership, by the `email` field. */
registriesPageRoutes.post("/:rid/members/:change{role|remove}", async (c) => {
  const access = await pathAccess(c);
  requireRight(access, "manage_members");
  const change = c.req.param("change") as "role" | "remove";
  const email = (await formText(c, "email")).slice(0, 300);
  const registries = c.get("registries");
  const self = c.get("user")!;
  try {
    if (change === "role") {
      const member = await registries.changeRole(
        access,
        registryActor(c),
        email,
        await formText(c, "role"),
      );
      const message = `${memberLabel(member)} is now ${withArticle(member.role)}.`;
      if (member.user_id === self.id) {
        // Their own role changed: the whole page (its other controls) follows.
        flash(c, message);
        return goTo(c, `/registries/${access.registryId}`);
      }
      return await membersAnswer(c, { message, focus: "members" });
    }
    const removed = (await registries.members(access, registryCaller(c)))
      .find((m) => m.email === normalizeEmail(email));
    // Leaving has its own page, which asks first.
    if (removed?.user_id === self.id) {
      return goTo(c, `/registries/${access.registryId}/leave`);
    }
    await registries.removeMember(access, registryActor(c), email);
    const message = removed?.status === "invited"
      ? `The invitation of ${removed.email} is withdrawn.`
      : `${removed ? memberLabel(removed) : email} is no longer a member of “${access.name}”.`;
    return await membersAnswer(c, { message, focus: "members" });
  } catch (error) {
    if (error instanceof MemberNotFoundError) {
      c.status(404);
      return await membersAnswer(c, {
        errors: { members: `${error.message} Someone may have removed it meanwhile.` },
        focus: "members",
      });
    }
    // A conflict: the last owner (LastOwnerError), or a personal registry.
    const message = refusal(c, error);
    return await membersAnswer(c, { errors: { member: { email, message } } });
  }
});
