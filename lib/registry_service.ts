/**
 * Registries: who may do what with which set of records. Every account has a personal registry
 * (its own records: number = the user's id, id `p<user id>`); team registries (number =
 * −`registries.id`, id `t` + 16 base32 characters) have members with a role each. The role's
 * rights are one table, `RIGHTS`; `resolveAccess` reads the caller's role from the database on
 * every call (no cache), so a removal or a lower role applies to the very next request of every
 * session, token and app instance.
 */
import { randomBytes } from "node:crypto";
import {
  acceptInvitations as acceptStoredInvitations,
  addMember as addStoredMember,
  type ChangeContext,
  changeMemberRole,
  countMembers,
  createRegistry,
  deleteRegistry,
  type Membership,
  membershipById,
  membershipByPublicId,
  membershipsOf,
  membersOf,
  type RegistryMember,
  removeMember as removeStoredMember,
  renameRegistry,
  soleOwnerships,
  type TeamRegistry,
} from "../db/accounts/registries.ts";
import type { AccountsDb } from "../db/accounts/database.ts";
import { findUserByEmail, findUserById, normalizeEmail } from "../db/accounts/users.ts";
import { emailProblem } from "./account_rules.ts";
import {
  InvalidInputError,
  RegistryConflictError,
  RegistryNotFoundError,
  type RegistryRole,
  TokenBoundError,
} from "./errors.ts";
import {
  PERSONAL_REGISTRY_NAME,
  REGISTRY_ROLES,
  type RegistryAccess,
  requireRight,
} from "./registry_rights.ts";
import { base32Encode } from "./totp.ts";

export type { RegistryMember, RegistryRole };
export {
  can,
  PERSONAL_REGISTRY_NAME,
  REGISTRY_ROLES,
  type RegistryAccess,
  type RegistryRight,
  requireRight,
  RIGHT_NAMES,
  RIGHTS,
  roleNeeded,
} from "./registry_rights.ts";

/** Limits of what a user controls. */
export const REGISTRY_LIMITS = {
  /** Characters of a registry's name (trimmed). */
  name: { min: 1, max: 100 },
  /** Members and invitations of one registry. */
  members: 500,
  /** Team registries one user has created and not deleted. */
  createdPerUser: 100,
  /** Characters of a member's email. */
  email: 254,
} as const;

/** One of the caller's registries, as `GET /api/registries` lists it. */
export interface RegistrySummary {
  id: string;
  name: string;
  role: RegistryRole;
  personal: boolean;
  /** Members and invitations (1 for a personal registry). */
  members: number;
}

/** Who asks: the user, and the registry their API token is bound to (its number), if any. */
export interface RegistryCaller {
  userId: number;
  /** Set for a registry-bound token: the number of the one registry it acts in. */
  boundScope?: number | null | undefined;
}

/** Who changes something, and from where (kept with the membership audit). */
export type RegistryActor = RegistryCaller & Omit<ChangeContext, "userId">;

/** A member as the API shows it. */
export interface MemberView {
  user_id?: number;
  name?: string;
  email: string;
  role: RegistryRole;
  status: "active" | "invited";
}

/** What the mail helper is told when someone is added to a registry. */
export interface MemberNotice {
  registry: { id: string; name: string };
  member: MemberView;
  /** The name of the owner who added them. */
  addedBy: string;
}

/** The personal registry's id of a user. */
export function personalRegistryId(userId: number): string {
  return `p${userId}`;
}

const TEAM_ID = /^t[a-z2-7]{16}$/;
const PERSONAL_ID = /^p[1-9]\d{0,15}$/;

/** A new team registry id: `t` and 80 random bits in lower-case base32. */
export function newTeamRegistryId(): string {
  return `t${base32Encode(randomBytes(10)).toLowerCase()}`;
}

const CONTROL = /\p{Cc}/u;

/** A registry's name, trimmed; throws `InvalidInputError` (field `name`) when it breaks the rules. */
export function parseRegistryName(value: unknown): string {
  const problem = (message: string) => new InvalidInputError([{ field: "name", message }]);
  if (typeof value !== "string") throw problem("The name is text");
  const name = value.trim();
  const { min, max } = REGISTRY_LIMITS.name;
  const length = [...name].length;
  if (length < min) throw problem("Give the registry a name");
  if (length > max) throw problem(`Use at most ${max} characters`);
  if (CONTROL.test(name)) throw problem("Use no line breaks or control characters");
  return name;
}

/** A role; throws `InvalidInputError` (field `role`) for anything else. */
export function parseRole(value: unknown): RegistryRole {
  if (typeof value === "string" && (REGISTRY_ROLES as readonly string[]).includes(value)) {
    return value as RegistryRole;
  }
  throw new InvalidInputError([{
    field: "role",
    message: `Choose one of ${REGISTRY_ROLES.join(", ")}`,
  }]);
}

/** A member's email, trimmed and lower-cased; throws `InvalidInputError` (field `email`). */
export function parseMemberEmail(value: unknown): string {
  const problem = (message: string) => new InvalidInputError([{ field: "email", message }]);
  if (typeof value !== "string") throw problem("The email is text");
  const email = normalizeEmail(value);
  if (email.length > REGISTRY_LIMITS.email) {
    throw problem(`Use at most ${REGISTRY_LIMITS.email} characters`);
  }
  const invalid = emailProblem(email);
  if (invalid) throw problem(invalid);
  return email;
}

export function memberView(member: RegistryMember): MemberView {
  return {
    ...(member.userId === null ? {} : { user_id: member.userId, name: member.name ?? "" }),
    email: member.email,
    role: member.role,
    status: member.status,
  };
}

function teamAccess(membership: Membership): RegistryAccess {
  return {
    registryId: membership.registry.publicId,
    scope: -membership.registry.id,
    role: membership.role,
    personal: false,
    name: membership.registry.name,
  };
}

function personalAccess(userId: number): RegistryAccess {
  return {
    registryId: personalRegistryId(userId),
    scope: userId,
    role: "owner",
    personal: true,
    name: PERSONAL_REGISTRY_NAME,
  };
}

/** A registry as its lists and pages show it: the caller's access, and how many members it has. */
export function summaryOf(access: RegistryAccess, members: number): RegistrySummary {
  return {
    id: access.registryId,
    name: access.name,
    role: access.role,
    personal: access.personal,
    members,
  };
}

/** The team registry behind an access (the access of a personal one is refused as `what`). */
function teamOf(access: RegistryAccess, what: string): TeamRegistry {
  if (access.personal) {
    throw new RegistryConflictError(
      `Your personal registry cannot be ${what}. Create a team registry for records you share.`,
    );
  }
  return {
    id: -access.scope,
    publicId: access.registryId,
    name: access.name,
    createdBy: 0,
    createdAt: new Date(0),
  };
}

const context = (actor: RegistryActor): ChangeContext => ({
  userId: actor.userId,
  client: actor.client,
  requestId: actor.requestId,
});

export interface RegistryService {
  /**
   * The caller's access to registry `rid` (their personal registry when `rid` is undefined or
   * empty), read from the database now. A bound token acts in its own registry only: without
   * `rid` that one, with another `rid` a 404. Throws `RegistryNotFoundError` (404) for a
   * registry the caller is not an active member of, whether or not it exists.
   */
  resolveAccess(caller: RegistryCaller, rid?: string): Promise<RegistryAccess>;
  /** The caller's registries: the personal one first, then the teams by name. */
  listRegistries(caller: RegistryCaller): Promise<RegistrySummary[]>;
  /** The access's registry with its member count. */
  summary(access: RegistryAccess): Promise<RegistrySummary>;
  /** Creates a team registry owned by the actor (422 bad name, 409 at 100 registries). */
  create(actor: RegistryActor, name: unknown): Promise<RegistrySummary>;
  /** Renames (owner; 409 for a personal registry, 422 bad name). */
  rename(access: RegistryAccess, actor: RegistryActor, name: unknown): Promise<RegistrySummary>;
  /**
   * Deletes an empty team registry (owner; 409 for a personal one or one holding records).
   * `countRecords(scope)` counts its records, live and recently deleted.
   */
  delete(
    access: RegistryAccess,
    actor: RegistryActor,
    countRecords: (scope: number) => Promise<number>,
  ): Promise<void>;
  /** Members and invitations (any member may list them). */
  members(access: RegistryAccess, caller: RegistryCaller): Promise<MemberView[]>;
  /**
   * Adds a member by email (owner): an account joins at once, an unknown email is invited.
   * `notify`, when given, is told once the member is stored (the invitation email); its failure
   * does not undo the change and is thrown after it.
   */
  addMember(
    access: RegistryAccess,
    actor: RegistryActor,
    input: { email: unknown; role: unknown },
    notify?: (notice: MemberNotice) => Promise<void>,
  ): Promise<MemberView>;
  /** Changes a member's role (owner; 409 for the last owner). */
  changeRole(
    access: RegistryAccess,
    actor: RegistryActor,
    email: string,
    role: unknown,
  ): Promise<MemberView>;
  /** Removes a member or invitation (owner), or the caller themselves (409 for the last owner). */
  removeMember(access: RegistryAccess, actor: RegistryActor, email: string): Promise<void>;
  /** Makes the invitations of `email` memberships of the new account `userId`; returns how many. */
  acceptInvitations(userId: number, email: string): Promise<number>;
  /**
   * Throws `RegistryConflictError` (409) naming the team registries whose only owner the user
   * is: their account may not be deleted before another member owns them.
   */
  checkAccountDeletion(userId: number): Promise<void>;
  /** The user leaves every team registry (account deletion; 409 for one they alone own). */
  leaveAll(actor: RegistryActor): Promise<void>;
}

export function createRegistryService(accounts: AccountsDb): RegistryService {
  async function teamMembership(publicId: string, userId: number): Promise<RegistryAccess> {
    const membership = TEAM_ID.test(publicId)
      ? await membershipByPublicId(accounts, publicId, userId)
      : null;
    if (!membership) throw new RegistryNotFoundError(publicId);
    return teamAccess(membership);
  }

  /** The access of a number (a bound token's registry). */
  async function accessByScope(scope: number, userId: number): Promise<RegistryAccess> {
    if (scope === userId) return personalAccess(userId);
    const membership = scope < 0 ? await membershipById(accounts, -scope, userId) : null;
    // The token's registry was deleted, or its user is no longer a member.
    if (!membership) throw new RegistryNotFoundError("of this token");
    return teamAccess(membership);
  }

  async function resolveAccess(caller: RegistryCaller, rid?: string): Promise<RegistryAccess> {
    const wanted = (rid ?? "").trim().toLowerCase();
    const bound = caller.boundScope ?? null;
    if (bound !== null) {
      const access = await accessByScope(bound, caller.userId);
      if (wanted !== "" && wanted !== access.registryId) {
        throw new RegistryNotFoundError(rid ?? "");
      }
      return access;
    }
    if (wanted === "") return personalAccess(caller.userId);
    if (PERSONAL_ID.test(wanted)) {
      if (wanted === personalRegistryId(caller.userId)) return personalAccess(caller.userId);
      throw new RegistryNotFoundError(rid ?? "");
    }
    return await teamMembership(wanted, caller.userId).catch((error) => {
      throw error instanceof RegistryNotFoundError ? new RegistryNotFoundError(rid ?? "") : error;
    });
  }

  async function summary(access: RegistryAccess): Promise<RegistrySummary> {
    if (access.personal) return summaryOf(access, 1);
    return summaryOf(access, await countMembers(accounts, -access.scope));
  }

  return {
    resolveAccess,

    async listRegistries(caller) {
      const bound = caller.boundScope ?? null;
      if (bound !== null) {
        // A token made for one registry lists that one, or none once its user has left it.
        const access = await accessByScope(bound, caller.userId).catch((error) => {
          if (error instanceof RegistryNotFoundError) return null;
          throw error;
        });
        return access ? [await summary(access)] : [];
      }
      const teams = await membershipsOf(accounts, caller.userId);
      return [
        summaryOf(personalAccess(caller.userId), 1),
        ...teams.map((m) => summaryOf(teamAccess(m), m.members)),
      ];
    },

    summary,

    async create(actor, value) {
      if ((actor.boundScope ?? null) !== null) throw new TokenBoundError("create registries");
      const name = parseRegistryName(value);
      const user = await findUserById(accounts, actor.userId);
      if (!user) throw new RegistryNotFoundError("new");
      const registry = await createRegistry(accounts, {
        publicId: newTeamRegistryId(),
        name,
        creatorEmail: normalizeEmail(user.email),
        limit: REGISTRY_LIMITS.createdPerUser,
      }, context(actor));
      return {
        id: registry.publicId,
        name: registry.name,
        role: "owner",
        personal: false,
        members: 1,
      };
    },

    async rename(access, actor, value) {
      requireRight(access, "rename");
      const registry = teamOf(access, "renamed");
      const name = parseRegistryName(value);
      const renamed = await renameRegistry(accounts, registry, name, context(actor));
      return summary({ ...access, name: renamed.name });
    },

    async delete(access, actor, countRecords) {
      requireRight(access, "delete_registry");
      const registry = teamOf(access, "deleted");
      await deleteRegistry(
        accounts,
        registry,
        async () => (await countRecords(access.scope)) === 0,
        context(actor),
      );
    },

    async members(access, caller) {
      if (access.personal) {
        const user = await findUserById(accounts, caller.userId);
        return [{
          user_id: caller.userId,
          name: user?.name ?? "",
          email: user?.email ?? "",
          role: "owner",
          status: "active",
        }];
      }
      return (await membersOf(accounts, -access.scope)).map(memberView);
    },

    async addMember(access, actor, input, notify) {
      requireRight(access, "manage_members");
      const registry = teamOf(access, "shared");
      const errors = [];
      let email = "";
      let role: RegistryRole = "viewer";
      try {
        email = parseMemberEmail(input.email);
      } catch (error) {
        errors.push(...(error as InvalidInputError).errors);
      }
      try {
        role = parseRole(input.role);
      } catch (error) {
        errors.push(...(error as InvalidInputError).errors);
      }
      if (errors.length > 0) throw new InvalidInputError(errors);
      const account = await findUserByEmail(accounts, email);
      let member = await addStoredMember(
        accounts,
        registry,
        {
          email,
          userId: account?.id ?? null,
          name: account?.name ?? null,
          role,
        },
        REGISTRY_LIMITS.members,
        context(actor),
      );
      if (!account) {
        // An account registered with this email while the invitation was written takes it now
        // (registration accepts invitations that exist; this closes the other order).
        const late = await findUserByEmail(accounts, email);
        if (late && await acceptStoredInvitations(accounts, late.id, email) > 0) {
          member = { ...member, userId: late.id, name: late.name, status: "active" };
        }
      }
      const view = memberView(member);
      if (notify) {
        const by = await findUserById(accounts, actor.userId);
        await notify({
          registry: { id: access.registryId, name: access.name },
          member: view,
          addedBy: by?.name ?? "",
        });
      }
      return view;
    },

    async changeRole(access, actor, email, value) {
      requireRight(access, "manage_members");
      const registry = teamOf(access, "shared");
      const role = parseRole(value);
      const member = await changeMemberRole(
        accounts,
        registry,
        normalizeEmail(email),
        role,
        context(actor),
      );
      return memberView(member);
    },

    async removeMember(access, actor, email) {
      const registry = teamOf(access, "left");
      await removeStoredMember(accounts, registry, normalizeEmail(email), context(actor));
    },

    acceptInvitations(userId, email) {
      return acceptStoredInvitations(accounts, userId, normalizeEmail(email));
    },

    async checkAccountDeletion(userId) {
      const owned = await soleOwnerships(accounts, userId);
      if (owned.length === 0) return;
      const names = owned.slice(0, 5).map((r) => `"${r.name}"`).join(", ") +
        (owned.length > 5 ? ` and ${owned.length - 5} more` : "");
      throw new RegistryConflictError(
        `You are the only owner of ${names}. Make another member owner there, or delete ${
          owned.length === 1 ? "that registry" : "those registries"
        }, before you delete your account; nothing was deleted.`,
      );
    },

    async leaveAll(actor) {
      for (const membership of await membershipsOf(accounts, actor.userId)) {
        const member = (await membersOf(accounts, membership.registry.id))
          .find((m) => m.userId === actor.userId);
        if (!member) continue; // left meanwhile
        await removeStoredMember(accounts, membership.registry, member.email, context(actor));
      }
    },
  };
}
