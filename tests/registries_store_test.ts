/**
 * The registries' store and use-cases on every accounts backend: roles read afresh on every
 * call, invitations taken at registration, the membership audit, and the rules that must hold
 * under concurrency (the last owner, the per-user and per-registry limits) — raced through two
 * handles on the same database, as two app instances would.
 */
import assert from "node:assert/strict";
import type { AccountsDb } from "../db/accounts/database.ts";
import { addMember, createRegistry, membersOf, registryEvents } from "../db/accounts/registries.ts";
import { registriesMigration } from "../db/migrations/accounts/007_registries.ts";
import { createUser, type User } from "../db/accounts/users.ts";
import {
  AlreadyMemberError,
  InvalidInputError,
  LastOwnerError,
  RegistryConflictError,
  RegistryForbiddenError,
  RegistryNotFoundError,
} from "../lib/errors.ts";
import { createRegistryService, type RegistryService } from "../lib/registry_service.ts";
import { accountBackends } from "./helpers/backends.ts";

const HASH = "$2b$12$abcdefghijklmnopqrstuuJ6d1fY5rU0m2vZb5wO7m1a0c6b7e8f9a";

interface Ctx {
  accounts: AccountsDb;
  /** A second handle on the same database (its own connections), as another instance has. */
  other: AccountsDb;
  service: RegistryService;
  otherService: RegistryService;
  /**
   * The handle a race runs its second side on: the other one on MySQL; on SQLite the same one
   * (node:sqlite waits for a lock by blocking its thread, so two handles in one process cannot
   * race; two processes do, in registries_instances_test.ts).
   */
  racer: AccountsDb;
  racerService: RegistryService;
  user(name: string): Promise<User>;
}

for (const backend of accountBackends()) {
  const test = (name: string, body: (ctx: Ctx) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      const other = opened.reopen!();
      const racer = backend.name === "sqlite" ? opened.value : other;
      try {
        await body({
          accounts: opened.value,
          other,
          service: createRegistryService(opened.value),
          otherService: createRegistryService(other),
          racer,
          racerService: createRegistryService(racer),
          user: (name) =>
            createUser(opened.value, {
              name,
              email: `${name.toLowerCase()}@example.org`,
              passwordHash: HASH,
            }),
        });
      } finally {
        await other.close();
        await opened.cleanup();
      }
    });

  test("the migration runs again over its own tables and changes nothing", async (ctx) => {
    const ann = await ctx.user("Ann");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const db = await ctx.accounts.db();
    await registriesMigration(ctx.accounts.dialect).up(db);
    await registriesMigration(ctx.accounts.dialect).up(db);
    const listed = await ctx.service.listRegistries({ userId: ann.id });
    assert.deepEqual(listed.map((r) => [r.id, r.name, r.role, r.members]), [
      [`p${ann.id}`, "Personal", "owner", 1],
      [team.id, "Stroke unit", "owner", 1],
    ]);
    const token = await db.selectFrom("api_tokens").select("registry_id").limit(1).execute();
    assert.deepEqual(token, [], "api_tokens has registry_id");
  });

  test("a team registry: the creator owns it, its number is negative and never used again", async (ctx) => {
    const ann = await ctx.user("Ann");
    const first = await ctx.service.create({ userId: ann.id }, "  Stroke unit  ");
    assert.match(first.id, /^t[a-z2-7]{16}$/);
    assert.deepEqual(first, {
      id: first.id,
      name: "Stroke unit",
      role: "owner",
      personal: false,
      members: 1,
    });
    const access = await ctx.service.resolveAccess({ userId: ann.id }, first.id);
    assert.ok(access.scope < 0, "a team's records are scoped by a negative number");
    assert.equal(access.role, "owner");
    await ctx.service.delete(access, { userId: ann.id }, () => Promise.resolve(0));
    await assert.rejects(
      ctx.service.resolveAccess({ userId: ann.id }, first.id),
      RegistryNotFoundError,
    );
    const second = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const again = await ctx.service.resolveAccess({ userId: ann.id }, second.id);
    assert.notEqual(again.scope, access.scope, "a deleted registry's number is not reused");
    assert.notEqual(second.id, first.id);
  });

  test("names are trimmed and bounded; a personal registry is neither renamed nor deleted", async (ctx) => {
    const ann = await ctx.user("Ann");
    for (const bad of ["", "   ", "x".repeat(101), "two\nlines", 42]) {
      await assert.rejects(ctx.service.create({ userId: ann.id }, bad), InvalidInputError);
    }
    const longest = await ctx.service.create({ userId: ann.id }, "é".repeat(100));
    assert.equal(longest.name, "é".repeat(100));
    const personal = await ctx.service.resolveAccess({ userId: ann.id });
    assert.deepEqual(personal, {
      registryId: `p${ann.id}`,
      scope: ann.id,
      role: "owner",
      personal: true,
      name: "Personal",
    });
    await assert.rejects(
      ctx.service.rename(personal, { userId: ann.id }, "Mine"),
      RegistryConflictError,
    );
    await assert.rejects(
      ctx.service.delete(personal, { userId: ann.id }, () => Promise.resolve(0)),
      RegistryConflictError,
    );
  });

  test("a registry holding records is not deleted", async (ctx) => {
    const ann = await ctx.user("Ann");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const access = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    const counted: number[] = [];
    const oneRecord = (scope: number) => {
      counted.push(scope);
      return Promise.resolve(1);
    };
    await assert.rejects(
      ctx.service.delete(access, { userId: ann.id }, oneRecord),
      /still holds records/,
    );
    assert.deepEqual(counted, [access.scope], "the registry's own records are counted");
    assert.equal(
      (await ctx.service.resolveAccess({ userId: ann.id }, team.id)).name,
      "Stroke unit",
    );
  });

  test("another user's personal registry and unknown or malformed ids are not found", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    for (
      const rid of [`p${ann.id}`, team.id, "tzzzzzzzzzzzzzzzz", "x", "p0", "t" + "a".repeat(99)]
    ) {
      await assert.rejects(
        ctx.service.resolveAccess({ userId: bob.id }, rid),
        RegistryNotFoundError,
        rid,
      );
    }
    assert.equal(
      (await ctx.service.resolveAccess({ userId: ann.id }, team.id.toUpperCase())).registryId,
      team.id,
    );
  });

  test("the role is read from the database on every call, by every instance", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    const added = await ctx.service.addMember(owner, { userId: ann.id }, {
      email: " BOB@example.org ",
      role: "editor",
    });
    assert.deepEqual(added, {
      user_id: bob.id,
      name: "Bob",
      email: "bob@example.org",
      role: "editor",
      status: "active",
    });
    const role = async () =>
      (await ctx.otherService.resolveAccess({ userId: bob.id }, team.id)).role;
    assert.equal(await role(), "editor");
    await ctx.service.changeRole(owner, { userId: ann.id }, "bob@example.org", "viewer");
    assert.equal(await role(), "viewer", "the other instance sees the demotion at once");
    await ctx.service.removeMember(owner, { userId: ann.id }, "Bob@Example.org");
    await assert.rejects(role(), RegistryNotFoundError, "and the removal");
    assert.deepEqual(
      (await ctx.otherService.listRegistries({ userId: bob.id })).map((r) => r.id),
      [`p${bob.id}`],
    );
  });

  test("a viewer or editor may not change members, but may leave", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    const cat = await ctx.user("Cat");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    await ctx.service.addMember(owner, { userId: ann.id }, { email: bob.email, role: "editor" });
    await ctx.service.addMember(owner, { userId: ann.id }, { email: cat.email, role: "viewer" });
    const editor = await ctx.service.resolveAccess({ userId: bob.id }, team.id);
    await assert.rejects(
      ctx.service.addMember(editor, { userId: bob.id }, {
        email: "dan@example.org",
        role: "viewer",
      }),
      (error: RegistryForbiddenError) => error.needed === "owner" && error.role === "editor",
    );
    await assert.rejects(
      ctx.service.changeRole(editor, { userId: bob.id }, cat.email, "editor"),
      RegistryForbiddenError,
    );
    await assert.rejects(
      ctx.service.removeMember(editor, { userId: bob.id }, cat.email),
      /removing other members needs the owner role/,
    );
    await assert.rejects(
      ctx.service.rename(editor, { userId: bob.id }, "Mine"),
      RegistryForbiddenError,
    );
    await ctx.service.removeMember(editor, { userId: bob.id }, bob.email);
    await assert.rejects(
      ctx.service.resolveAccess({ userId: bob.id }, team.id),
      RegistryNotFoundError,
    );
    const members = await ctx.service.members(owner, { userId: ann.id });
    assert.deepEqual(members.map((m) => [m.email, m.role]), [
      ["ann@example.org", "owner"],
      ["cat@example.org", "viewer"],
    ]);
  });

  test("an invitation becomes a membership when its email registers", async (ctx) => {
    const ann = await ctx.user("Ann");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    const invited = await ctx.service.addMember(owner, { userId: ann.id }, {
      email: "Dan@Example.org",
      role: "editor",
    });
    assert.deepEqual(invited, { email: "dan@example.org", role: "editor", status: "invited" });
    await assert.rejects(
      ctx.service.addMember(owner, { userId: ann.id }, {
        email: "dan@example.org",
        role: "viewer",
      }),
      AlreadyMemberError,
    );
    const dan = await ctx.user("Dan");
    assert.equal(await ctx.otherService.acceptInvitations(dan.id, "DAN@example.org "), 1);
    assert.equal(await ctx.service.acceptInvitations(dan.id, dan.email), 0, "taken once");
    assert.equal((await ctx.service.resolveAccess({ userId: dan.id }, team.id)).role, "editor");
    const events = await registryEvents(ctx.accounts, -owner.scope);
    assert.deepEqual(
      events.map((e) => [e.action, e.actorId, e.memberEmail, e.roleBefore, e.roleAfter]).reverse(),
      [
        ["create", ann.id, "ann@example.org", null, "owner"],
        ["invite", ann.id, "dan@example.org", null, "editor"],
        ["accept", dan.id, "dan@example.org", null, "editor"],
      ],
    );
  });

  test("the membership audit names who changed whom, with the roles before and after", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    const actor = { userId: ann.id, client: "192.0.2.7", requestId: "req-1" };
    await ctx.service.addMember(owner, actor, { email: bob.email, role: "viewer" });
    await ctx.service.changeRole(owner, actor, bob.email, "owner");
    await ctx.service.rename(owner, actor, "Stroke unit B");
    const bobAccess = await ctx.service.resolveAccess({ userId: bob.id }, team.id);
    await ctx.service.removeMember(bobAccess, { userId: bob.id }, ann.email);
    await ctx.service.addMember(bobAccess, { userId: bob.id }, {
      email: ann.email,
      role: "viewer",
    });
    const annAgain = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    await ctx.service.removeMember(annAgain, { userId: ann.id }, ann.email);
    const events = (await registryEvents(ctx.accounts, -owner.scope)).reverse();
    assert.deepEqual(
      events.map((e) => [e.action, e.actorId, e.memberUserId, e.roleBefore, e.roleAfter]),
      [
        ["create", ann.id, ann.id, null, "owner"],
        ["add", ann.id, bob.id, null, "viewer"],
        ["role", ann.id, bob.id, "viewer", "owner"],
        ["rename", ann.id, null, null, null],
        ["remove", bob.id, ann.id, "owner", null],
        ["add", bob.id, ann.id, null, "viewer"],
        ["leave", ann.id, ann.id, "viewer", null],
      ],
    );
    assert.deepEqual(events[3]!.details, { before: "Stroke unit", after: "Stroke unit B" });
    assert.deepEqual([events[1]!.client, events[1]!.requestId], ["192.0.2.7", "req-1"]);
  });

  test("the last owner can neither leave nor be demoted", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    // An invited owner is no owner yet.
    await ctx.service.addMember(owner, { userId: ann.id }, {
      email: "dan@example.org",
      role: "owner",
    });
    await ctx.service.addMember(owner, { userId: ann.id }, { email: bob.email, role: "editor" });
    await assert.rejects(
      ctx.service.changeRole(owner, { userId: ann.id }, ann.email, "editor"),
      LastOwnerError,
    );
    await assert.rejects(
      ctx.service.removeMember(owner, { userId: ann.id }, ann.email),
      LastOwnerError,
    );
    await ctx.service.changeRole(owner, { userId: ann.id }, bob.email, "owner");
    await ctx.service.changeRole(owner, { userId: ann.id }, ann.email, "viewer");
    const bobAccess = await ctx.service.resolveAccess({ userId: bob.id }, team.id);
    await assert.rejects(
      ctx.service.removeMember(bobAccess, { userId: bob.id }, bob.email),
      LastOwnerError,
    );
  });

  test("two owners demoting each other at once leave exactly one owner", async (ctx) => {
    const ann = await ctx.user("Ann");
    const bob = await ctx.user("Bob");
    for (let round = 0; round < 12; round++) {
      const team = await ctx.service.create({ userId: ann.id }, `Race ${round}`);
      const annAccess = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
      await ctx.service.addMember(annAccess, { userId: ann.id }, {
        email: bob.email,
        role: "owner",
      });
      const bobAccess = await ctx.racerService.resolveAccess({ userId: bob.id }, team.id);
      const leave = round % 2 === 1; // every other round both leave instead
      const results = await Promise.allSettled(
        leave
          ? [
            ctx.service.removeMember(annAccess, { userId: ann.id }, ann.email),
            ctx.racerService.removeMember(bobAccess, { userId: bob.id }, bob.email),
          ]
          : [
            ctx.service.changeRole(annAccess, { userId: ann.id }, bob.email, "viewer"),
            ctx.racerService.changeRole(bobAccess, { userId: bob.id }, ann.email, "viewer"),
          ],
      );
      const done = results.filter((r) => r.status === "fulfilled").length;
      assert.equal(done, 1, `round ${round}: one change is made, the other refused`);
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(
            r.reason instanceof LastOwnerError || r.reason instanceof RegistryForbiddenError ||
              r.reason instanceof RegistryNotFoundError,
            `round ${round}: ${r.reason}`,
          );
        }
      }
      const owners = (await membersOf(ctx.accounts, -annAccess.scope))
        .filter((m) => m.role === "owner" && m.status === "active");
      assert.equal(owners.length, 1, `round ${round}: one owner is left`);
    }
  });

  test("concurrent creations never pass the per-user limit", async (ctx) => {
    const ann = await ctx.user("Ann");
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        createRegistry(i % 2 ? ctx.racer : ctx.accounts, {
          publicId: `trace${String(i).padStart(11, "a")}`,
          name: `R${i}`,
          creatorEmail: ann.email,
          limit: 3,
        }, { userId: ann.id })),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 3);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof RegistryConflictError, `${r.reason}`);
      }
    }
    assert.equal((await ctx.service.listRegistries({ userId: ann.id })).length, 1 + 3);
  });

  test("concurrent additions never pass the member limit, nor add one email twice", async (ctx) => {
    const ann = await ctx.user("Ann");
    const registry = await createRegistry(ctx.accounts, {
      publicId: "tlimitsaaaaaaaaaa",
      name: "Limits",
      creatorEmail: ann.email,
      limit: 100,
    }, { userId: ann.id });
    const invite = (db: AccountsDb, email: string) =>
      addMember(db, registry, { email, userId: null, name: null, role: "viewer" }, 5, {
        userId: ann.id,
      });
    const many = await Promise.allSettled(
      Array.from(
        { length: 10 },
        (_, i) => invite(i % 2 ? ctx.racer : ctx.accounts, `m${i}@example.org`),
      ),
    );
    assert.equal(many.filter((r) => r.status === "fulfilled").length, 4, "the owner and 4 more");
    assert.equal((await membersOf(ctx.accounts, registry.id)).length, 5);
    const registry2 = await createRegistry(ctx.accounts, {
      publicId: "tsameemailaaaaaaa",
      name: "Same email",
      creatorEmail: ann.email,
      limit: 100,
    }, { userId: ann.id });
    const same = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        addMember(
          i % 2 ? ctx.racer : ctx.accounts,
          registry2,
          {
            email: "same@example.org",
            userId: null,
            name: null,
            role: "editor",
          },
          500,
          { userId: ann.id },
        )),
    );
    assert.equal(same.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of same) {
      if (r.status === "rejected") assert.ok(r.reason instanceof AlreadyMemberError, `${r.reason}`);
    }
  });

  test("roles, emails and members are checked before anything is stored", async (ctx) => {
    const ann = await ctx.user("Ann");
    const team = await ctx.service.create({ userId: ann.id }, "Stroke unit");
    const owner = await ctx.service.resolveAccess({ userId: ann.id }, team.id);
    const cases: [unknown, unknown, string[]][] = [
      ["not an email", "viewer", ["email"]],
      [`${"a".repeat(250)}@example.org`, "viewer", ["email"]],
      ["bob@example.org", "admin", ["role"]],
      [undefined, undefined, ["email", "role"]],
    ];
    for (const [email, role, fields] of cases) {
      await assert.rejects(
        ctx.service.addMember(owner, { userId: ann.id }, { email, role }),
        (error: InvalidInputError) => {
          assert.deepEqual(error.errors.map((e) => e.field), fields);
          return true;
        },
      );
    }
    assert.equal((await ctx.service.members(owner, { userId: ann.id })).length, 1);
  });
}
