/** API tokens: POST /api/tokens, DELETE /api/tokens/{id}, bearer authentication and the profile's token section. */
import assert from "node:assert/strict";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";

interface TokenBody {
  id: number;
  name: string;
  token: string;
  created_at: string;
}

function postTokens(app: TestApp, body: string, type = "application/json"): Promise<Response> {
  return app.request("/api/tokens", { method: "POST", headers: { "Content-Type": type }, body });
}

async function newToken(app: TestApp, email: string, name?: string): Promise<TokenBody> {
  const res = await postTokens(app, JSON.stringify({ email, password: PASSWORD, name }));
  assert.equal(res.status, 201);
  return await res.json();
}

function deleteToken(app: TestApp, id: number | string, token?: string): Promise<Response> {
  const headers: HeadersInit = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  return app.request(`/api/tokens/${id}`, { method: "DELETE", headers });
}

/** Checks a problem+json answer and returns its body. */
async function problemOf(res: Response, status: number) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("Content-Type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  assert.equal(typeof body.title, "string");
  assert.equal(typeof body.detail, "string");
  return body as { title: string; detail: string; errors?: { field: string; message: string }[] };
}

async function assertUnauthorized(res: Response): Promise<void> {
  await problemOf(res, 401);
  assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer\b/);
}

async function tokenRows(app: TestApp) {
  const db = await app.stores.accounts.db();
  return await db.selectFrom("api_tokens").selectAll().execute();
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, {}, fn));

  test("POST /api/tokens answers 201 with the id, name, token and creation time", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const before = Date.now();
    const res = await postTokens(
      app,
      JSON.stringify({ email: " ANN@example.org", password: PASSWORD, name: "notebook" }),
    );
    assert.equal(res.status, 201);
    assert.match(res.headers.get("Content-Type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("Cache-Control"), "no-store");
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ["created_at", "id", "name", "token"]);
    assert.equal(body.name, "notebook");
    assert.ok(Number.isInteger(body.id) && body.id > 0);
    assert.match(body.token, /^spm_[A-Za-z0-9_-]{40,}$/);
    assert.match(body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Math.abs(Date.parse(body.created_at) - before) < 60_000);
    const unnamed = await newToken(app, "ann@example.org");
    assert.match(unnamed.name, /^API token \d{4}-\d\d-\d\d$/);
    assert.notEqual(unnamed.token, body.token);
  });

  test("POST /api/tokens with a wrong password or unknown email is 401 with WWW-Authenticate", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const wrong = await postTokens(
      app,
      JSON.stringify({ email: "ann@example.org", password: "nope" }),
    );
    const unknown = await postTokens(
      app,
      JSON.stringify({ email: "x@example.org", password: PASSWORD }),
    );
    for (const res of [wrong, unknown]) {
      assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer\b/);
    }
    assert.equal((await problemOf(wrong, 401)).detail, (await problemOf(unknown, 401)).detail);
    assert.deepEqual(await tokenRows(app), []);
  });

  test("POST /api/tokens refuses non-JSON (415), malformed JSON (400) and unknown fields (422)", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const credentials = { email: "ann@example.org", password: PASSWORD };
    await problemOf(await postTokens(app, JSON.stringify(credentials), "text/plain"), 415);
    await problemOf(
      await postTokens(app, "email=ann%40example.org", "application/x-www-form-urlencoded"),
      415,
    );
    await problemOf(await postTokens(app, `{"email": "ann@example.org",`), 400);
    const extra = await problemOf(
      await postTokens(app, JSON.stringify({ ...credentials, admin: true })),
      422,
    );
    assert.deepEqual(extra.errors, [{ field: "admin", message: "Unknown field" }]);
    const missing = await problemOf(
      await postTokens(app, JSON.stringify({ email: "ann@example.org" })),
      422,
    );
    assert.deepEqual(missing.errors?.map((e) => e.field), ["password"]);
    const blank = await problemOf(
      await postTokens(app, JSON.stringify({ ...credentials, name: " " })),
      422,
    );
    assert.deepEqual(blank.errors, [{ field: "name", message: "Give the token a name" }]);
    await problemOf(await postTokens(app, "[]"), 422);
    assert.deepEqual(await tokenRows(app), []);
  });

  test("a token is stored only as a hash", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const { token } = await newToken(app, "ann@example.org", "notebook");
    const rows = await tokenRows(app);
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.token_hash, /^[0-9a-f]{64}$/);
    const stored = JSON.stringify(rows);
    assert.ok(
      !stored.includes(token) && !stored.includes(token.slice(4)),
      "no trace of the secret",
    );
  });

  test("a bearer token authenticates DELETE /api/tokens/{id}, and a revoked one is refused", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const first = await newToken(app, "ann@example.org", "first");
    const second = await newToken(app, "ann@example.org", "second");
    const res = await deleteToken(app, second.id, first.token);
    assert.equal(res.status, 204);
    assert.equal(await res.text(), "");
    assert.deepEqual(res.headers.getSetCookie(), [], "a bearer call starts no session");
    assert.deepEqual((await tokenRows(app)).map((r) => r.id), [first.id]);
    assert.ok((await tokenRows(app))[0]!.last_used_at !== null, "its use is noted");
    await problemOf(await deleteToken(app, second.id, first.token), 404);
    await assertUnauthorized(await deleteToken(app, first.id, second.token));
    assert.equal((await deleteToken(app, first.id, first.token)).status, 204, "even itself");
    await assertUnauthorized(await deleteToken(app, first.id, first.token));
  });

  test("DELETE of another user's token is 404 and leaves it", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    await loggedInBrowser(app, { email: "bob@example.org", page: "/profile" });
    const ann = await newToken(app, "ann@example.org");
    const bob = await newToken(app, "bob@example.org");
    await problemOf(await deleteToken(app, bob.id, ann.token), 404);
    await problemOf(await deleteToken(app, "abc", ann.token), 404);
    await problemOf(await deleteToken(app, "1.5", ann.token), 404);
    assert.equal((await tokenRows(app)).length, 2);
    assert.equal((await deleteToken(app, bob.id, bob.token)).status, 204);
  });

  test("a missing or bad token is a 401 problem+json with WWW-Authenticate: Bearer", async (app) => {
    await loggedInBrowser(app, { page: "/profile" });
    const { id, token } = await newToken(app, "ann@example.org");
    await assertUnauthorized(await deleteToken(app, id));
    const bad = ["", "spm_wrong", `${token}x`, token.slice(4)];
    for (const value of bad) await assertUnauthorized(await deleteToken(app, id, value));
    for (const header of [`Basic ${btoa("ann@example.org:pw")}`, `Token ${token}`, token]) {
      const res = await app.request(`/api/tokens/${id}`, {
        method: "DELETE",
        headers: { Authorization: header },
      });
      await assertUnauthorized(res);
    }
    await assertUnauthorized(await app.request("/api/anything"));
    assert.equal((await tokenRows(app)).length, 1);
  });

  test("the profile lists tokens by name, creation and last use, and shows a new one once", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    assert.match(browser.lastHtml, /You have no API tokens\./);
    const created = await browser.postForm("/profile/tokens", { name: "Nightly <export>" });
    assert.equal(created.status, 201);
    const html = await created.text();
    assert.match(html, /it will not be shown again/);
    const token = /id="new-token"[^>]* value="(spm_[^"]+)"/.exec(html)?.[1];
    assert.ok(token, "the new token is on the page");
    const row = /<tr[^>]*><td>Nightly &lt;export&gt;<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td>/.exec(
      html,
    );
    assert.match(row?.[1] ?? "", /^\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC$/, "created");
    assert.equal(row?.[2], "Never", "last used");
    const again = await (await browser.get("/profile")).text();
    assert.ok(!again.includes(token), "shown once only");
    assert.match(again, /<td>Nightly &lt;export&gt;<\/td>/);
    assert.equal((await deleteToken(app, 999, token)).status, 404, "the token works");
    const used = await (await browser.get("/profile")).text();
    assert.match(used, /<td>Nightly &lt;export&gt;<\/td><td>[^<]+<\/td><td>\d{1,2} \w{3} \d{4}, /);
    const blank = await browser.postForm("/profile/tokens", { name: "  " });
    assert.equal(blank.status, 422);
    assert.match(await blank.text(), /Give the token a name/);
    assert.equal((await tokenRows(app)).length, 1);
  });

  test("revoking a token from the profile ends it, and another user's is not touched", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    await loggedInBrowser(app, { email: "bob@example.org", page: "/profile" });
    const ann = await newToken(app, "ann@example.org", "notebook");
    const bob = await newToken(app, "bob@example.org", "bob's");
    await browser.get("/profile");
    const res = await browser.postForm(`/profile/tokens/${ann.id}/revoke`, {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/profile#tokens");
    const page = await (await browser.get("/profile")).text();
    assert.match(page, /The token is revoked\./);
    assert.match(page, /You have no API tokens\./);
    await assertUnauthorized(await deleteToken(app, 999, ann.token));
    await browser.postForm(`/profile/tokens/${bob.id}/revoke`, {});
    assert.match(await (await browser.get("/profile")).text(), /That token was already revoked\./);
    assert.equal((await deleteToken(app, 999, bob.token)).status, 404, "Bob's token still works");
  });

  test("a session-authenticated DELETE needs the X-CSRF-Token header", async (app) => {
    const browser = await loggedInBrowser(app, { page: "/profile" });
    const { id } = await newToken(app, "ann@example.org");
    const refused = await browser.request(`/api/tokens/${id}`, { method: "DELETE" });
    assert.match((await problemOf(refused, 403)).detail, /expired or was sent from another site/);
    const wrong = await browser.request(`/api/tokens/${id}`, {
      method: "DELETE",
      headers: { "X-CSRF-Token": "not-the-token" },
    });
    await problemOf(wrong, 403);
    assert.equal((await tokenRows(app)).length, 1);
    const allowed = await browser.request(`/api/tokens/${id}`, {
      method: "DELETE",
      headers: { "X-CSRF-Token": browser.csrf },
    });
    assert.equal(allowed.status, 204);
    assert.deepEqual(await tokenRows(app), []);
  });
}
