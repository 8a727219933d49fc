/**
 * Request handling under attack: odd htmx headers, log forging, anonymous visits that would
 * pile up session rows, caching of private pages, huge error lists, client request ids, Host.
 */
import assert from "node:assert/strict";
import { parseDom } from "./helpers/html.ts";
import { MAX_PATIENT_ID } from "../lib/patient_fields.ts";
import {
  bearerToken,
  createTestApp,
  type TestApp,
  testConfig,
  withAccountsApp,
  withPatientsApp,
} from "./helpers/app.ts";
import { accountBackends, patientBackends } from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { formFields } from "./helpers/patients_pages.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const patientForm = (csrf: string, fields: Record<string, unknown> = samplePatient()) =>
  new URLSearchParams({ _csrf: csrf, ...formFields(fields) });

for (const backend of patientBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withPatientsApp(backend, fn));

  test("a malformed HX-Current-URL falls back to the default view on add and delete", async (app) => {
    const browser = await loggedInBrowser(app);
    const headers = {
      "HX-Request": "true",
      "HX-Target": "add",
      "HX-Current-URL": "http://[::1",
      "X-CSRF-Token": browser.csrf,
    };
    const added = await browser.request("/patients", {
      method: "POST",
      headers,
      body: patientForm(browser.csrf, samplePatient({ id: 5 })),
    });
    const html = await added.text();
    assert.equal(added.status, 200, html);
    assert.match(html, /Patient 5 added/);
    assert.equal(parseDom(html).text("#patient-count"), "1–1 of 1 patient");
    const deleted = await browser.request("/patients/5/delete", {
      method: "POST",
      headers,
      body: new URLSearchParams({ id: "5" }),
    });
    assert.equal(deleted.status, 200);
    assert.match(await deleted.text(), /Patient 5 deleted/);
  });

  test("a logged-out htmx request with a malformed HX-Current-URL is sent to log in", async (app) => {
    const res = await app.request("/patients", {
      headers: { "HX-Request": "true", "HX-Current-URL": "http://[::1" },
    });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("HX-Redirect"), "/login?next=%2Fpatients");
  });

  test("after a record with the largest id, a new record gets the lowest free id", async (app) => {
    const browser = await loggedInBrowser(app);
    const patients = app.stores.patients;
    for (const id of [1, 2, 4, MAX_PATIENT_ID]) await patients.create(1, samplePatient({ id }));
    assert.equal((await patients.create(1, samplePatient())).id, 3);
    assert.equal((await patients.create(1, samplePatient())).id, 5);
    const res = await browser.request("/patients", {
      method: "POST",
      body: patientForm(browser.csrf),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/patients?q=6");
  });
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("a password change revokes the account's API tokens, as the form says", async (app) => {
    const browser = await loggedInBrowser(app);
    const token = await bearerToken(app, "ann@example.org");
    const bearer = { Authorization: `Bearer ${token}` };
    const before = await app.request("/api/patient_data", { headers: bearer });
    await before.body?.cancel();
    assert.equal(before.status, 200);
    const profile = await (await browser.get("/profile")).text();
    assert.match(profile, /Changing it logs you out everywhere else and revokes your API tokens/);
    const changed = await browser.postForm("/profile/password", {
      old_password: PASSWORD,
      new_password: "another good password",
      confirm_new_password: "another good password",
    });
    assert.equal(changed.status, 303);
    const after = await app.request("/api/patient_data", { headers: bearer });
    await after.body?.cancel();
    assert.equal(after.status, 401, "the token stopped working");
    const page = await (await browser.get("/profile")).text();
    assert.match(page, /You have no API tokens/);
  });

  test("60 cookieless visits to the login and register pages write no session row", async (app) => {
    const db = await app.stores.accounts.db();
    for (let i = 0; i < 30; i++) {
      for (const path of ["/login", "/register"]) {
        const res = await app.request(path);
        assert.match(await res.text(), /name="_csrf" value="[^"]+"/, "the form has a CSRF value");
      }
    }
    const rows = await db.selectFrom("sessions").select("id").execute();
    assert.equal(rows.length, 0);
  });

  test("a logged-out form needs the CSRF value of its own signed cookie", async (app) => {
    await new TestBrowser(app).register("Ann", "ann@example.org", PASSWORD);
    const browser = new TestBrowser(app);
    await browser.get("/login");
    const good = browser.csrf;
    assert.ok(good);
    const forged = await browser.postForm("/login", {
      email: "ann@example.org",
      password: PASSWORD,
      _csrf: "forged",
    });
    assert.equal(forged.status, 403);
    const stranger = new TestBrowser(app);
    await stranger.get("/login");
    const foreign = await stranger.postForm("/login", {
      email: "ann@example.org",
      password: PASSWORD,
      _csrf: good,
    });
    assert.equal(foreign.status, 403, "another browser's value does not fit this cookie");
    const ok = await browser.postForm("/login", { email: "ann@example.org", password: PASSWORD });
    assert.equal(ok.status, 303);
  });

  test("private pages, the logged-in home page and the login page are not stored by caches", async (app) => {
    const anonymous = await app.request("/login");
    await anonymous.body?.cancel();
    assert.equal(anonymous.headers.get("Cache-Control"), "no-store");
    const browser = await loggedInBrowser(app);
    for (const path of ["/", "/patients", "/profile"]) {
      const res = await browser.get(path);
      await res.body?.cancel();
      assert.equal(res.headers.get("Cache-Control"), "no-store", path);
    }
  });
}

Deno.test("a 422 for 20,000 unknown keys lists the first 50 and says how many more", async () => {
  const app = await createTestApp();
  try {
    const browser = await loggedInBrowser(app);
    const token = await bearerToken(app, "ann@example.org");
    const body = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 1]));
    const res = await app.request("/api/patient_data", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 422);
    assert.ok(text.length < 20_000, `${text.length} bytes`);
    const problem = JSON.parse(text);
    assert.equal(problem.errors.length, 50);
    assert.match(problem.detail, /20,011 fields have problems/);
    assert.match(problem.detail, /first 50 are listed/);
    assert.ok(browser);
  } finally {
    await app.close();
  }
});

Deno.test("a control character in the path cannot forge a line in the request log", async () => {
  const app = await createTestApp();
  try {
    const before = app.logs.length;
    const res = await app.request("/nope%0A2026-01-01T00:00:00.000Z%20forged%20GET%20/%20200");
    await res.body?.cancel();
    const lines = app.logs.slice(before);
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /[\n\r]/);
    assert.match(lines[0]!, /\\n2026-01-01/);
    // deno-lint-ignore no-control-regex
    assert.ok(app.logs.every((line) => !/[\u0000-\u001f]/.test(line)));
  } finally {
    await app.close();
  }
});

Deno.test("the app makes its own request id and logs the client's beside it", async () => {
  const app = await createTestApp();
  try {
    const res = await app.request("/", { headers: { "X-Request-Id": "client-chosen-id" } });
    await res.body?.cancel();
    const id = res.headers.get("X-Request-Id") ?? "";
    assert.notEqual(id, "client-chosen-id");
    assert.match(id, /^[0-9a-f-]{36}$/);
    const line = app.logs.at(-1) ?? "";
    assert.ok(line.includes(id), line);
    assert.ok(line.includes("client_request_id=client-chosen-id"), line);
  } finally {
    await app.close();
  }
});

Deno.test("with ALLOWED_HOSTS set, a request for another Host answers 400", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-hosts-" });
  const base = testConfig({ dataDir: dir });
  const config = {
    ...base,
    security: { ...base.security, allowedHosts: ["records.example.org", "127.0.0.1:5000"] },
  };
  const app = await createTestApp(undefined, config);
  try {
    const ok = await app.request("/", { headers: { Host: "records.example.org" } });
    await ok.body?.cancel();
    assert.equal(ok.status, 200);
    const local = await app.request("/");
    await local.body?.cancel();
    assert.equal(local.status, 200, "the listed host:port");
    const evil = await app.request("/login", { headers: { Host: "evil.example" } });
    assert.equal(evil.status, 400);
    assert.match(await evil.text(), /not served at this address/);
    const health = await app.request("/healthz", { headers: { Host: "10.0.0.7:5000" } });
    await health.body?.cancel();
    assert.equal(health.status, 200, "load balancers probe the health check by address");
  } finally {
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});
