/**
 * Helpers for the JSON API suites: an app on a given patient backend, users holding bearer
 * tokens, and a checker that holds every API response to the OpenAPI document the app serves.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import assert from "node:assert/strict";
import { openAccountsDb } from "../../db/accounts/database.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { findUserByEmail } from "../../db/accounts/users.ts";
import { createTestApp, type TestApp, testConfig } from "./app.ts";
import { type Opened, patientBackends } from "./backends.ts";
import { PASSWORD, samplePatient } from "./fixtures.ts";
import { loggedInBrowser } from "./logged_in.ts";
import { TestBrowser } from "./test_browser.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** A response as the suites see it: the body read once, parsed when it is JSON. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: HeadersInit,
) => Promise<ApiResponse>;

export interface ApiUser {
  id: number;
  email: string;
  token: string;
  /** Calls the API with this user's bearer token; a string body is sent as it is. */
  api: ApiCall;
}

export interface ApiApp {
  app: TestApp;
  patients: PatientStore;
  /** The first user, registered for every test. */
  user: ApiUser;
  newUser(): Promise<ApiUser>;
  /** A browser logged in as `user` (session cookie), holding the session's CSRF token. */
  browser(): Promise<TestBrowser>;
  /** Calls the API through a browser session; unsafe methods send no CSRF token unless given. */
  sessionApi(browser: TestBrowser): ApiCall;
}

export { PASSWORD, samplePatient };

const DOC_ID = "https://spm.test/openapi.json";
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/** RFC 3339's date-time (JSON Schema's `date-time`): UTC, or with an offset (admissions). */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

let document: Json = null;
let ajv: Ajv2020 | null = null;
const validators = new Map<string, ValidateFunction<Json>>();
/** Every `METHOD /template STATUS` the suites have received, checked. */
export const observed = new Set<string>();

/** Ajv for JSON Schema 2020-12 holding the whole document, so that its `$ref`s resolve. */
export function documentAjv(doc: Json): Ajv2020 {
  const instance = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  // The document's own top-level keys are not schema keywords.
  instance.addVocabulary(["openapi", "info", "servers", "security", "tags", "paths", "components"]);
  instance.addFormat("date-time", {
    validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
  });
  instance.addSchema(doc, DOC_ID);
  return instance;
}

/** The JSON pointer of a path in the document (`/` and `~` escaped). */
export function pointer(...parts: string[]): string {
  return parts.map((p) => "/" + p.replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/**
 * The document's path template that `path` falls under, or undefined; a literal segment wins
 * over a parameter (`/api/patient_data/import` is not `/api/patient_data/{id}`), as in the app.
 */
export function templateOf(doc: Json, path: string): string | undefined {
  const parameters = (template: string) => template.split("{").length;
  return Object.keys(doc.paths).filter((template) => {
    const pattern = template.replace(/\{[^}]+\}/g, "[^/]+");
    return new RegExp(`^${pattern}$`).test(path);
  }).sort((a, b) => parameters(a) - parameters(b))[0];
}

/** Loads the document the app serves, once, for `checkResponse` and the `ApiCall`s. */
export async function loadDocument(app: TestApp): Promise<void> {
  if (document) return;
  const res = await app.request("/api/openapi.json");
  assert.equal(res.status, 200, "GET /api/openapi.json answers 200");
  document = await res.json();
  ajv = documentAjv(document);
}

const METHODS = ["get", "put", "post", "delete", "patch"];

/** Every operation of the served document as [path, method, operation]. */
export function documentedOperations(doc: Json = document): [string, string, Json][] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m): [string, string, Json] => [path, m, item[m]])
  );
}

/**
 * The documented responses (but 503) of the operations tagged with one of `tags` that no
 * checked call has received yet, as `METHOD /template STATUS`.
 */
export function responsesNotGiven(tags: readonly string[]): string[] {
  return documentedOperations().filter(([, , operation]) =>
    (operation.tags as string[]).some((tag) => tags.includes(tag))
  ).flatMap(([path, method, operation]) =>
    Object.keys(operation.responses).filter((status) => status !== "503")
      .map((status) => `${method.toUpperCase()} ${path} ${status}`)
  ).filter((call) => !observed.has(call));
}

/** Holds a response to the document: a documented status, media type, body and headers. */
export async function checkResponse(
  method: string,
  path: string,
  res: Response,
): Promise<ApiResponse> {
  const text = await res.text();
  const call = `${method} ${path} → ${res.status}`;
  const urlPath = new URL(path, "http://x").pathname;
  const template = templateOf(document, urlPath);
  assert.ok(template, `${call}: the path is not in the OpenAPI document`);
  const operation = document.paths[template][method.toLowerCase()];
  assert.ok(operation, `${call}: the method is not in the OpenAPI document`);
  const spec = operation.responses[String(res.status)];
  assert.ok(spec, `${call}: the status is not documented (${text.slice(0, 200)})`);
  observed.add(`${method} ${template} ${res.status}`);
  for (const name of Object.keys(spec.headers ?? {})) {
    assert.ok(res.headers.has(name), `${call}: the documented ${name} header is missing`);
  }
  const mediaType = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
  let body: Json = null;
  if (!spec.content) {
    assert.equal(text, "", `${call}: the document promises no body`);
  } else {
    assert.ok(mediaType in spec.content, `${call}: ${mediaType} is not a documented media type`);
    if (!mediaType.endsWith("json")) {
      return { status: res.status, headers: res.headers, body, text };
    }
    body = JSON.parse(text);
    const at = pointer("paths", template, method.toLowerCase(), "responses", String(res.status));
    const ref = `${DOC_ID}#${at}${pointer("content", mediaType, "schema")}`;
    let validate = validators.get(ref);
    if (!validate) validators.set(ref, validate = ajv!.compile({ $ref: ref }));
    assert.ok(
      validate(body),
      `${call}: the body breaks the document: ${ajv!.errorsText(validate.errors)}\n${text}`,
    );
    if (mediaType === "application/problem+json") {
      assert.equal(body.status, res.status, `${call}: the problem's status is the HTTP status`);
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

function caller(
  send: (path: string, init: RequestInit) => Promise<Response>,
  base: HeadersInit,
): ApiCall {
  return async (method, path, body, headers = {}) => {
    const all = new Headers(base);
    if (body !== undefined) all.set("Content-Type", "application/json");
    for (const [name, value] of new Headers(headers)) all.set(name, value);
    const init: RequestInit = { method, headers: all };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    return checkResponse(method, path, await send(path, init));
  };
}

/** Calls the API with no credentials at all (or whatever `headers` says). */
export function anonymousApi(app: TestApp): ApiCall {
  return caller((path, init) => app.request(path, init), {});
}

/** Registers `email` (password `PASSWORD`) through the pages and gets it an API token. */
export async function registerApiUser(app: TestApp, email: string): Promise<ApiUser> {
  const browser = new TestBrowser(app);
  const res = await browser.register("Test User", email, PASSWORD);
  assert.equal(res.status, 303, `registering ${email} redirects`);
  const created = await anonymousApi(app)("POST", "/api/tokens", {
    email,
    password: PASSWORD,
    name: "tests",
  });
  assert.equal(created.status, 201, created.text);
  const user = await findUserByEmail(app.stores.accounts, email);
  assert.ok(user, `${email} exists`);
  const token = created.body.token as string;
  const api = caller((path, init) => app.request(path, init), {
    Authorization: `Bearer ${token}`,
  });
  return { id: user.id, email, token, api };
}

/**
 * Runs `fn` with a fresh app on `backend` and one registered user; closes everything after.
 * `opened` is the backend's store as opened (with its ways in, for a `PatientBackend`).
 */
export async function withApiApp<O extends Opened<PatientStore>>(
  backend: { name: string; open(): Promise<O> },
  fn: (ctx: ApiApp & { opened: O }) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = Deno.makeTempDirSync({ prefix: "spm-api-" });
  const defaults = testConfig().security;
  const config = testConfig({ dataDir: dir, security: { ...defaults, bcryptCost: 4 } });
  const app = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: opened.value },
    config,
  );
  try {
    await loadDocument(app);
    let users = 0;
    const newUser = () => registerApiUser(app, `user${++users}@example.org`);
    const user = await newUser();
    await fn({
      app,
      opened,
      patients: opened.value,
      user,
      newUser,
      async browser() {
        const browser = await loggedInBrowser(app, { email: user.email, existing: true });
        assert.ok(browser.csrf, "the patients page carries a CSRF token");
        return browser;
      },
      sessionApi: (browser) => caller((path, init) => browser.request(path, init), {}),
    });
  } finally {
    await app.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Registers `name` once per patient backend, as `[backend] name`, each on a fresh app. */
export function apiTest(
  name: string,
  fn: (ctx: ApiApp) => Promise<void>,
  options: { ignore?: boolean } = {},
): void {
  for (const backend of patientBackends()) {
    Deno.test({
      name: `[${backend.name}] ${name}`,
      ignore: options.ignore ?? false,
      fn: () => withApiApp(backend, fn),
    });
  }
}

/** The fields a problem's `errors` names, sorted. */
export function errorFields(res: ApiResponse): string[] {
  return (res.body.errors as { field: string }[]).map((e) => e.field).sort();
}

/** Asserts an ISO 8601 UTC timestamp (`…Z`). */
export function assertIsoUtc(value: unknown, what: string): void {
  assert.equal(typeof value, "string", `${what} is a string`);
  assert.match(value as string, ISO_UTC, `${what} is ISO 8601 UTC`);
  assert.equal(new Date(value as string).toISOString(), value, `${what} round-trips`);
}
