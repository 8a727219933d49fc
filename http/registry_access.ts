/**
 * The registry a request acts in, for every route that reads or writes records: the
 * `registry={rid}` query parameter (or the one a bound API token acts in), the caller's personal
 * registry without one, and the caller's role there — read from the database on every request.
 */
import type { Context } from "hono";
import { invitationMail } from "../lib/mail_templates.ts";
import type {
  MemberNotice,
  RegistryAccess,
  RegistryActor,
  RegistryCaller,
} from "../lib/registry_service.ts";
import { appLink } from "./links.ts";
import type { AppEnv } from "./env.ts";

/** The logged-in user, and the registry their API token is bound to (if it is). */
export function registryCaller(c: Context<AppEnv>): RegistryCaller {
  return { userId: c.get("user")!.id, boundScope: c.get("tokenRegistryScope") ?? null };
}

/** The caller, and where the request came from (for the membership audit). */
export function registryActor(c: Context<AppEnv>): RegistryActor {
  return {
    ...registryCaller(c),
    client: c.get("clientAddress"),
    requestId: c.get("requestId"),
  };
}

/**
 * The caller's access to `rid` (by default the `registry` query parameter): 404 for a registry
 * they are not a member of. Check a right with `requireRight(access, right)`.
 */
export function registryAccess(
  c: Context<AppEnv>,
  rid: string | undefined = c.req.query("registry"),
): Promise<RegistryAccess> {
  return c.get("registries").resolveAccess(registryCaller(c), rid);
}

/**
 * How an added member is told (the `notify` of `addMember`): an invitation email with a link to
 * the registry, or to registration for an email without an account. Nothing when the
 * installation sends no email or knows no trusted address for links.
 */
export function memberNotifier(c: Context<AppEnv>): (notice: MemberNotice) => Promise<void> {
  return (notice) => {
    const { mailer, log } = c.get("deps");
    const path = notice.member.status === "invited"
      ? "/register"
      : `/patients?registry=${encodeURIComponent(notice.registry.id)}`;
    const link = appLink(c, path);
    if (!mailer.enabled || link === null) return Promise.resolve();
    mailer.sendLater(() =>
      Promise.resolve({
        to: notice.member.email,
        ...invitationMail({
          registryName: notice.registry.name,
          inviterName: notice.addedBy,
          role: notice.member.role,
          link,
        }),
      }), { log, requestId: c.get("requestId"), purpose: "registry invitation" });
    return Promise.resolve();
  };
}
