/**
 * Records in a team registry through the JSON API, on every patient backend: each role may do
 * exactly what the SPEC's table says (a viewer reads and exports de-identified only; a
 * non-member gets 404 everywhere), ids are unique per registry, team records never show in a
 * personal registry or the other way round, a registry-bound token acts in its registry only,
 * and a member removed or demoted is refused at their very next request.
 */
import assert from "node:assert/strict";
import { apiTest, type ApiUser } from "./helpers/api.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const R = "/api/patient_data";

/** A team registry of `owner` with an editor and a viewer; returns its id. */
async function teamOf(owner: ApiUser, editor: ApiUser, viewer: ApiUser): Promise<string> {
  const created = await owner.api("POST", "/api/registries", { name: "Stroke unit" });
  assert.equal(created.status, 201);
  const rid = created.body.id as string;
  for (const [member, role] of [[editor, "editor"], [viewer, "viewer"]] as const) {
    const added = await owner.api("POST", `/api/registries/${rid}/members`, {
      email: member.email,
      role,
    });
    assert.equal(added.status, 201, added.text);
  }
  return rid;
}

const CSV = "id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type," +
  "avg_glucose_level,bmi,smoking_status,stroke\n" +
  "7,Female,61,0,0,Yes,Private,Urban,102.5,27.1,never smoked,0\n";

apiTest("each role may do in a team registry what its row of the table says", async (ctx) => {
  const { user: owner, newUser } = ctx;
  const [editor, viewer, outsider] = [await newUser(), await newUser(), await newUser()];
  const rid = await teamOf(owner, editor, viewer);
  const q = `registry=${rid}`;
  const created = await editor.api("POST", `${R}?${q}`, FIRST_ROW);
  assert.equal(created.status, 201, created.text);

  // status for [owner, editor, viewer, outsider]
  const matrix: [string, string, unknown, number[]][] = [
    ["GET", `${R}?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/${FIRST_ROW.id}?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/${FIRST_ROW.id}/history?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/stats?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/quality?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/deleted?${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/export?format=csv&deidentify=true&${q}`, undefined, [200, 200, 200, 404]],
    ["GET", `${R}/export?format=csv&${q}`, undefined, [200, 200, 403, 404]],
    ["PATCH", `${R}/${FIRST_ROW.id}?${q}`, { bmi: 30.5 }, [200, 200, 403, 404]],
    ["POST", `${R}?${q}`, { ...FIRST_ROW, id: 99 }, [201, 409, 403, 404]],
  ];
  const people = [owner, editor, viewer, outsider];
  for (const [method, path, body, statuses] of matrix) {
    for (const [i, person] of people.entries()) {
      const res = await person.api(method, path, body);
      assert.equal(
        res.status,
        statuses[i],
        `${method} ${path} as ${["owner", "editor", "viewer", "outsider"][i]}`,
      );
      if (res.status === 403) {
        assert.equal(res.body.required_role, "editor");
        assert.match(res.body.detail, /viewer/);
      }
    }
  }
  const dryRun = (person: ApiUser) =>
    ctx.app.request(`${R}/import?dry_run=true&${q}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${person.token}`, "Content-Type": "text/csv" },
      body: CSV,
    });
  assert.deepEqual(
    await Promise.all(people.map(async (p) => (await dryRun(p)).status)),
    [200, 200, 403, 404],
    "an import, even a dry run, needs the editor role",
  );

  // Delete and restore: a viewer may do neither; an editor may.
  assert.equal((await viewer.api("DELETE", `${R}/${FIRST_ROW.id}?${q}`)).status, 403);
  assert.equal((await editor.api("DELETE", `${R}/${FIRST_ROW.id}?${q}`)).status, 204);
  assert.equal((await viewer.api("POST", `${R}/${FIRST_ROW.id}/restore?${q}`)).status, 403);
  assert.equal((await editor.api("POST", `${R}/${FIRST_ROW.id}/restore?${q}`)).status, 200);
});

apiTest("team and personal records never mix, and ids are unique per registry", async (ctx) => {
  const { user: owner, newUser } = ctx;
  const [editor, viewer] = [await newUser(), await newUser()];
  const rid = await teamOf(owner, editor, viewer);
  assert.equal((await owner.api("POST", `${R}?registry=${rid}`, FIRST_ROW)).status, 201);
  // The same id in the owner's personal registry, and in the editor's.
  const personal = { ...FIRST_ROW, bmi: 22.2 };
  assert.equal((await owner.api("POST", R, personal)).status, 201);
  assert.equal((await editor.api("POST", R, personal)).status, 201);

  const team = await viewer.api("GET", `${R}?registry=${rid}`);
  assert.deepEqual(team.body.items.map((p: { bmi: number }) => p.bmi), [FIRST_ROW.bmi]);
  for (const person of [owner, editor]) {
    const own = await person.api("GET", R);
    assert.deepEqual(own.body.items.map((p: { bmi: number }) => p.bmi), [22.2]);
  }
  assert.equal((await viewer.api("GET", R)).body.total, 0, "the viewer's personal registry");
  const stats = await viewer.api("GET", `${R}/stats?registry=${rid}`);
  assert.equal(stats.body.total ?? stats.body.records ?? stats.body.n, 1);
  const csv = await owner.api("GET", `${R}/export?format=csv`);
  assert.doesNotMatch(csv.text, new RegExp(`,${FIRST_ROW.bmi},`), "personal export: no team row");
});

apiTest(
  "a registry-bound token acts in its registry only, never beyond its user's role",
  async (ctx) => {
    const { user: owner, newUser, app } = ctx;
    const [editor, viewer] = [await newUser(), await newUser()];
    const rid = await teamOf(owner, editor, viewer);
    const issued = await app.request("/api/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        email: editor.email,
        password: "correct horse battery staple",
        registry: rid,
      }),
    });
    assert.equal(issued.status, 201);
    const { token } = await issued.json();
    const bound = (method: string, path: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal((await bound("POST", R, FIRST_ROW)).status, 201, "no parameter: its registry");
    assert.equal((await viewer.api("GET", `${R}?registry=${rid}`)).body.total, 1);
    assert.equal((await editor.api("GET", R)).body.total, 0, "not the editor's personal registry");
    const personalId = (await (await bound("GET", "/api/registries")).json())
      .find((r: { personal: boolean }) => r.personal)?.id;
    if (personalId) {
      assert.equal((await bound("GET", `${R}?registry=${personalId}`)).status, 404);
    }
    // Lowered to viewer: the same token may no longer write, at its very next request.
    const lowered = await owner.api("PATCH", `/api/registries/${rid}/members/${editor.email}`, {
      role: "viewer",
    });
    assert.equal(lowered.status, 200);
    assert.equal((await bound("PATCH", `${R}/${FIRST_ROW.id}`, { bmi: 31 })).status, 403);
    // Removed: the token and the user's other token see nothing of it.
    await owner.api("DELETE", `/api/registries/${rid}/members/${editor.email}`);
    assert.equal((await bound("GET", R)).status, 404);
    assert.equal((await editor.api("GET", `${R}?registry=${rid}`)).status, 404);
  },
);
