/** The second factor's code is throttled like a password, in the login and in `POST /api/tokens`. */
import assert from "node:assert/strict";
import type { ThrottleRule } from "../config.ts";
import { openApiDocument } from "../lib/openapi.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { anonymousApi, loadDocument } from "./helpers/api.ts";
import { accountBackends } from "./helpers/backends.ts";
import { burst } from "./helpers/concurrency.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";
import { codeAt, enrolled, passwordStep, wrongCode } from "./helpers/two_factor.ts";

const EMAIL = "ann@example.org";
const MINUTE = 60_000;
const LOOSE: ThrottleRule = { limit: 1000, windowMs: MINUTE };
const FIVE = {
  throttle: { account: { limit: 5, windowMs: MINUTE }, client: LOOSE, register: LOOSE },
};

Deno.test("the OpenAPI document lets POST /api/tokens take the second factor's code", () => {
  // deno-lint-ignore no-explicit-any
  const request = (openApiDocument() as any).components.schemas.TokenRequest;
  assert.equal(request.properties.code.type, "string");
  assert.match(request.properties.code.description, /two-factor/);
  assert.deepEqual(request.required.sort(), ["email", "password"]);
});

for (const backend of accountBackends()) {
  const test = (name: string, security: object, fn: (app: TestApp) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, () => withAccountsApp(backend, security, fn));

  test(
    "30 concurrent wrong codes at the login's second step check only the first 5",
    FIVE,
    async (app) => {
      const { secret } = await enrolled(app, EMAIL);
      const browser = await passwordStep(app, EMAIL);
      const counts = await burst(
        Array.from(
          { length: 30 },
          () => () => browser.postForm("/login/code", { code: wrongCode(secret) }),
        ),
      );
      assert.deepEqual(counts, { 401: 5, 429: 25 });
      const right = await browser.postForm("/login/code", { code: await codeAt(secret) });
      assert.equal(right.status, 429, "after the burst even the right code waits");
      assert.match(right.headers.get("Retry-After") ?? "", /^\d+$/);
      assert.match(await right.text(), /Too many failed attempts/);
    },
  );

  test("the right password does not reset the count of wrong codes", FIVE, async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    for (let i = 0; i < 5; i++) {
      const browser = await passwordStep(app, EMAIL);
      const res = await browser.postForm("/login/code", { code: wrongCode(secret) });
      assert.equal(res.status, 401);
    }
    const browser = await passwordStep(app, EMAIL);
    const res = await browser.postForm("/login/code", { code: await codeAt(secret) });
    assert.equal(res.status, 429);
  });

  test("a right code forgets the earlier wrong ones", FIVE, async (app) => {
    const { secret } = await enrolled(app, EMAIL);
    const browser = await passwordStep(app, EMAIL);
    for (let i = 0; i < 4; i++) await browser.postForm("/login/code", { code: wrongCode(secret) });
    assert.equal(
      (await browser.postForm("/login/code", { code: await codeAt(secret) })).status,
      303,
    );
    const again = await passwordStep(app, EMAIL);
    for (let i = 0; i < 4; i++) {
      const res = await again.postForm("/login/code", { code: wrongCode(secret) });
      assert.equal(res.status, 401, `wrong code ${i + 1} after the success is checked`);
    }
  });

  test("POST /api/tokens asks for the code when the second factor is on", FIVE, async (app) => {
    await loadDocument(app);
    const api = anonymousApi(app);
    const creds = { email: EMAIL, password: PASSWORD };
    await new TestBrowser(app).register("Bob", "bob@example.org", PASSWORD);
    const off = await api("POST", "/api/tokens", {
      email: "bob@example.org",
      password: PASSWORD,
      code: "123456",
    });
    assert.equal(off.status, 201, "without the second factor a code is not needed (and ignored)");

    const { secret } = await enrolled(app, EMAIL);
    const missing = await api("POST", "/api/tokens", creds);
    assert.equal(missing.status, 401);
    assert.match(missing.body.detail, /send .* as "code"/);
    assert.match(missing.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
    const wrong = await api("POST", "/api/tokens", { ...creds, code: wrongCode(secret) });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.detail, /not correct/);
    const code = await codeAt(secret);
    const made = await api("POST", "/api/tokens", { ...creds, code, name: "notebook" });
    assert.equal(made.status, 201);
    assert.match(made.body.token, /^spm_/);
    const replay = await api("POST", "/api/tokens", { ...creds, code, name: "again" });
    assert.equal(replay.status, 401, "a used code is not accepted twice");
    const badPassword = await api("POST", "/api/tokens", {
      ...creds,
      password: "wrong",
      code: await codeAt(secret, 1),
    });
    assert.equal(badPassword.status, 401);
    assert.match(badPassword.body.detail, /email or password/);
    const ill = await api("POST", "/api/tokens", { ...creds, code: 123456 });
    assert.equal(ill.status, 422);

    // The success forgot the first wrong code: the replay and these four make five.
    for (let i = 0; i < 4; i++) {
      await api("POST", "/api/tokens", { ...creds, code: wrongCode(secret) });
    }
    const blocked = await api("POST", "/api/tokens", { ...creds, code: await codeAt(secret, 1) });
    assert.equal(blocked.status, 429, "wrong codes are throttled like passwords");
    assert.match(blocked.headers.get("Retry-After") ?? "", /^\d+$/);
  });
}
