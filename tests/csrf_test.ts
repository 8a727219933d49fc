/** CSRF: every state-changing form refuses a request without the session's token or from another origin. */
import assert from "node:assert/strict";
import { createApiToken } from "../db/accounts/api_tokens.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import { verifyPassword } from "../lib/passwords.ts";
import { type TestApp, withAccountsApp } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const EMAIL = "ann@example.org";
const EVIL = "https://evil.example";
const REFUSED = /This form has expired or was sent from another site/;

/** A logged-in user with one API token, and a visitor who has the login and register forms open. */
interface Scene {
  app: TestApp;
  user: TestBrowser;
  visitor: TestBrowser;
  tokenId: number;
}

async function scene(app: TestApp, visitorPage: string): Promise<Scene> {
  const user = new TestBrowser(app);
  assert.equal((await user.register("Ann", EMAIL, PASSWORD)).status, 303);
  const { id } = (await findUserByEmail(app.stores.accounts, EMAIL))!;
  const { id: tokenId } = await createApiToken(app.stores.accounts, id, "notebook");
  await user.get("/profile");
  const visitor = new TestBrowser(app);
  await visitor.get(visitorPage);
  return { app, user, visitor, tokenId };
}

async function tokenIds(app: TestApp): Promise<number[]> {
  const db = await app.stores.accounts.db();
  return (await db.selectFrom("api_tokens").select("id").execute()).map((r) => Number(r.id));
}

async function isLoggedIn(browser: TestBrowser): Promise<boolean> {
  const res = await browser.get("/profile");
  await res.body?.cancel();
  return res.status === 200;
}

interface FormRoute {
  path: (s: Scene) => string;
  /** Who sends it: the logged-in user, or the visitor. */
  by: "user" | "visitor";
  fields: Record<string, string>;
  /** True once the form has done what it is for. */
  done: (s: Scene) => Promise<boolean>;
}

const ROUTES: Record<string, FormRoute> = {
  "/register": {
    path: () => "/register",
    by: "visitor",
    fields: {
      name: "Eve",
      email: "eve@example.org",
      password: PASSWORD,
      confirm_password: PASSWORD,
    },
    done: async (s) => (await findUserByEmail(s.app.stores.accounts, "eve@example.org")) !== null,
  },
  "/login": {
    path: () => "/login",
    by: "visitor",
    fields: { email: EMAIL, password: PASSWORD },
    done: (s) => isLoggedIn(s.visitor),
  },
  "/logout": {
    path: () => "/logout",
    by: "user",
    fields: {},
    done: async (s) => !(await isLoggedIn(s.user)),
  },
  "/profile": {
    path: () => "/profile",
    by: "user",
    fields: { name: "Mallory" },
    done: async (s) => (await findUserByEmail(s.app.stores.accounts, EMAIL))?.name === "Mallory",
  },
  "/profile/password": {
    path: () => "/profile/password",
    by: "user",
    fields: {
      old_password: PASSWORD,
      new_password: "chosen by mallory",
      confirm_new_password: "chosen by mallory",
    },
    done: async (s) => {
      const user = await findUserByEmail(s.app.stores.accounts, EMAIL);
      return await verifyPassword("chosen by mallory", user!.passwordHash);
    },
  },
  "/profile/tokens": {
    path: () => "/profile/tokens",
    by: "user",
    fields: { name: "for mallory" },
    done: async (s) => (await tokenIds(s.app)).length === 2,
  },
  "/profile/tokens/{id}/revoke": {
    path: (s) => `/profile/tokens/${s.tokenId}/revoke`,
    by: "user",
    fields: {},
    done: async (s) => !(await tokenIds(s.app)).includes(s.tokenId),
  },
  "/profile/delete": {
    path: () => "/profile/delete",
    by: "user",
    fields: { password: PASSWORD },
    done: async (s) => (await findUserByEmail(s.app.stores.accounts, EMAIL)) === null,
  },
};

async function assertRefused(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 403, what);
  assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/, what);
  assert.match(await res.text(), REFUSED, what);
}

for (const backend of accountBackends()) {
  for (const [name, route] of Object.entries(ROUTES)) {
    Deno.test(
      `[${backend.name}] POST ${name} is refused without the CSRF token, with a wrong one or from another origin`,
      () =>
        withAccountsApp(backend, {}, async (app) => {
          const s = await scene(app, name === "/register" ? "/register" : "/login");
          const browser = route.by === "user" ? s.user : s.visitor;
          const path = route.path(s);
          const form = new URLSearchParams(route.fields);
          const post = (body: BodyInit, headers: HeadersInit = {}) =>
            browser.request(path, { method: "POST", body, headers });
          await assertRefused(await post(form), "no token");
          await assertRefused(
            await browser.postForm(path, { ...route.fields, _csrf: "" }),
            "empty",
          );
          await assertRefused(
            await browser.postForm(path, { ...route.fields, _csrf: "forged" }),
            "forged",
          );
          await assertRefused(
            await browser.postForm(path, route.fields, { Origin: EVIL }),
            "origin",
          );
          await assertRefused(
            await post(form, { "X-CSRF-Token": browser.csrf, Origin: EVIL }),
            "header",
          );
          const json = JSON.stringify(route.fields);
          await assertRefused(await post(json, { "Content-Type": "application/json" }), "JSON");
          assert.equal(await route.done(s), false, "nothing changed");
          assert.equal(await isLoggedIn(s.user), true, "the user is still logged in");

          const res = await post(form, { "X-CSRF-Token": browser.csrf });
          await res.body?.cancel();
          assert.ok([201, 303].includes(res.status), `the header is accepted: ${res.status}`);
          assert.equal(await route.done(s), true, "the form did its work");
        }),
    );
  }

  Deno.test(`[${backend.name}] the CSRF token of another session is refused`, () =>
    withAccountsApp(backend, {}, async (app) => {
      const s = await scene(app, "/login");
      const res = await s.user.postForm("/profile", { name: "Mallory", _csrf: s.visitor.csrf });
      await assertRefused(res, "the visitor's token");
      assert.equal((await findUserByEmail(app.stores.accounts, EMAIL))?.name, "Ann");
      assert.notEqual(s.visitor.csrf, s.user.csrf);
    }));

  Deno.test(`[${backend.name}] a new token is issued at login, so the one from before does not work`, () =>
    withAccountsApp(backend, {}, async (app) => {
      const s = await scene(app, "/login");
      const before = s.visitor.csrf;
      await s.visitor.postForm("/login", { email: EMAIL, password: PASSWORD });
      const res = await s.visitor.postForm("/profile", { name: "Mallory", _csrf: before });
      await assertRefused(res, "the token from before the login");
      await s.visitor.get("/profile");
      assert.notEqual(s.visitor.csrf, before);
    }));

  Deno.test(`[${backend.name}] a page's forms carry one token, which htmx sends too`, () =>
    withAccountsApp(backend, {}, async (app) => {
      const s = await scene(app, "/login");
      const html = s.user.lastHtml;
      // No second copy for htmx: static/app.js sends the forms' token as X-CSRF-Token.
      assert.doesNotMatch(html, /hx-headers|X-CSRF-Token/);
      const fields = [...html.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(fields.length >= 5, "every form of the profile carries it");
      assert.ok(fields.every((value) => value === s.user.csrf));
      const sent = await s.user.request("/profile", {
        method: "POST",
        body: new URLSearchParams({ name: "Ann By Htmx" }),
        headers: { "HX-Request": "true", "X-CSRF-Token": s.user.csrf },
      });
      assert.equal(sent.status, 303, "the forms' token is taken as the header");
    }));
}
