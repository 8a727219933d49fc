/** Shared by the Chromium suites: pages watched for errors and foreign requests, and steps that fail on them. */
import assert from "node:assert/strict";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { type Served, watchErrors } from "./chromium.ts";

/** A new page in its own context, watched for errors and for requests leaving the app. */
export async function openPage(
  browser: Browser,
  served: Served,
  problems: string[],
  options: BrowserContextOptions = {},
) {
  const page = await (await browser.newContext(options)).newPage();
  watchErrors(page, problems);
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(served.origin)) problems.push(`request left the app: ${url}`);
  });
  return page;
}

/** A test step that also fails on console errors, CSP violations and requests outside the app. */
export function watchedStep(t: Deno.TestContext, problems: string[]) {
  return (name: string, fn: () => Promise<void>) =>
    t.step(name, async () => {
      problems.length = 0;
      await fn();
      assert.deepEqual(problems, [], "console errors, CSP violations or foreign requests");
    });
}
