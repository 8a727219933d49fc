/** Browsers that are logged in (registered through the pages, or logged in again), and the check. */
import assert from "node:assert/strict";
import type { TestApp } from "./app.ts";
import { PASSWORD } from "./fixtures.ts";
import { TestBrowser } from "./test_browser.ts";

export interface LogIn {
  /** The account's email (`ann@example.org`). */
  email?: string;
  /** The name it registers with (`Ann`). */
  name?: string;
  /** Logs in to an account that exists rather than registering it. */
  existing?: boolean;
  /** The page it then opens, for the session's CSRF token (`/patients`). */
  page?: string;
}

/**
 * A browser that has registered (or, with `existing`, logged in) with `PASSWORD` and then opened
 * `page`, so that it holds the session's CSRF token.
 */
export async function loggedInBrowser(app: TestApp, options: LogIn = {}): Promise<TestBrowser> {
  const { email = "ann@example.org", name = "Ann", existing = false, page = "/patients" } = options;
  const browser = new TestBrowser(app);
  const res = existing
    ? await browser.logIn(email, PASSWORD)
    : await browser.register(name, email, PASSWORD);
  assert.equal(res.status, 303, `${existing ? "logging in" : "registering"} ${email} redirects`);
  const opened = await browser.get(page);
  await opened.body?.cancel();
  assert.equal(opened.status, 200, `${page} opens once logged in`);
  return browser;
}

/** True when the browser's session is logged in (the profile answers rather than redirecting). */
export async function isLoggedIn(browser: TestBrowser): Promise<boolean> {
  const res = await browser.get("/profile");
  await res.body?.cancel();
  return res.status === 200;
}
