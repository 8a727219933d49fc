/** The OpenAPI 3.1 document: complete, in step with lib/patient_fields.ts, and true to the app. */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { closeStores } from "../db/stores.ts";
import { openApiDocument } from "../lib/openapi.ts";
import { CATEGORICAL_VALUES, PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { DEFAULT_PER_PAGE, LIST_PARAMETERS, MAX_PER_PAGE } from "../lib/patient_query.ts";
import { validatePatient } from "../lib/patient_validation.ts";
import { createApp } from "../routes/app.tsx";
import { loadAssets } from "../http/assets.ts";
import {
  anonymousApi,
  apiTest,
  checkResponse,
  documentAjv,
  documentedOperations,
  observed,
  responsesNotGiven,
  withApiApp,
} from "./helpers/api.ts";
import { PASSWORD } from "./helpers/chromium.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { testConfig } from "./helpers/app.ts";
import { patientBackends } from "./helpers/backends.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const doc: Json = openApiDocument();
const schemas = doc.components.schemas;
const CHANGEABLE = PATIENT_FIELDS.filter((f) => f !== "id");
const PUBLIC = [
  "post /api/tokens",
  "get /api/openapi.json",
  "get /api/patient_data/import/template",
  "get /api/admissions/import/template",
  "get /api/codebook",
];
const operations = () => documentedOperations(doc);

apiTest("GET /api/openapi.json serves the OpenAPI 3.1.0 document to anyone", async ({ app }) => {
  const res = await anonymousApi(app)("GET", "/api/openapi.json");
  assert.equal(res.status, 200);
  assert.equal(res.body.openapi, "3.1.0");
  assert.deepEqual(res.body, JSON.parse(JSON.stringify(doc)));
});

Deno.test("every /api route of the app has a path entry with its methods, and no other", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-openapi-" });
  const stores = { accounts: openAccountsDb(null, dir), patients: openSqlitePatientStore(dir) };
  try {
    const app = createApp({
      config: testConfig({ dataDir: dir }),
      stores,
      assets: await loadAssets(),
      log: () => {},
    });
    const routes = app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = operations().map(([path, method]) => `${method} ${path}`);
    assert.deepEqual([...new Set(routes)].sort(), documented.sort());
  } finally {
    await closeStores(stores);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the list parameters are documented with the values the parser accepts", () => {
  const params: Json[] = doc.paths["/api/patient_data"].get.parameters;
  assert.deepEqual(params.map((p) => p.name), [...LIST_PARAMETERS, "registry"]);
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const p of params) assert.deepEqual([p.in, p.required], ["query", false], p.name);
  for (const [field, values] of Object.entries(CATEGORICAL_VALUES)) {
    assert.deepEqual(byName.get(field).schema.enum, [...values], field);
  }
  const sort = byName.get("sort").schema;
  assert.deepEqual(sort.enum.sort(), PATIENT_FIELDS.flatMap((f) => [f, `-${f}`]).sort());
  const perPage = byName.get("per_page").schema;
  assert.deepEqual([perPage.minimum, perPage.maximum, perPage.default], [
    1,
    MAX_PER_PAGE,
    DEFAULT_PER_PAGE,
  ]);
});

Deno.test("the Patient schemas' fields, required lists and enums are lib/patient_fields.ts's", () => {
  const patient = schemas.Patient;
  const withTimes = [...PATIENT_FIELDS, "created_at", "updated_at"];
  assert.deepEqual(patient.required, withTimes);
  assert.deepEqual(Object.keys(patient.properties), withTimes);
  // A stored record's field is as the rules say, or (the original app's) as stored.
  const rules = (field: string) => patient.properties[field].anyOf[0];
  for (const field of PATIENT_FIELDS) {
    assert.match(patient.properties[field].anyOf[1].description, /original app/, field);
  }
  for (const [field, values] of Object.entries(CATEGORICAL_VALUES)) {
    assert.deepEqual(rules(field).enum, [...values], field);
  }
  for (const time of ["created_at", "updated_at"]) {
    assert.deepEqual(
      patient.properties[time].anyOf.map((s: Json) => s.format ?? s.type),
      ["date-time", "null"],
    );
  }
  const id = rules("id");
  assert.deepEqual([id.type, id.minimum, id.maximum], ["integer", 1, 2 ** 31 - 1]);
  assert.deepEqual(rules("bmi").anyOf.map((s: Json) => s.type).sort(), ["null", "number"]);
  for (const name of ["NewPatient", "PatientReplacement"]) {
    assert.deepEqual(schemas[name].required, CHANGEABLE, name);
    assert.deepEqual(Object.keys(schemas[name].properties).sort(), [...PATIENT_FIELDS].sort());
  }
  assert.equal(schemas.PatientChanges.required, undefined);
  assert.deepEqual(Object.keys(schemas.PatientChanges.properties), CHANGEABLE);
  for (const name of ["Patient", "NewPatient", "PatientReplacement", "PatientChanges"]) {
    assert.equal(schemas[name].additionalProperties, false, `${name} refuses unknown fields`);
  }
});

/** Bodies for the agreement check: the document and the validator must judge them alike. */
const BODIES: Record<string, unknown>[] = [
  {},
  { age: 0.08 },
  { age: 0 },
  { age: 120 },
  { age: 120.01 },
  { age: "67" },
  { avg_glucose_level: 1000 },
  { avg_glucose_level: 0 },
  { bmi: null },
  { bmi: 5 },
  { bmi: 4.99 },
  { bmi: 150 },
  { bmi: 150.5 },
  { stroke: 1 },
  { stroke: 0.5 },
  { stroke: true },
  { gender: "Other" },
  { gender: "other" },
  { work_type: "Never_worked" },
  { smoking_status: "never smoked" },
  { id: 2 ** 31 - 1 },
  { id: 0 },
  { id: 1.5 },
  { user_id: 1 },
  { $where: "1" },
  { age: { $gt: 0 } },
  { created_at: "2020-01-01T00:00:00.000Z" },
];

Deno.test("the document's body schemas and the validator accept and refuse the same bodies", () => {
  const ajv = documentAjv(doc);
  const create = ajv.compile({
    $ref: "https://spm.test/openapi.json#/components/schemas/NewPatient",
  });
  const patch = ajv.compile({
    $ref: "https://spm.test/openapi.json#/components/schemas/PatientChanges",
  });
  for (const body of BODIES) {
    const full = { ...samplePatient(), ...body };
    const what = JSON.stringify(body);
    assert.equal(create(full), validatePatient(full, "create").ok, `create ${what}`);
    if ("id" in body || Object.keys(body).length === 0) continue;
    assert.equal(patch(body), validatePatient(body, "patch").ok, `patch ${what}`);
  }
});

Deno.test("every operation documents its errors as problem+json, and 401 unless public", () => {
  for (const [path, method, operation] of operations()) {
    const name = `${method} ${path}`;
    const isPublic = PUBLIC.includes(name);
    assert.equal(
      Array.isArray(operation.security) && operation.security.length === 0,
      isPublic,
      `${name} ${isPublic ? "needs no" : "needs"} credentials`,
    );
    for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
      if (Number(status) < 400) continue;
      assert.deepEqual(Object.keys(response.content), ["application/problem+json"], name);
      assert.deepEqual(response.content["application/problem+json"].schema, {
        $ref: "#/components/schemas/Problem",
      });
    }
    if (!isPublic) assert.ok(operation.responses["401"]?.headers["WWW-Authenticate"], name);
  }
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), [
    "bearerAuth",
    "sessionCookie",
  ]);
});

Deno.test({
  name: "the document refuses the empty PATCH body that the validator refuses",
  fn() {
    const patch = documentAjv(doc).compile({
      $ref: "https://spm.test/openapi.json#/components/schemas/PatientChanges",
    });
    assert.equal(validatePatient({}, "patch").ok, false);
    assert.equal(patch({}), false);
  },
});

apiTest("a token request over the size limit answers the documented 413", async ({ app }) => {
  const big = JSON.stringify({ email: "a@example.org", password: "x".repeat(300 * 1024) });
  assert.equal((await anonymousApi(app)("POST", "/api/tokens", big)).status, 413);
});

apiTest(
  "the response checker refuses an undocumented status, media type, body or header",
  async () => {
    const json = { "Content-Type": "application/json" };
    const time = new Date().toISOString();
    const stored = { ...samplePatient({ id: 1 }), created_at: time, updated_at: time };
    const bad: [string, string, Response][] = [
      ["GET", "/api/patient_data", new Response("{}", { status: 418, headers: json })],
      [
        "GET",
        "/api/patient_data",
        new Response("<p>", { headers: { "Content-Type": "text/html" } }),
      ],
      ["GET", "/api/patient_data", new Response('{"items":"x"}', { headers: json })],
      [
        "GET",
        "/api/patient_data/1",
        new Response(JSON.stringify(samplePatient()), { headers: json }),
      ],
      ["GET", "/api/nowhere", new Response("{}", { headers: json })],
      [
        "POST",
        "/api/patient_data",
        new Response(JSON.stringify(stored), { status: 201, headers: json }),
      ],
    ];
    for (const [method, path, res] of bad) {
      await assert.rejects(checkResponse(method, path, res), assert.AssertionError, path);
    }
  },
);

const P = "/api/patient_data";

for (const backend of patientBackends()) {
  Deno.test(`[${backend.name}] the app gives every documented response of the token and record operations`, () =>
    withApiApp(backend, async ({ app, user, newUser, browser, sessionApi }) => {
      const session = sessionApi(await browser());
      observed.clear();
      const anon = anonymousApi(app);
      const text = { "Content-Type": "text/plain" };
      const big = JSON.stringify({ padding: "x".repeat(300 * 1024) });
      const creds = { email: user.email, password: PASSWORD };
      const token = await anon("POST", "/api/tokens", creds);
      await anon("POST", "/api/tokens", { ...creds, registry: "tnosuchregistryhere" });
      await anon("POST", "/api/tokens", "{", { "Content-Type": "application/json" });
      await anon("POST", "/api/tokens", { ...creds, extra: 1 });
      await anon("POST", "/api/tokens", JSON.stringify(creds), text);
      await anon("POST", "/api/tokens", { ...creds, password: "x".repeat(300 * 1024) });
      for (let i = 0; i < 10; i++) {
        const res = await anon("POST", "/api/tokens", { ...creds, password: "wrong" });
        if (res.status === 429) break;
      }
      await session("DELETE", `/api/tokens/${token.body.id}`);
      await anon("DELETE", `/api/tokens/${token.body.id}`);
      await user.api("DELETE", `/api/tokens/${token.body.id}`);
      await user.api("DELETE", `/api/tokens/${token.body.id}`);
      await anon("GET", "/api/openapi.json");
      for (const path of [P, `${P}/1`]) await anon("GET", path);
      await user.api("GET", P);
      await user.api("GET", `${P}?page=0`);
      await user.api("GET", `${P}/1`);
      const created = await user.api("POST", P, samplePatient({ id: 1 }));
      const etag = created.headers.get("ETag")!;
      await user.api("GET", `${P}/1`);
      await user.api("GET", `${P}/1`, undefined, { "If-None-Match": etag });
      const writes: [string, string][] = [["POST", P], ["PUT", `${P}/1`], ["PATCH", `${P}/1`]];
      for (const [method, path] of writes) {
        const body = method === "PATCH" ? { age: 50 } : samplePatient({ id: 1 });
        await anon(method, path, body);
        await session(method, path, body);
        await user.api(method, path, "{");
        await user.api(method, path, big);
        await user.api(method, path, JSON.stringify(body), text);
        await user.api(method, path, { ...body, age: "50" });
        await user.api(method, path, body);
      }
      for (const method of ["PUT", "PATCH"]) {
        const body = method === "PUT" ? samplePatient() : { age: 5 };
        await user.api(method, `${P}/2`, body);
        await user.api(method, `${P}/1`, body, { "If-Match": etag });
      }
      await anon("DELETE", `${P}/1`);
      await session("DELETE", `${P}/1`);
      await user.api("DELETE", `${P}/1`, undefined, { "If-Match": etag });
      await user.api("DELETE", `${P}/1`);
      await user.api("DELETE", `${P}/1`);
      // In a registry the caller is not a member of (404), and as a viewer of one (403).
      const elsewhere = `registry=tnosuchregistryhere`;
      await user.api("POST", `${P}?${elsewhere}`, samplePatient({ id: 3 }));
      await user.api("GET", `${P}?${elsewhere}`);
      const team = await user.api("POST", "/api/registries", { name: "Team" });
      const viewer = await newUser();
      await user.api("POST", `/api/registries/${team.body.id}/members`, {
        email: viewer.email,
        role: "viewer",
      });
      const inTeam = `registry=${team.body.id}`;
      await user.api("POST", `${P}?${inTeam}`, samplePatient({ id: 3 }));
      await viewer.api("GET", `${P}/3?${inTeam}`);
      await viewer.api("POST", `${P}?${inTeam}`, samplePatient({ id: 4 }));
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const body = method === "DELETE"
          ? undefined
          : method === "PUT"
          ? samplePatient()
          : { age: 5 };
        await viewer.api(method, `${P}/3?${inTeam}`, body);
      }
      const missing = responsesNotGiven(["tokens", "patients", "meta"]);
      assert.deepEqual(missing, [], "documented responses the app never gave");
    }));
}
