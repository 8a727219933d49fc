/**
 * Two app instances on the same accounts database, each with its own connections, agree on
 * registries at once: nothing about membership is held in one process. Owners demoting each
 * other through both instances at the same moment always leave one owner — on MariaDB through
 * two in-process apps with their own connection pools, on SQLite through two `main.ts` processes
 * sharing one database file.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { membersOf } from "../db/accounts/registries.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { createUser } from "../db/accounts/users.ts";
import { hashPassword } from "../lib/passwords.ts";
import { type ApiCall, loadDocument, PASSWORD, registerApiUser } from "./helpers/api.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { startMain } from "./helpers/app_process.ts";
import { accountBackends, mysqlServer } from "./helpers/backends.ts";
import { addMember, memberPath, tokenCaller } from "./helpers/registries.ts";

const R = "/api/registries";

/** Runs `body` on two apps over one accounts database, each with its own handle on it. */
async function withTwoInstances(
  backend: ReturnType<typeof accountBackends>[number],
  body: (a: TestApp, b: TestApp) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = await Deno.makeTempDir({ prefix: "spm-instances-" });
  const config = testConfig({ dataDir: dir });
  const a = await createTestApp(
    { accounts: opened.value, patients: openSqlitePatientStore(dir) },
    config,
  );
  const b = await createTestApp(
    { accounts: opened.reopen!(), patients: openSqlitePatientStore(dir) },
    config,
  );
  try {
    await loadDocument(a);
    await body(a, b);
  } finally {
    await b.close();
    await a.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A user registered on `a`, with its token usable on either instance. */
async function userOnBoth(a: TestApp, b: TestApp, email: string) {
  const user = await registerApiUser(a, email);
  return { ...user, onA: user.api, onB: tokenCaller(b, user.token) };
}

for (const backend of accountBackends()) {
  Deno.test(`[${backend.name}] two app instances agree on a membership change at once`, () =>
    withTwoInstances(backend, async (a, b) => {
      const ann = await userOnBoth(a, b, "ann@example.org");
      const bob = await userOnBoth(a, b, "bob@example.org");
      const rid = (await ann.onA("POST", R, { name: "Stroke unit" })).body.id;
      assert.equal((await ann.onB("GET", `${R}/${rid}`)).status, 200, "B knows the new registry");
      await addMember(ann, rid, bob.email, "editor");
      assert.equal((await bob.onB("GET", `${R}/${rid}`)).body.role, "editor");
      const demoted = await ann.onB("PATCH", memberPath(rid, bob.email), { role: "viewer" });
      assert.equal(demoted.status, 200);
      assert.equal((await bob.onA("GET", `${R}/${rid}`)).body.role, "viewer", "A sees B's change");
      assert.equal((await bob.onA("PATCH", `${R}/${rid}`, { name: "x" })).status, 403);
      assert.equal((await ann.onA("DELETE", memberPath(rid, bob.email))).status, 204);
      assert.equal((await bob.onB("GET", `${R}/${rid}`)).status, 404, "B sees A's removal");
      // An invitation made through A is taken by a registration on B.
      await addMember(ann, rid, "cat@example.org", "editor");
      const cat = await registerApiUser(b, "cat@example.org");
      assert.equal((await tokenCaller(a, cat.token)("GET", `${R}/${rid}`)).body.role, "editor");
    }));
}

const mysql = mysqlServer();
const mysqlBackend = accountBackends().find((b) => b.name === "mysql");

Deno.test({
  name: "[mysql] owners demoting each other through two instances at once keep one owner",
  ignore: !mysql || !mysqlBackend,
  fn: () =>
    withTwoInstances(mysqlBackend!, async (a, b) => {
      const ann = await userOnBoth(a, b, "ann@example.org");
      const bob = await userOnBoth(a, b, "bob@example.org");
      for (let round = 0; round < 10; round++) {
        const rid = (await ann.onA("POST", R, { name: `Race ${round}` })).body.id;
        await addMember(ann, rid, bob.email, "owner");
        const statuses = await race(
          ann.onA,
          bob.onB,
          round % 2 === 0
            ? ["PATCH", memberPath(rid, bob.email), memberPath(rid, ann.email)]
            : ["DELETE", memberPath(rid, ann.email), memberPath(rid, bob.email)],
        );
        assert.equal(statuses.filter((s) => s < 300).length, 1, `round ${round}: ${statuses}`);
        assert.ok(statuses.every((s) => [200, 204, 403, 404, 409].includes(s)), `${statuses}`);
        const members = (await ann.onA("GET", `${R}/${rid}/members`)).body as { role: string }[];
        const fromB = (await bob.onB("GET", `${R}/${rid}/members`)).body as { role: string }[];
        const owners = [members, fromB].find((list) => Array.isArray(list))!
          .filter((m) => m.role === "owner");
        assert.equal(owners.length, 1, `round ${round}: one owner is left`);
      }
    }),
});

/** Ann and Bob change each other (or leave) at the same moment; the statuses, Ann's first. */
async function race(
  ann: ApiCall,
  bob: ApiCall,
  [method, annTarget, bobTarget]: [string, string, string],
): Promise<number[]> {
  const body = method === "PATCH" ? { role: "viewer" } : undefined;
  const answers = await Promise.all([
    ann(method, annTarget, body),
    bob(method, bobTarget, body),
  ]);
  return answers.map((res) => res.status);
}

Deno.test("[sqlite] two app processes on one database file keep one owner when owners demote each other at once", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "spm-two-processes-" });
  const accounts = openAccountsDb(null, dataDir);
  const hash = await hashPassword(PASSWORD, 12); // the app's cost: no rehash at the token step
  for (const name of ["Ann", "Bob"]) {
    await createUser(accounts, {
      name,
      email: `${name.toLowerCase()}@example.org`,
      passwordHash: hash,
    });
  }
  const env = { DATA_DIR: dataDir, SESSION_SECRET: "a-session-secret-for-two-processes-1234" };
  const first = startMain(env);
  let second: ReturnType<typeof startMain> | null = null;
  try {
    await first.waitFor(/Patients: .*\n/);
    second = startMain(env);
    await second.waitFor(/Patients: .*\n/);
    const tokenOn = async (base: string, email: string) => {
      const res = await fetch(`${base}/api/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      assert.equal(res.status, 201);
      return (await res.json()).token as string;
    };
    const caller = (base: string, token: string): ApiCall => async (method, path, body) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        text,
        body: text ? JSON.parse(text) : null,
      };
    };
    const ann = caller(first.base, await tokenOn(first.base, "ann@example.org"));
    const bob = caller(second.base, await tokenOn(second.base, "bob@example.org"));
    for (let round = 0; round < 10; round++) {
      const rid = (await ann("POST", R, { name: `Race ${round}` })).body.id;
      const added = await ann("POST", `${R}/${rid}/members`, {
        email: "bob@example.org",
        role: "owner",
      });
      assert.equal(added.status, 201, added.text);
      assert.equal(
        (await bob("GET", `${R}/${rid}`)).body.role,
        "owner",
        "the other process sees it",
      );
      const statuses = await race(
        ann,
        bob,
        round % 2 === 0
          ? ["PATCH", memberPath(rid, "bob@example.org"), memberPath(rid, "ann@example.org")]
          : ["DELETE", memberPath(rid, "ann@example.org"), memberPath(rid, "bob@example.org")],
      );
      assert.equal(statuses.filter((s) => s < 300).length, 1, `round ${round}: ${statuses}`);
      assert.ok(statuses.every((s) => [200, 204, 403, 404, 409].includes(s)), `${statuses}`);
    }
    const registries = await accounts.db().then((db) =>
      db.selectFrom("registries").select("id").execute()
    );
    for (const { id } of registries) {
      const owners = (await membersOf(accounts, Number(id)))
        .filter((m) => m.role === "owner" && m.status === "active");
      assert.equal(owners.length, 1, `registry ${id} keeps one owner`);
    }
  } finally {
    await second?.stop();
    await first.stop();
    await accounts.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
