/**
 * `/api/registries` on every accounts backend: each answer of the SPEC's table (checked against
 * the OpenAPI document), the role matrix, invitations taken at registration, the last owner,
 * removal and demotion reaching an open session and a token at once, and tokens bound to one
 * registry.
 */
import assert from "node:assert/strict";
import {
  anonymousApi,
  type ApiResponse,
  loadDocument,
  observed,
  PASSWORD,
  responsesNotGiven,
  samplePatient,
} from "./helpers/api.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import {
  addMember,
  type Member,
  memberPath,
  newMember,
  teamRegistry,
} from "./helpers/registries.ts";

const R = "/api/registries";

for (const backend of accountBackends()) {
  const test = (name: string, body: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () =>
      withAccountsApp(backend, {}, async (app) => {
        await loadDocument(app);
        await body(app);
      }));

  test("the app gives every documented answer of the registry operations", async (app) => {
    observed.clear();
    const anon = anonymousApi(app);
    const ann = await newMember(app, "ann@example.org");
    const bob = await newMember(app, "bob@example.org");
    const dan = await newMember(app, "dan@example.org"); // never a member
    const json = { "Content-Type": "application/json" };
    const text = { "Content-Type": "text/plain" };
    const big = JSON.stringify({ name: "x".repeat(300 * 1024) });
    const malformed = async (method: string, path: string, body: unknown) => {
      assert.equal((await ann.user.api(method, path, "{", json)).status, 400);
      assert.equal((await ann.user.api(method, path, JSON.stringify(body), text)).status, 415);
      assert.equal((await ann.user.api(method, path, big)).status, 413);
      const extra = await ann.user.api(method, path, { ...body as object, extra: 1 });
      assert.equal(extra.status, 422);
      assert.deepEqual(extra.body.errors, [{ field: "extra", message: "Unknown field" }]);
    };

    // GET and POST /api/registries
    const listed = await ann.user.api("GET", R);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, [{
      id: `p${ann.user.id}`,
      name: "Personal",
      role: "owner",
      personal: true,
      members: 1,
    }]);
    const created = await ann.user.api("POST", R, { name: " Stroke unit " });
    assert.equal(created.status, 201);
    const rid = created.body.id as string;
    assert.deepEqual(created.body, {
      id: rid,
      name: "Stroke unit",
      role: "owner",
      personal: false,
    });
    assert.equal(created.headers.get("Location"), `${R}/${rid}`);
    const named = await ann.user.api("POST", R, { name: "x".repeat(101) });
    assert.equal(named.status, 422);
    assert.deepEqual(named.body.errors, [{ field: "name", message: "Use at most 100 characters" }]);
    await malformed("POST", R, { name: "A" });
    const noCsrf = await ann.session("POST", R, { name: "A" }, { "X-CSRF-Token": "wrong" });
    assert.equal(noCsrf.status, 403);
    const viaSession = await ann.session("POST", R, { name: "From the browser" });
    assert.equal(viaSession.status, 201);
    for (const path of [R, `${R}/${rid}`, `${R}/${rid}/members`]) {
      assert.equal((await anon("GET", path)).status, 401);
    }
    assert.equal((await anon("POST", R, { name: "A" })).status, 401);

    // GET, PATCH and DELETE /api/registries/{rid}
    const one = await ann.user.api("GET", `${R}/${rid}`);
    assert.deepEqual(one.body, {
      id: rid,
      name: "Stroke unit",
      role: "owner",
      personal: false,
      members: 1,
    });
    assert.equal((await dan.user.api("GET", `${R}/${rid}`)).status, 404);
    await addMember(ann.user, rid, bob.user.email, "editor");
    const renamed = await ann.user.api("PATCH", `${R}/${rid}`, { name: "Stroke unit A" });
    assert.equal(renamed.status, 200);
    assert.deepEqual(renamed.body, {
      id: rid,
      name: "Stroke unit A",
      role: "owner",
      personal: false,
      members: 2,
    });
    const refused = await bob.user.api("PATCH", `${R}/${rid}`, { name: "Mine" });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.required_role, "owner");
    assert.match(
      refused.body.detail,
      /Your role in "Stroke unit A" is editor; renaming the registry needs the owner role/,
    );
    assert.equal((await dan.user.api("PATCH", `${R}/${rid}`, { name: "Mine" })).status, 404);
    assert.equal((await ann.user.api("PATCH", `${R}/${rid}`, { name: "" })).status, 422);
    const personal = await ann.user.api("PATCH", `${R}/p${ann.user.id}`, { name: "Mine" });
    assert.equal(personal.status, 409);
    await malformed("PATCH", `${R}/${rid}`, { name: "A" });
    assert.equal((await anon("PATCH", `${R}/${rid}`, { name: "A" })).status, 401);

    // GET, POST, PATCH and DELETE of members
    const members = await bob.user.api("GET", `${R}/${rid}/members`);
    assert.equal(members.status, 200);
    assert.deepEqual(members.body, [
      {
        user_id: ann.user.id,
        name: "Test User",
        email: "ann@example.org",
        role: "owner",
        status: "active",
      },
      {
        user_id: bob.user.id,
        name: "Test User",
        email: "bob@example.org",
        role: "editor",
        status: "active",
      },
    ]);
    assert.equal((await dan.user.api("GET", `${R}/${rid}/members`)).status, 404);
    const invited = await ann.user.api("POST", `${R}/${rid}/members`, {
      email: "Eve@Example.org",
      role: "viewer",
    });
    assert.equal(invited.status, 201);
    assert.deepEqual(invited.body, { email: "eve@example.org", role: "viewer", status: "invited" });
    const again = await ann.user.api("POST", `${R}/${rid}/members`, {
      email: "eve@example.org",
      role: "editor",
    });
    assert.equal(again.status, 409);
    const byEditor = await bob.user.api("POST", `${R}/${rid}/members`, {
      email: "fay@example.org",
      role: "viewer",
    });
    assert.equal(byEditor.status, 403);
    assert.equal(byEditor.body.required_role, "owner");
    const byStranger = await dan.user.api("POST", `${R}/${rid}/members`, {
      email: "fay@example.org",
      role: "viewer",
    });
    assert.equal(byStranger.status, 404);
    const badRole = await ann.user.api("POST", `${R}/${rid}/members`, {
      email: "fay@example.org",
      role: "admin",
    });
    assert.equal(badRole.status, 422);
    assert.deepEqual(badRole.body.errors.map((e: { field: string }) => e.field), ["role"]);
    await malformed("POST", `${R}/${rid}/members`, { email: "fay@example.org", role: "viewer" });
    assert.equal(
      (await anon("POST", `${R}/${rid}/members`, { email: "a@b.org", role: "viewer" })).status,
      401,
    );

    const eve = memberPath(rid, "eve@example.org");
    const promoted = await ann.user.api("PATCH", eve, { role: "editor" });
    assert.equal(promoted.status, 200);
    assert.deepEqual(promoted.body, {
      email: "eve@example.org",
      role: "editor",
      status: "invited",
    });
    assert.equal((await bob.user.api("PATCH", eve, { role: "owner" })).status, 403);
    assert.equal((await dan.user.api("PATCH", eve, { role: "owner" })).status, 404);
    assert.equal(
      (await ann.user.api("PATCH", memberPath(rid, "nobody@example.org"), { role: "owner" }))
        .status,
      404,
    );
    const lastOwner = await ann.user.api("PATCH", memberPath(rid, "ann@example.org"), {
      role: "editor",
    });
    assert.equal(lastOwner.status, 409);
    assert.match(lastOwner.body.detail, /last owner/);
    assert.equal((await ann.user.api("PATCH", eve, { role: "admin" })).status, 422);
    await malformed("PATCH", eve, { role: "viewer" });
    assert.equal((await anon("PATCH", eve, { role: "viewer" })).status, 401);

    assert.equal((await bob.user.api("DELETE", eve)).status, 403);
    assert.equal((await dan.user.api("DELETE", eve)).status, 404);
    assert.equal((await ann.user.api("DELETE", memberPath(rid, "ann@example.org"))).status, 409);
    assert.equal((await anon("DELETE", eve)).status, 401);
    assert.equal((await ann.user.api("DELETE", eve)).status, 204);
    assert.equal((await ann.user.api("DELETE", eve)).status, 404, "removed once");

    // DELETE /api/registries/{rid}
    assert.equal((await bob.user.api("DELETE", `${R}/${rid}`)).status, 403);
    assert.equal((await dan.user.api("DELETE", `${R}/${rid}`)).status, 404);
    assert.equal((await anon("DELETE", `${R}/${rid}`)).status, 401);
    assert.equal((await ann.user.api("DELETE", `${R}/p${ann.user.id}`)).status, 409);
    const scope = -Number(
      (await app.stores.accounts.db().then((db) =>
        db.selectFrom("registries").select("id").where("public_id", "=", rid)
          .executeTakeFirstOrThrow()
      )).id,
    );
    await app.stores.patients.create(scope, samplePatient({ id: 1 }));
    const full = await ann.user.api("DELETE", `${R}/${rid}`);
    assert.equal(full.status, 409);
    assert.match(full.body.detail, /still holds records/);
    assert.equal((await ann.user.api("DELETE", `${R}/${viaSession.body.id}`)).status, 204);
    assert.equal((await ann.user.api("GET", `${R}/${viaSession.body.id}`)).status, 404);

    // The limit of registries one user keeps.
    for (let i = (await ann.user.api("GET", R)).body.length - 1; i < 100; i++) {
      assert.equal((await ann.user.api("POST", R, { name: `R${i}` })).status, 201);
    }
    const tooMany = await ann.user.api("POST", R, { name: "One more" });
    assert.equal(tooMany.status, 409);
    assert.match(tooMany.body.detail, /100 registries/);

    // A token made for one registry creates no others.
    const bound = await anon("POST", "/api/tokens", {
      email: bob.user.email,
      password: PASSWORD,
      registry: rid,
    });
    assert.equal(bound.status, 201);
    const boundCreate = await app.request(R, {
      method: "POST",
      headers: { Authorization: `Bearer ${bound.body.token}`, ...json },
      body: JSON.stringify({ name: "Elsewhere" }),
    });
    assert.equal(boundCreate.status, 403);

    assert.deepEqual(responsesNotGiven(["registries"]), [], "documented answers never given");
  });

  test("role matrix: what an owner, an editor, a viewer and a non-member may do", async (app) => {
    const ann = await newMember(app, "ann@example.org");
    await newMember(app, "co@example.org"); // a second owner, where the owner leaves
    const actors: Record<string, Member> = {
      editor: await newMember(app, "ed@example.org"),
      viewer: await newMember(app, "vi@example.org"),
      "non-member": await newMember(app, "no@example.org"),
      owner: ann,
    };
    // [operation, owner, editor, viewer, non-member]
    const expected: [string, number, number, number, number][] = [
      ["GET registry", 200, 200, 200, 404],
      ["GET members", 200, 200, 200, 404],
      ["PATCH registry", 200, 403, 403, 404],
      ["POST member", 201, 403, 403, 404],
      ["PATCH member", 200, 403, 403, 404],
      ["DELETE member", 204, 403, 403, 404],
      ["DELETE registry", 204, 403, 403, 404],
      ["leave", 204, 204, 204, 404],
    ];
    for (const [column, role] of ["owner", "editor", "viewer", "non-member"].entries()) {
      const actor = actors[role]!;
      const rid = await teamRegistry(ann.user, `For the ${role}`);
      await addMember(ann.user, rid, "target@example.org", "viewer");
      if (role === "editor" || role === "viewer") {
        await addMember(ann.user, rid, actor.user.email, role);
      }
      const api = actor.user.api;
      const calls: Record<string, () => Promise<ApiResponse>> = {
        "GET registry": () => api("GET", `${R}/${rid}`),
        "GET members": () => api("GET", `${R}/${rid}/members`),
        "PATCH registry": () => api("PATCH", `${R}/${rid}`, { name: "Renamed" }),
        "POST member": () =>
          api("POST", `${R}/${rid}/members`, { email: "new@example.org", role: "viewer" }),
        "PATCH member": () =>
          api("PATCH", memberPath(rid, "target@example.org"), { role: "editor" }),
        "DELETE member": () => api("DELETE", memberPath(rid, "target@example.org")),
        // Members do not keep a registry from being deleted (records do).
        "DELETE registry": () => api("DELETE", `${R}/${rid}`),
        // The owner, whose registry is gone by now, leaves another with a second owner.
        "leave": async () => {
          if (role !== "owner") return api("DELETE", memberPath(rid, actor.user.email));
          const second = await teamRegistry(ann.user, "To leave");
          await addMember(ann.user, second, "co@example.org", "owner");
          return api("DELETE", memberPath(second, ann.user.email));
        },
      };
      for (const row of expected) {
        const res = await calls[row[0]]!();
        const want = row[column + 1]!;
        assert.equal(res.status, want, `${role}: ${row[0]} → ${res.status} ${res.text}`);
        if (want === 403) {
          assert.equal(res.body.required_role, "owner", `${role}: ${row[0]}`);
          assert.match(res.body.detail, new RegExp(`Your role in ".*" is ${role};`));
        }
      }
      const listed = (await api("GET", R)).body.map((r: { id: string }) => r.id);
      assert.equal(listed.includes(rid), false, `${role} no longer lists it`);
    }
  });

  test("an invitation takes effect when its email registers", async (app) => {
    const ann = await newMember(app, "ann@example.org");
    const rid = await teamRegistry(ann.user);
    const invited = await addMember(ann.user, rid, "New.Colleague@Example.org", "editor");
    assert.equal(invited.status, "invited");
    const eve = await newMember(app, "new.colleague@example.org");
    await newMember(app, "eve@example.org");
    const listed = await eve.user.api("GET", R);
    assert.deepEqual(listed.body.map((r: { id: string; role: string }) => [r.id, r.role]), [
      [`p${eve.user.id}`, "owner"],
      [rid, "editor"],
    ]);
    const members = await ann.user.api("GET", `${R}/${rid}/members`);
    assert.deepEqual(
      members.body.find((m: { email: string }) => m.email === "new.colleague@example.org"),
      {
        user_id: eve.user.id,
        name: "Test User",
        email: "new.colleague@example.org",
        role: "editor",
        status: "active",
      },
    );
    // An email that has an account joins at once.
    const direct = await addMember(ann.user, rid, "EVE@example.org", "viewer");
    assert.equal(direct.status, "active");
  });

  test("a removal or a lower role reaches an open session and a token at their next request", async (app) => {
    const ann = await newMember(app, "ann@example.org");
    const bob = await newMember(app, "bob@example.org");
    const rid = await teamRegistry(ann.user);
    await addMember(ann.user, rid, bob.user.email, "owner");
    const both = (method: string, path: string, body?: unknown) =>
      Promise.all([bob.session(method, path, body), bob.user.api(method, path, body)]);
    const roles = async () => (await both("GET", `${R}/${rid}`)).map((r) => r.body.role);
    assert.deepEqual(await roles(), ["owner", "owner"]);
    assert.equal(
      (await ann.user.api("PATCH", memberPath(rid, bob.user.email), { role: "viewer" })).status,
      200,
    );
    assert.deepEqual(await roles(), ["viewer", "viewer"], "the demotion applies at once");
    const renames = await both("PATCH", `${R}/${rid}`, { name: "Mine" });
    assert.deepEqual(renames.map((r) => r.status), [403, 403]);
    assert.equal((await ann.user.api("DELETE", memberPath(rid, bob.user.email))).status, 204);
    const after = await both("GET", `${R}/${rid}`);
    assert.deepEqual(after.map((r) => r.status), [404, 404], "the removal applies at once");
    const lists = await both("GET", R);
    for (const list of lists) {
      assert.deepEqual(list.body.map((r: { id: string }) => r.id), [`p${bob.user.id}`]);
    }
  });

  test("a token made for one registry acts there only, with its user's role of the moment", async (app) => {
    const anon = anonymousApi(app);
    const ann = await newMember(app, "ann@example.org");
    const bob = await newMember(app, "bob@example.org");
    const rid = await teamRegistry(ann.user);
    const other = await teamRegistry(ann.user, "Other");
    await addMember(ann.user, rid, bob.user.email, "owner");
    await addMember(ann.user, other, bob.user.email, "owner");
    const made = await anon("POST", "/api/tokens", {
      email: bob.user.email,
      password: PASSWORD,
      name: "unit script",
      registry: rid.toUpperCase(),
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.registry, rid);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await app.request(path, {
        method,
        headers: {
          Authorization: `Bearer ${made.body.token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    const listed = await call("GET", R);
    assert.deepEqual(listed.body.map((r: { id: string }) => r.id), [rid]);
    assert.equal((await call("GET", `${R}/${rid}`)).status, 200);
    assert.equal((await call("GET", `${R}/${other}`)).status, 404, "another team registry");
    assert.equal(
      (await call("GET", `${R}/p${bob.user.id}`)).status,
      404,
      "its user's personal one",
    );
    assert.equal((await call("PATCH", `${R}/${rid}`, { name: "By token" })).status, 200);
    await ann.user.api("PATCH", memberPath(rid, bob.user.email), { role: "viewer" });
    const demoted = await call("PATCH", `${R}/${rid}`, { name: "Again" });
    assert.equal(demoted.status, 403, "never more than the user's role now");
    assert.equal((await call("GET", `${R}/${rid}`)).body.role, "viewer");
    await ann.user.api("DELETE", memberPath(rid, bob.user.email));
    assert.equal((await call("GET", `${R}/${rid}`)).status, 404);
    assert.deepEqual((await call("GET", R)).body, [], "it lists nothing once its user left");
    const stranger = await anon("POST", "/api/tokens", {
      email: bob.user.email,
      password: PASSWORD,
      registry: rid,
    });
    assert.equal(stranger.status, 404, "no token for a registry its user is not in");
    assert.equal(
      (await anon("POST", "/api/tokens", {
        email: bob.user.email,
        password: PASSWORD,
        registry: "",
      }))
        .status,
      422,
    );
    // A deleted registry's tokens stop working at all.
    const annToken = await anon("POST", "/api/tokens", {
      email: ann.user.email,
      password: PASSWORD,
      registry: other,
    });
    assert.equal(annToken.status, 201);
    assert.equal((await ann.user.api("DELETE", `${R}/${other}`)).status, 204);
    const gone = await app.request(R, {
      headers: { Authorization: `Bearer ${annToken.body.token}` },
    });
    assert.equal(gone.status, 401);
    await gone.body?.cancel();
    const personal = await anon("POST", "/api/tokens", {
      email: ann.user.email,
      password: PASSWORD,
      registry: `p${ann.user.id}`,
    });
    assert.equal(personal.body.registry, `p${ann.user.id}`);
  });
}

for (const backend of accountBackends()) {
  Deno.test(`[${backend.name}] the only owner of a team registry cannot delete their account before handing it over`, () =>
    withAccountsApp(backend, {}, async (app) => {
      await loadDocument(app);
      const ann = await newMember(app, "ann@example.org");
      const bob = await newMember(app, "bob@example.org");
      const rid = await teamRegistry(ann.user, "Stroke unit");
      await addMember(ann.user, rid, bob.user.email, "editor");
      const deleteAccount = async () => {
        await ann.browser.get("/profile");
        return ann.browser.postForm("/profile/delete", { password: PASSWORD });
      };
      const refused = await deleteAccount();
      assert.equal(refused.status, 409);
      assert.match(
        await refused.text(),
        /You are the only owner of &quot;Stroke unit&quot;\. Make another member owner there/,
      );
      assert.equal((await ann.user.api("GET", R)).status, 200, "the account is still there");
      await ann.user.api("PATCH", memberPath(rid, bob.user.email), { role: "owner" });
      const deleted = await deleteAccount();
      assert.equal(deleted.status, 303);
      const members = await bob.user.api("GET", `${R}/${rid}/members`);
      assert.deepEqual(members.body.map((m: { email: string }) => m.email), ["bob@example.org"]);
    }));
}
