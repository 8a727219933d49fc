/**
 * Team registries and their members in the accounts database. Every change of a registry's
 * members runs in a transaction that first locks the registry's row and its member rows
 * (MySQL/MariaDB: `SELECT … FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`, the database's write lock),
 * and checks its rules — the caller is still an owner, one active owner is always left, at most
 * so many members — on what it read under that lock. Two owners demoting each other at once
 * therefore never leave the registry without one. Nothing is cached: every answer is read from
 * the database, so every app instance sees a change at once.
 */
import { type Kysely, sql } from "kysely";
import { compiledOnce } from "./compiled.ts";
import type { AccountsDb } from "./database.ts";
import type { AccountsSchema } from "./schema.ts";
import {
  AlreadyMemberError,
  LastOwnerError,
  MemberNotFoundError,
  RegistryConflictError,
  RegistryForbiddenError,
  RegistryNotFoundError,
  type RegistryRole,
} from "../../lib/errors.ts";

export type MemberStatus = "active" | "invited";

/** A team registry that exists (not deleted). */
export interface TeamRegistry {
  /** `registries.id`; the registry's number (its patient documents' scope) is −id. */
  id: number;
  publicId: string;
  name: string;
  createdBy: number;
  createdAt: Date;
}

/** A user's place in a team registry. */
export interface Membership {
  registry: TeamRegistry;
  role: RegistryRole;
  /** Members and invitations of the registry. */
  members: number;
}

/** A member or an invitation of a team registry. */
export interface RegistryMember {
  email: string;
  /** Null for an invitation. */
  userId: number | null;
  /** The account's name; null for an invitation. */
  name: string | null;
  role: RegistryRole;
  status: MemberStatus;
  addedBy: number | null;
  addedAt: Date;
}

/** One entry of the membership audit. */
export interface RegistryEvent {
  id: number;
  registryId: number;
  at: Date;
  actorId: number | null;
  action: RegistryEventAction;
  memberEmail: string | null;
  memberUserId: number | null;
  roleBefore: RegistryRole | null;
  roleAfter: RegistryRole | null;
  details: Record<string, unknown> | null;
  client: string | null;
  requestId: string | null;
}

export type RegistryEventAction =
  | "create"
  | "rename"
  | "delete"
  | "add"
  | "invite"
  | "accept"
  | "role"
  | "remove"
  | "leave";

/** Who changes something, and from where (kept with the audit entry). */
export interface ChangeContext {
  userId: number;
  client?: string | undefined;
  requestId?: string | undefined;
}

type Db = Kysely<AccountsSchema>;

/** Longest client address or request id kept with an entry. */
const MAX_CONTEXT = 100;

function toRegistry(row: {
  id: number;
  public_id: string;
  name: string;
  created_by: number;
  created_at: number;
}): TeamRegistry {
  return {
    id: Number(row.id),
    publicId: row.public_id,
    name: row.name,
    createdBy: Number(row.created_by),
    createdAt: new Date(Number(row.created_at)),
  };
}

const REGISTRY_COLUMNS = [
  "registries.id",
  "registries.public_id",
  "registries.name",
  "registries.created_by",
  "registries.created_at",
] as const;

/** MySQL's "deadlock found" and "lock wait timeout": the transaction may simply run again. */
function isLockConflict(error: unknown): boolean {
  const errno = (error as { errno?: number })?.errno;
  return errno === 1213 || errno === 1205;
}

/**
 * Runs `work` in a write transaction: on SQLite one that holds the database's write lock from
 * its first statement (`BEGIN IMMEDIATE`, so that what it reads cannot change before it
 * writes); on MySQL an ordinary one, in which `work` locks the rows it reads, run again (twice
 * at most) when the server breaks a deadlock by rolling it back.
 */
function writeTransaction<T>(accounts: AccountsDb, work: (db: Db) => Promise<T>): Promise<T> {
  return accounts.run(async (db) => {
    if (accounts.dialect === "sqlite") {
      return await db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await work(connection);
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      });
    }
    for (let attempt = 1;; attempt++) {
      try {
        return await db.transaction().execute(work);
      } catch (error) {
        if (!isLockConflict(error) || attempt >= 3) throw error;
      }
    }
  });
}

/** What a locked change reads first: the registry and every member row, locked. */
interface Locked {
  registry: TeamRegistry;
  members: RegistryMember[];
}

/**
 * Locks the registry's row, then its member rows (always in this order, so that two changes
 * never wait for each other's locks), and reads them. Throws `RegistryNotFoundError` when the
 * registry is gone (deleted meanwhile).
 */
async function lockRegistry(
  accounts: AccountsDb,
  db: Db,
  registryId: number,
  publicId: string,
): Promise<Locked> {
  const mysql = accounts.dialect === "mysql";
  let registryQuery = db.selectFrom("registries").select(REGISTRY_COLUMNS)
    .where("id", "=", registryId).where("deleted_at", "is", null);
  if (mysql) registryQuery = registryQuery.forUpdate();
  const row = await registryQuery.executeTakeFirst();
  if (!row) throw new RegistryNotFoundError(publicId);
  let membersQuery = db.selectFrom("registry_members")
    .select(["email", "user_id", "role", "status", "added_by", "added_at"])
    .where("registry_id", "=", registryId);
  if (mysql) membersQuery = membersQuery.forUpdate();
  const members = (await membersQuery.execute()).map((m) => toMember({ ...m, name: null }));
  return { registry: toRegistry(row), members };
}

function toMember(row: {
  email: string;
  user_id: number | null;
  name: string | null;
  role: string;
  status: string;
  added_by: number | null;
  added_at: number;
}): RegistryMember {
  return {
    email: row.email,
    userId: row.user_id === null ? null : Number(row.user_id),
    name: row.user_id === null ? null : row.name ?? "",
    role: row.role as RegistryRole,
    status: row.status as MemberStatus,
    addedBy: row.added_by === null ? null : Number(row.added_by),
    addedAt: new Date(Number(row.added_at)),
  };
}

const activeOwners = (members: readonly RegistryMember[]) =>
  members.filter((m) => m.role === "owner" && m.status === "active").length;

/**
 * The caller's active membership as read under the lock: a non-member (removed meanwhile) is
 * told the registry is not there, a member who is not an owner (demoted meanwhile) that
 * `what` needs the owner role.
 */
function actingOwner(locked: Locked, userId: number, what: string): RegistryMember {
  const me = locked.members.find((m) => m.userId === userId && m.status === "active");
  if (!me) throw new RegistryNotFoundError(locked.registry.publicId);
  if (me.role !== "owner") {
    throw new RegistryForbiddenError(me.role, "owner", what, locked.registry.name);
  }
  return me;
}

async function appendEvent(
  db: Db,
  registryId: number,
  context: ChangeContext | null,
  action: RegistryEventAction,
  member: { email?: string; userId?: number | null } = {},
  roles: { before?: RegistryRole | null; after?: RegistryRole | null } = {},
  details: Record<string, unknown> | null = null,
): Promise<void> {
  await db.insertInto("registry_events").values({
    registry_id: registryId,
    created_at: Date.now(),
    actor_id: context?.userId ?? null,
    action,
    member_email: member.email ?? null,
    member_user_id: member.userId ?? null,
    role_before: roles.before ?? null,
    role_after: roles.after ?? null,
    details: details === null ? null : JSON.stringify(details),
    client: context?.client?.slice(0, MAX_CONTEXT) ?? null,
    request_id: context?.requestId?.slice(0, MAX_CONTEXT) ?? null,
  }).execute();
}

/** The membership query: the registry (not deleted), the member's role and the member count. */
function membershipQuery(db: Db, userId: number) {
  return db.selectFrom("registries")
    .innerJoin("registry_members", "registry_members.registry_id", "registries.id")
    .select(REGISTRY_COLUMNS)
    .select("registry_members.role")
    .select((eb) =>
      eb.selectFrom("registry_members as everyone")
        .select((inner) => inner.fn.countAll<number>().as("n"))
        .whereRef("everyone.registry_id", "=", "registries.id")
        .as("members")
    )
    .where("registries.deleted_at", "is", null)
    .where("registry_members.user_id", "=", userId)
    .where("registry_members.status", "=", "active");
}

function toMembership(
  row: Parameters<typeof toRegistry>[0] & { role: string; members: number | null },
): Membership {
  return {
    registry: toRegistry(row),
    role: row.role as RegistryRole,
    members: Number(row.members ?? 0),
  };
}

/** The user's active membership of the registry with this public id, or null. */
export function membershipByPublicId(
  accounts: AccountsDb,
  publicId: string,
  userId: number,
): Promise<Membership | null> {
  return accounts.run(async (db) => {
    const row = await membershipQuery(db, userId).where("registries.public_id", "=", publicId)
      .executeTakeFirst();
    return row ? toMembership(row) : null;
  });
}

/** The user's active membership of registry `registryId` (`registries.id`), or null. */
export function membershipById(
  accounts: AccountsDb,
  registryId: number,
  userId: number,
): Promise<Membership | null> {
  return accounts.run(async (db) => {
    const row = await membershipQuery(db, userId).where("registries.id", "=", registryId)
      .executeTakeFirst();
    return row ? toMembership(row) : null;
  });
}

/** The user's memberships by name, compiled once (every page's header lists them). */
const membershipsQuery = compiledOnce((db, userId) =>
  membershipQuery(db, userId).orderBy("registries.name").orderBy("registries.id")
);

/** The team registries the user is an active member of, by name. */
export function membershipsOf(accounts: AccountsDb, userId: number): Promise<Membership[]> {
  return accounts.run(async (db) => {
    const { rows } = await db.executeQuery(membershipsQuery(db, userId));
    return rows.map(toMembership);
  });
}

/**
 * Creates a team registry whose first member, an active owner, is its creator. Throws
 * `RegistryConflictError` when the creator already has `limit` registries they created (and
 * did not delete); the count and the insert happen under the creator's lock, so concurrent
 * creations cannot pass it.
 */
export function createRegistry(
  accounts: AccountsDb,
  input: { publicId: string; name: string; creatorEmail: string; limit: number },
  context: ChangeContext,
): Promise<TeamRegistry> {
  return writeTransaction(accounts, async (db) => {
    if (accounts.dialect === "mysql") {
      // One creation at a time per user: the user's row is the lock.
      await db.selectFrom("login_data").select("id").where("id", "=", context.userId)
        .forUpdate().execute();
    }
    const created = await db.selectFrom("registries")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("created_by", "=", context.userId).where("deleted_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(created.n) >= input.limit) {
      throw new RegistryConflictError(
        `You have created ${input.limit} registries, the most one account may keep. Delete one you no longer need first.`,
      );
    }
    const now = Date.now();
    const result = await db.insertInto("registries").values({
      public_id: input.publicId,
      name: input.name,
      created_by: context.userId,
      created_at: now,
      deleted_at: null,
    }).executeTakeFirstOrThrow();
    const id = Number(result.insertId);
    await db.insertInto("registry_members").values({
      registry_id: id,
      user_id: context.userId,
      email: input.creatorEmail,
      role: "owner",
      status: "active",
      added_by: context.userId,
      added_at: now,
    }).execute();
    await appendEvent(
      db,
      id,
      context,
      "create",
      {
        email: input.creatorEmail,
        userId: context.userId,
      },
      { after: "owner" },
      { name: input.name },
    );
    return {
      id,
      publicId: input.publicId,
      name: input.name,
      createdBy: context.userId,
      createdAt: new Date(now),
    };
  });
}

/** Renames the registry, if the caller is (still) one of its owners. */
export function renameRegistry(
  accounts: AccountsDb,
  registry: TeamRegistry,
  name: string,
  context: ChangeContext,
): Promise<TeamRegistry> {
  return writeTransaction(accounts, async (db) => {
    const locked = await lockRegistry(accounts, db, registry.id, registry.publicId);
    actingOwner(locked, context.userId, "renaming the registry");
    await db.updateTable("registries").set({ name }).where("id", "=", registry.id).execute();
    await appendEvent(db, registry.id, context, "rename", {}, {}, {
      before: locked.registry.name,
      after: name,
    });
    return { ...locked.registry, name };
  });
}

/**
 * Deletes the registry if the caller is (still) an owner and `isEmpty()` says it holds no
 * records: it leaves everyone's list at once, its members and invitations go, and the tokens
 * made for it are revoked. Its row stays (marked deleted), so its number is never used again.
 */
export function deleteRegistry(
  accounts: AccountsDb,
  registry: TeamRegistry,
  isEmpty: () => Promise<boolean>,
  context: ChangeContext,
): Promise<void> {
  return writeTransaction(accounts, async (db) => {
    const locked = await lockRegistry(accounts, db, registry.id, registry.publicId);
    actingOwner(locked, context.userId, "deleting the registry");
    if (!(await isEmpty())) {
      throw new RegistryConflictError(
        `"${locked.registry.name}" still holds records (or recently deleted ones): only an empty registry can be deleted. Delete or move its records first.`,
      );
    }
    await db.updateTable("registries").set({ deleted_at: Date.now() })
      .where("id", "=", registry.id).execute();
    await db.deleteFrom("registry_members").where("registry_id", "=", registry.id).execute();
    await db.deleteFrom("api_tokens").where("registry_id", "=", -registry.id).execute();
    await appendEvent(db, registry.id, context, "delete", {}, {}, { name: locked.registry.name });
  });
}

/** The registry's members and invitations, by email, with the members' names. */
export function membersOf(accounts: AccountsDb, registryId: number): Promise<RegistryMember[]> {
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("registry_members")
      .leftJoin("login_data", "login_data.id", "registry_members.user_id")
      .select([
        "registry_members.email",
        "registry_members.user_id",
        "login_data.name",
        "registry_members.role",
        "registry_members.status",
        "registry_members.added_by",
        "registry_members.added_at",
      ])
      .where("registry_members.registry_id", "=", registryId)
      .orderBy("registry_members.email").execute();
    return rows.map(toMember);
  });
}

/** How many members and invitations the registry has. */
export function countMembers(accounts: AccountsDb, registryId: number): Promise<number> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("registry_members")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("registry_id", "=", registryId).executeTakeFirstOrThrow();
    return Number(row.n);
  });
}

/**
 * Adds a member (`userId` of the account with this email) or, without an account, an
 * invitation. Throws `AlreadyMemberError` when the email (or the account) is in the registry
 * already, `RegistryConflictError` at `limit` members and invitations.
 */
export function addMember(
  accounts: AccountsDb,
  registry: TeamRegistry,
  member: { email: string; userId: number | null; name: string | null; role: RegistryRole },
  limit: number,
  context: ChangeContext,
): Promise<RegistryMember> {
  return writeTransaction(accounts, async (db) => {
    const locked = await lockRegistry(accounts, db, registry.id, registry.publicId);
    actingOwner(locked, context.userId, "adding members");
    const taken = locked.members.some((m) =>
      m.email === member.email || (member.userId !== null && m.userId === member.userId)
    );
    if (taken) throw new AlreadyMemberError(member.email);
    if (locked.members.length >= limit) {
      throw new RegistryConflictError(
        `"${locked.registry.name}" has ${limit} members and invitations, the most a registry may have. Remove someone first.`,
      );
    }
    const now = Date.now();
    const status: MemberStatus = member.userId === null ? "invited" : "active";
    await db.insertInto("registry_members").values({
      registry_id: registry.id,
      user_id: member.userId,
      email: member.email,
      role: member.role,
      status,
      added_by: context.userId,
      added_at: now,
    }).execute();
    await appendEvent(db, registry.id, context, status === "active" ? "add" : "invite", {
      email: member.email,
      userId: member.userId,
    }, { after: member.role });
    return {
      email: member.email,
      userId: member.userId,
      name: member.userId === null ? null : member.name ?? "",
      role: member.role,
      status,
      addedBy: context.userId,
      addedAt: new Date(now),
    };
  });
}

/**
 * Gives the member (or invitation) with this email another role. Throws `LastOwnerError` when
 * that would leave no active owner, `MemberNotFoundError` when there is no such member.
 */
export function changeMemberRole(
  accounts: AccountsDb,
  registry: TeamRegistry,
  email: string,
  role: RegistryRole,
  context: ChangeContext,
): Promise<RegistryMember> {
  return writeTransaction(accounts, async (db) => {
    const locked = await lockRegistry(accounts, db, registry.id, registry.publicId);
    actingOwner(locked, context.userId, "changing members' roles");
    const target = locked.members.find((m) => m.email === email);
    if (!target) throw new MemberNotFoundError(email);
    if (target.role === role) return await withName(db, target);
    if (
      target.role === "owner" && target.status === "active" && activeOwners(locked.members) <= 1
    ) {
      throw new LastOwnerError(email);
    }
    await db.updateTable("registry_members").set({ role })
      .where("registry_id", "=", registry.id).where("email", "=", email).execute();
    await appendEvent(db, registry.id, context, "role", {
      email,
      userId: target.userId,
    }, { before: target.role, after: role });
    return await withName(db, { ...target, role });
  });
}

/**
 * Removes the member (or invitation) with this email: an owner may remove anyone, any member
 * themselves. Throws `LastOwnerError` when that would leave no active owner.
 */
export function removeMember(
  accounts: AccountsDb,
  registry: TeamRegistry,
  email: string,
  context: ChangeContext,
): Promise<void> {
  return writeTransaction(accounts, async (db) => {
    const locked = await lockRegistry(accounts, db, registry.id, registry.publicId);
    const me = locked.members.find((m) => m.userId === context.userId && m.status === "active");
    if (!me) throw new RegistryNotFoundError(locked.registry.publicId);
    const leaving = me.email === email;
    if (!leaving) actingOwner(locked, context.userId, "removing other members");
    const target = locked.members.find((m) => m.email === email);
    if (!target) throw new MemberNotFoundError(email);
    if (
      target.role === "owner" && target.status === "active" && activeOwners(locked.members) <= 1
    ) {
      throw new LastOwnerError(email);
    }
    await db.deleteFrom("registry_members").where("registry_id", "=", registry.id)
      .where("email", "=", email).execute();
    await appendEvent(db, registry.id, context, leaving ? "leave" : "remove", {
      email,
      userId: target.userId,
    }, { before: target.role });
  });
}

/** The team registries in which the user is the only active owner, by name. */
export function soleOwnerships(accounts: AccountsDb, userId: number): Promise<TeamRegistry[]> {
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("registries")
      .innerJoin("registry_members", "registry_members.registry_id", "registries.id")
      .select(REGISTRY_COLUMNS)
      .where("registries.deleted_at", "is", null)
      .where("registry_members.user_id", "=", userId)
      .where("registry_members.role", "=", "owner")
      .where("registry_members.status", "=", "active")
      .where((eb) =>
        eb(
          eb.selectFrom("registry_members as owners")
            .select((inner) => inner.fn.countAll<number>().as("n"))
            .whereRef("owners.registry_id", "=", "registries.id")
            .where("owners.role", "=", "owner").where("owners.status", "=", "active"),
          "=",
          1,
        )
      )
      .orderBy("registries.name").orderBy("registries.id").execute();
    return rows.map(toRegistry);
  });
}

async function withName(db: Db, member: RegistryMember): Promise<RegistryMember> {
  if (member.userId === null) return member;
  const row = await db.selectFrom("login_data").select("name").where("id", "=", member.userId)
    .executeTakeFirst();
  return { ...member, name: row?.name ?? "" };
}

/**
 * Turns the invitations of `email` (in registries that still exist) into active memberships of
 * the account `userId`; returns how many. Run when that email gets an account, and after an
 * invitation is made (so that an account registered meanwhile is not left invited).
 */
export function acceptInvitations(
  accounts: AccountsDb,
  userId: number,
  email: string,
): Promise<number> {
  return accounts.run(async (db) => {
    const invitations = await db.selectFrom("registry_members")
      .innerJoin("registries", "registries.id", "registry_members.registry_id")
      .select(["registry_members.registry_id", "registry_members.role"])
      .where("registry_members.email", "=", email)
      .where("registry_members.user_id", "is", null)
      .where("registries.deleted_at", "is", null).execute();
    if (invitations.length === 0) return 0; // every login asks: most find none
    return await db.transaction().execute(async (trx) => {
      let accepted = 0;
      for (const invitation of invitations) {
        const result = await trx.updateTable("registry_members")
          .set({ user_id: userId, status: "active" })
          .where("registry_id", "=", invitation.registry_id).where("email", "=", email)
          .where("user_id", "is", null).executeTakeFirst();
        if (result.numUpdatedRows === 0n) continue; // removed or accepted meanwhile
        accepted++;
        await appendEvent(trx, Number(invitation.registry_id), { userId }, "accept", {
          email,
          userId,
        }, { after: invitation.role as RegistryRole });
      }
      return accepted;
    });
  });
}

/** The registry's membership audit, newest first (at most `limit` entries). */
export function registryEvents(
  accounts: AccountsDb,
  registryId: number,
  limit = 100,
): Promise<RegistryEvent[]> {
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("registry_events").selectAll()
      .where("registry_id", "=", registryId)
      .orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      registryId: Number(row.registry_id),
      at: new Date(Number(row.created_at)),
      actorId: row.actor_id === null ? null : Number(row.actor_id),
      action: row.action as RegistryEventAction,
      memberEmail: row.member_email,
      memberUserId: row.member_user_id === null ? null : Number(row.member_user_id),
      roleBefore: row.role_before as RegistryRole | null,
      roleAfter: row.role_after as RegistryRole | null,
      details: row.details === null ? null : JSON.parse(row.details),
      client: row.client,
      requestId: row.request_id,
    }));
  });
}

/**
 * For the admins' audit log: the number of the team registry with this public id (deleted ones
 * too: their entries stay in the log), or null.
 */
export function registryNumberOf(accounts: AccountsDb, publicId: string): Promise<number | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("registries").select("id").where("public_id", "=", publicId)
      .executeTakeFirst();
    return row ? -Number(row.id) : null;
  });
}

/**
 * For the admins' audit log: the names of team registries by their numbers (−`registries.id`);
 * at most 500. Names only: admins see no records.
 */
export function registryNames(
  accounts: AccountsDb,
  numbers: readonly number[],
): Promise<Map<number, string>> {
  const ids = [...new Set(numbers.filter((n) => n < 0).map((n) => -n))].slice(0, 500);
  if (ids.length === 0) return Promise.resolve(new Map());
  return accounts.run(async (db) => {
    const rows = await db.selectFrom("registries").select(["id", "name"]).where("id", "in", ids)
      .execute();
    return new Map(rows.map((row) => [-Number(row.id), row.name]));
  });
}
