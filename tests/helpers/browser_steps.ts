/** Shared by the Chromium suites: the app and browser for a test, pages watched for errors and foreign requests, and steps that fail on them. */
import assert from "node:assert/strict";
import type { Browser, BrowserContextOptions } from "playwright-core";
import { launchChromium, Screenshots, serveApp, type Served, watchErrors } from "./chromium.ts";

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

/** What a Chromium suite works with: the app, the browser, screenshots and its steps. */
export interface ChromiumSuite {
  served: Served;
  browser: Browser;
  shots: Screenshots;
  /** What the watched pages reported (see {@link openPage}); each step starts it empty. */
  problems: string[];
  step: ReturnType<typeof watchedStep>;
}

/** The app served on embedded stores and Chromium launched for one test, both closed after it. */
export async function withChromium(
  t: Deno.TestContext,
  body: (suite: ChromiumSuite) => Promise<void>,
): Promise<void> {
  const served = await serveApp();
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    await body({
      served,
      browser,
      shots: new Screenshots(),
      problems,
      step: watchedStep(t, problems),
    });
  } finally {
    await browser.close();
    await served.close();
  }
}
