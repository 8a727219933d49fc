/** Second-factor helpers: codes of a secret by time step, and a user who has turned 2FA on. */
import assert from "node:assert/strict";
import { totpCode } from "../../lib/totp.ts";
import type { TestApp } from "./app.ts";
import { PASSWORD } from "./fixtures.ts";
import { parseDom, textOf } from "./html.ts";
import { loggedInBrowser } from "./logged_in.ts";
import { TestBrowser } from "./test_browser.ts";

const STEP_MS = 30_000;

/**
 * The code of `secret` for the time step `steps` away from now. Close to the end of a step it
 * first waits for the next one, so that the code is still in the server's window when it arrives.
 */
export async function codeAt(secret: string, steps = 0): Promise<string> {
  const leftInStep = STEP_MS - (Date.now() % STEP_MS);
  if (leftInStep < 1500) await new Promise((resolve) => setTimeout(resolve, leftInStep + 50));
  return totpCode(secret, Date.now() + steps * STEP_MS);
}

/** A code that is none of the three the server accepts now. */
export function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1, 2].map((s) => totpCode(secret, Date.now() + s * STEP_MS)));
  for (let n = 0;; n++) {
    const code = String(n).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

export interface Enrolled {
  browser: TestBrowser;
  email: string;
  secret: string;
  recoveryCodes: string[];
}

/**
 * Registers `email` and turns the second factor on through the profile, confirming with the
 * code of the previous time step (so that the current and next ones are still unused).
 */
export async function enrolled(app: TestApp, email: string): Promise<Enrolled> {
  const browser = await loggedInBrowser(app, { email, page: "/profile" });
  assert.equal((await browser.postForm("/profile/two-factor/setup", {})).status, 303);
  await browser.get("/profile");
  const secret = parseDom(browser.lastHtml).text("#totp-key").replaceAll(" ", "");
  assert.match(secret, /^[A-Z2-7]{32}$/, "the profile shows the key as base32 text");
  const res = await browser.postForm("/profile/two-factor/enable", {
    code: await codeAt(secret, -1),
  });
  assert.equal(res.status, 200, "a current code turns it on");
  const recoveryCodes = parseDom(await res.text()).all(".recovery-codes li").map(textOf);
  assert.equal(recoveryCodes.length, 10);
  return { browser, email, secret, recoveryCodes };
}

/** Logs in with the password, which leads to the code step; the browser is not logged in yet. */
export async function passwordStep(app: TestApp, email: string, next = ""): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  await browser.get(`/login${next}`);
  const res = await browser.postForm(`/login${next}`, { email, password: PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("Location"), `/login/code${next}`);
  return browser;
}
