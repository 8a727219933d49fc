/** The API's strict input (422, 413, 415, 400, injection attempts) and its authentication. */
import assert from "node:assert/strict";
import { anonymousApi, type ApiApp, apiTest, errorFields } from "./helpers/api.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const URL = "/api/patient_data";

/** The calls that send a body, on the record `id`. */
function writes(id: number): [string, string][] {
  return [["POST", URL], ["PUT", `${URL}/${id}`], ["PATCH", `${URL}/${id}`]];
}

/** Asserts that the user has no patient at all, through the API and in the store. */
async function assertNothingStored({ user, patients }: ApiApp): Promise<void> {
  assert.equal((await user.api("GET", URL)).body.total, 0);
  assert.equal(await patients.count(user.id), 0);
}

/** Bodies the create refuses, and the fields each 422 must name. */
const INVALID: [string, Record<string, unknown>, string[]][] = [
  ["a number sent as text", { age: "67" }, ["age"]],
  ["a flag sent as a boolean", { stroke: true }, ["stroke"]],
  ["a null outside bmi", { gender: null }, ["gender"]],
  ["an age of 0", { age: 0 }, ["age"]],
  ["an age over 120", { age: 120.5 }, ["age"]],
  ["a glucose level of 0", { avg_glucose_level: 0 }, ["avg_glucose_level"]],
  ["a glucose level over 1000", { avg_glucose_level: 1000.01 }, ["avg_glucose_level"]],
  ["a bmi under 5", { bmi: 4.9 }, ["bmi"]],
  ["a bmi over 150", { bmi: 150.1 }, ["bmi"]],
  ["the CSV's N/A as bmi", { bmi: "N/A" }, ["bmi"]],
  ["a flag of 2", { hypertension: 2 }, ["hypertension"]],
  ["a lower-case category", { gender: "male", work_type: "private" }, ["gender", "work_type"]],
  ["a category with spaces", { Residence_type: "Urban " }, ["Residence_type"]],
  ["an id of 0", { id: 0 }, ["id"]],
  ["a fractional id", { id: 1.5 }, ["id"]],
  ["an id past 2^31-1", { id: 2 ** 31 }, ["id"]],
  ["an id sent as text", { id: "5" }, ["id"]],
  ["an unknown field", { name: "Ann" }, ["name"]],
  ["a wrongly cased field", { residence_type: "Urban" }, ["residence_type"]],
  ["user_id", { user_id: 2 }, ["user_id"]],
  ["created_at", { created_at: "2020-01-01T00:00:00.000Z" }, ["created_at"]],
  ["updated_at and revision", { updated_at: "x", revision: "r" }, ["revision", "updated_at"]],
  ["_id", { _id: "0123456789abcdef01234567" }, ["_id"]],
  ["an operator object as a value", { age: { $gt: 0 } }, ["age"]],
  ["an operator object as a text value", { gender: { $ne: "" } }, ["gender"]],
  ["an operator object as the id", { id: { $gt: 0 } }, ["id"]],
  ["a $where key", { $where: "1" }, ["$where"]],
  ["a dotted key", { "gender.x": 1 }, ["gender.x"]],
  ["a $set key", { $set: { user_id: 2 } }, ["$set"]],
  ["a __proto__ key", JSON.parse('{"__proto__": {"age": 1}}'), ["__proto__"]],
  ["a list as a value", { smoking_status: ["smokes"] }, ["smoking_status"]],
];

apiTest(
  "POST /api/patient_data answers 422 naming each bad field, and stores nothing",
  async (ctx) => {
    for (const [what, changes, fields] of INVALID) {
      const res = await ctx.user.api("POST", URL, { ...samplePatient(), ...changes });
      assert.equal(res.status, 422, what);
      assert.deepEqual(errorFields(res), fields, `${what} names ${fields}`);
    }
    await assertNothingStored(ctx);
  },
);

apiTest("a body with many problems answers 422 naming every one of them", async (ctx) => {
  const { stroke: _stroke, ...partial } = samplePatient();
  const body = { ...partial, age: "67", gender: "x", bmi: 1, colour: "red", user_id: 1 };
  const res = await ctx.user.api("POST", URL, body);
  assert.equal(res.status, 422);
  assert.deepEqual(errorFields(res), ["age", "bmi", "colour", "gender", "stroke", "user_id"]);
  assert.ok(res.body.errors.every((e: { message: string }) => e.message.length > 0));
  await assertNothingStored(ctx);
});

apiTest("the edges of every range are accepted", async ({ user }) => {
  const edges = [
    { age: 0.08, avg_glucose_level: 0.01, bmi: 5 },
    { age: 120, avg_glucose_level: 1000, bmi: 150 },
    { bmi: null, gender: "Other", work_type: "Self-employed", smoking_status: "Unknown" },
  ];
  for (const changes of edges) {
    const res = await user.api("POST", URL, samplePatient(changes));
    assert.equal(res.status, 201, JSON.stringify(changes));
    assert.deepEqual({ ...res.body, ...changes }, res.body);
  }
});

apiTest("PUT and PATCH refuse injection attempts with 422 and change nothing", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 1 }));
  for (const [what, changes, fields] of INVALID) {
    if (fields.includes("id")) continue;
    const put = await user.api("PUT", `${URL}/1`, { ...samplePatient(), ...changes });
    assert.equal(put.status, 422, `PUT with ${what}`);
    assert.deepEqual(errorFields(put), fields, `PUT with ${what}`);
    const patch = await user.api("PATCH", `${URL}/1`, changes);
    assert.equal(patch.status, 422, `PATCH with ${what}`);
    assert.deepEqual(errorFields(patch), fields, `PATCH with ${what}`);
  }
  assert.deepEqual((await user.api("GET", `${URL}/1`)).body, created.body);
});

apiTest("a JSON body that is not an object answers 422", async (ctx) => {
  for (const body of ["[]", '"patient"', "null", "42", JSON.stringify([samplePatient()])]) {
    assert.equal((await ctx.user.api("POST", URL, body)).status, 422, body);
  }
  await assertNothingStored(ctx);
});

apiTest("malformed JSON answers 400 problem+json and stores nothing", async (ctx) => {
  await ctx.user.api("POST", URL, samplePatient({ id: 2 }));
  for (const body of ["{", "", "{'age': 67}", '{"age": 67,}', '{"id": 1} {"id": 2}', "NaN"]) {
    for (const [method, path] of writes(2)) {
      const res = await ctx.user.api(method, path, body);
      assert.equal(res.status, 400, `${method} ${JSON.stringify(body)}`);
    }
  }
  assert.equal((await ctx.user.api("GET", URL)).body.total, 1);
});

apiTest("a body over the size limit answers 413 problem+json and stores nothing", async (ctx) => {
  await ctx.user.api("POST", URL, samplePatient({ id: 3 }));
  const big = JSON.stringify({ ...samplePatient(), padding: "x".repeat(1024 * 1024) });
  for (const [method, path] of writes(3)) {
    const res = await ctx.user.api(method, path, big);
    assert.equal(res.status, 413, method);
  }
  assert.equal((await ctx.user.api("GET", URL)).body.total, 1);
});

apiTest("a body that is not JSON answers 415 problem+json and stores nothing", async (ctx) => {
  await ctx.user.api("POST", URL, samplePatient({ id: 4 }));
  const json = JSON.stringify(samplePatient());
  const types = ["text/plain", "application/x-www-form-urlencoded", "text/csv", "application/xml"];
  for (const [method, path] of writes(4)) {
    for (const type of types) {
      const res = await ctx.user.api(method, path, json, { "Content-Type": type });
      assert.equal(res.status, 415, `${method} as ${type}`);
    }
  }
  assert.equal((await ctx.user.api("GET", URL)).body.total, 1);
});

apiTest(
  "a missing or bad bearer token answers 401 with WWW-Authenticate: Bearer",
  async ({ app, user }) => {
    await user.api("POST", URL, samplePatient({ id: 5 }));
    const anonymous = anonymousApi(app);
    const headers: Record<string, string>[] = [
      {},
      { Authorization: "Bearer nope" },
      { Authorization: `Bearer ${user.token}x` },
      { Authorization: `Basic ${btoa("user1@example.org:pw")}` },
      { Authorization: "Bearer" },
      { Authorization: user.token },
    ];
    const calls: [string, string, unknown][] = [
      ["GET", URL, undefined],
      ["POST", URL, samplePatient()],
      ["GET", `${URL}/5`, undefined],
      ["PUT", `${URL}/5`, samplePatient()],
      ["PATCH", `${URL}/5`, { age: 1 }],
      ["DELETE", `${URL}/5`, undefined],
    ];
    for (const header of headers) {
      for (const [method, path, body] of calls) {
        const res = await anonymous(method, path, body, header);
        const what = `${method} ${path} with ${JSON.stringify(header)}`;
        assert.equal(res.status, 401, what);
        assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer\b/, what);
        assert.equal(res.headers.get("Content-Type"), "application/problem+json", what);
      }
    }
    assert.equal((await user.api("GET", `${URL}/5`)).body.age, 67);
  },
);

apiTest("a browser session may read the API, and write with its CSRF token", async (ctx) => {
  const browser = await ctx.browser();
  const session = ctx.sessionApi(browser);
  await ctx.user.api("POST", URL, samplePatient({ id: 6 }));
  assert.equal((await session("GET", URL)).body.total, 1);
  assert.equal((await session("GET", `${URL}/6`)).status, 200);
  const csrf = { "X-CSRF-Token": browser.csrf };
  const created = await session("POST", URL, samplePatient({ id: 7 }), csrf);
  assert.equal(created.status, 201);
  assert.equal((await session("PATCH", `${URL}/7`, { age: 8 }, csrf)).body.age, 8);
  assert.equal((await session("PUT", `${URL}/7`, samplePatient(), csrf)).status, 200);
  assert.equal((await session("DELETE", `${URL}/7`, undefined, csrf)).status, 204);
});

apiTest("a browser session's unsafe API call without the CSRF token answers 403", async (ctx) => {
  const browser = await ctx.browser();
  const session = ctx.sessionApi(browser);
  const created = await ctx.user.api("POST", URL, samplePatient({ id: 8 }));
  const forged: Record<string, string>[] = [{}, { "X-CSRF-Token": "forged" }];
  for (const headers of forged) {
    const what = JSON.stringify(headers);
    assert.equal((await session("POST", URL, samplePatient(), headers)).status, 403, what);
    assert.equal((await session("PUT", `${URL}/8`, samplePatient(), headers)).status, 403, what);
    assert.equal((await session("PATCH", `${URL}/8`, { age: 1 }, headers)).status, 403, what);
    assert.equal((await session("DELETE", `${URL}/8`, undefined, headers)).status, 403, what);
  }
  assert.deepEqual((await ctx.user.api("GET", URL)).body.items, [created.body]);
});

apiTest(
  "a browser session's unsafe API call from another origin answers 403, token or not",
  async (ctx) => {
    const browser = await ctx.browser();
    const session = ctx.sessionApi(browser);
    const headers = { "X-CSRF-Token": browser.csrf, Origin: "https://evil.example" };
    assert.equal((await session("POST", URL, samplePatient({ id: 9 }), headers)).status, 403);
    await assertNothingStored(ctx);
  },
);
