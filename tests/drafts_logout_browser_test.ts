/**
 * Drafts leave with the user, in a real Chromium with two tabs of one browser: logging out in one
 * tab removes the other tab's kept form (glucose 234.56) from its sessionStorage at once, that
 * tab says the session ended, and a draft from a logged-out session is never put back after a
 * new login — while a draft that an idle timeout interrupted still is (the forgiving timeout).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  fillAddForm,
  launchChromium,
  logInThrough,
  registerThrough,
  Screenshots,
  serveApp,
  watchErrors,
} from "./helpers/chromium.ts";

const EMAIL = "ann@example.org";
const GLUCOSE = "234.56";

/** Every value the page keeps in sessionStorage (the drafts' contents among them). */
function stored(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify(globalThis.sessionStorage));
}

/** Opens the add form and types a glucose level: the page keeps it as a draft. */
async function typeDraft(page: Page): Promise<void> {
  await fillAddForm(page, { avg_glucose_level: GLUCOSE });
  await page.waitForFunction(
    (glucose) => JSON.stringify(globalThis.sessionStorage).includes(glucose),
    GLUCOSE,
  );
}

Deno.test("in Chromium, logging out in one tab takes the other tab's drafts along", async (t) => {
  const served = await serveApp({ sessionIdleMs: 6_000 });
  const browser = await launchChromium();
  const shots = new Screenshots();
  const problems: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const [first, second] = [await context.newPage(), await context.newPage()];
    for (const page of [first, second]) watchErrors(page, problems);
    const { origin } = served;

    await t.step("a logout in the first tab empties the second tab's drafts", async () => {
      await registerThrough(first, origin, "Ann Clinician", EMAIL);
      await second.goto(`${origin}/patients`);
      await typeDraft(second);
      await first.getByRole("button", { name: "Log out", exact: true }).click();
      await first.waitForURL(/\/login/);
      await second.waitForFunction(
        (glucose) => !JSON.stringify(globalThis.sessionStorage).includes(glucose),
        GLUCOSE,
        { timeout: 3_000 },
      ).catch(() => {});
      assert.doesNotMatch(await stored(second), /234\.56/, "the draft is gone from the other tab");
      const dialog = second.getByRole("dialog");
      await dialog.waitFor({ timeout: 3_000 });
      assert.match(await dialog.innerText(), /You logged out in another tab/);
      await shots.take(second, "other-tab-after-logout");
    });

    await t.step("after a new login, nothing of the ended session comes back", async () => {
      await logInThrough(second, origin, EMAIL);
      assert.equal(await second.locator("#add-avg_glucose_level").inputValue(), "");
      assert.doesNotMatch(await stored(second), /234\.56/);
    });

    await t.step("a draft that the idle timeout interrupted is still put back", async () => {
      await typeDraft(second);
      const dialog = second.getByRole("dialog");
      await dialog.getByText("Your session has ended").waitFor({ timeout: 12_000 });
      await logInThrough(second, origin, EMAIL);
      assert.equal(await second.locator("#add-avg_glucose_level").inputValue(), GLUCOSE);
    });
    assert.deepEqual(problems, [], "console errors or CSP violations");
  } finally {
    await browser.close();
    await served.close();
  }
});
