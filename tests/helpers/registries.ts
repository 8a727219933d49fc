/**
 * Registries in tests: members holding both an API token and a browser session, calls through
 * either checked against the OpenAPI document, and the usual steps (a team registry, a member).
 */
import assert from "node:assert/strict";
import { type ApiCall, type ApiUser, checkResponse, PASSWORD, registerApiUser } from "./api.ts";
import type { TestApp } from "./app.ts";
import { TestBrowser } from "./test_browser.ts";

/** A registered user with a token (`user.api`) and a logged-in session (`session`). */
export interface Member {
  user: ApiUser;
  browser: TestBrowser;
  /** Calls the API through the browser session (with the page's CSRF token on unsafe calls). */
  session: ApiCall;
}

/** Calls the API through `browser`'s session, each answer checked against the document. */
export function sessionCaller(browser: TestBrowser): ApiCall {
  return async (method, path, body, headers = {}) => {
    const all = new Headers(headers);
    if (body !== undefined) all.set("Content-Type", "application/json");
    if (method !== "GET" && !all.has("X-CSRF-Token")) all.set("X-CSRF-Token", browser.csrf);
    const init: RequestInit = { method, headers: all };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    return checkResponse(method, path, await browser.request(path, init));
  };
}

/** Calls `app` (another instance, say) with a bearer token, each answer checked. */
export function tokenCaller(app: TestApp, token: string): ApiCall {
  return async (method, path, body, headers = {}) => {
    const all = new Headers(headers);
    all.set("Authorization", `Bearer ${token}`);
    if (body !== undefined) all.set("Content-Type", "application/json");
    const init: RequestInit = { method, headers: all };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    return checkResponse(method, path, await app.request(path, init));
  };
}

/** Registers `email` (token and session); the app's OpenAPI document must be loaded. */
export async function newMember(app: TestApp, email: string): Promise<Member> {
  const user = await registerApiUser(app, email);
  const browser = new TestBrowser(app);
  assert.equal((await browser.logIn(email, PASSWORD)).status, 303, `${email} logs in`);
  await browser.get("/patients"); // the page's CSRF token
  assert.ok(browser.csrf, "the session has a CSRF token");
  return { user, browser, session: sessionCaller(browser) };
}

/** Creates a team registry owned by `owner`; returns its id. */
export async function teamRegistry(owner: ApiUser, name = "Stroke unit"): Promise<string> {
  const res = await owner.api("POST", "/api/registries", { name });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

/** `owner` adds `email` to registry `rid` with `role`; returns the member as answered. */
export async function addMember(
  owner: ApiUser,
  rid: string,
  email: string,
  role: "owner" | "editor" | "viewer",
): Promise<Record<string, unknown>> {
  const res = await owner.api("POST", `/api/registries/${rid}/members`, { email, role });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** The path of one member of registry `rid`. */
export function memberPath(rid: string, email: string): string {
  return `/api/registries/${rid}/members/${encodeURIComponent(email)}`;
}
