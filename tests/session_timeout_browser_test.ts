/**
 * The forgiving idle timeout in a real Chromium, with an 8-second timeout: the warning and its
 * keyboard use, "Stay logged in", and a half-typed add form that survives the timeout and a new
 * login, then is forgotten once saved.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  fillAddForm,
  launchChromium,
  PASSWORD,
  registerThrough,
  Screenshots,
  serveApp,
  watchErrors,
} from "./helpers/chromium.ts";

const IDLE_MS = 8_000;
const EMAIL = "ann@example.org";

/** What GET /session says, asked from the page (it does not extend the session). */
function sessionStatus(page: Page): Promise<{ logged_in: boolean; ends_in_ms?: number }> {
  return page.evaluate(async () => (await fetch("/session")).json());
}

/** The text of the focused element. */
function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { activeElement: { textContent: string | null } | null };
    };
    return document.activeElement?.textContent ?? "";
  });
}

/** The drafts the page keeps in sessionStorage. */
function drafts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(globalThis.sessionStorage).filter((key) => key.startsWith("spm-draft:"))
  );
}

Deno.test("in Chromium, the idle timeout warns first and loses nothing typed", async (t) => {
  const served = await serveApp({ sessionIdleMs: IDLE_MS });
  const browser = await launchChromium();
  const shots = new Screenshots();
  const problems: string[] = [];
  const step = (name: string, fn: () => Promise<void>) =>
    t.step(name, async () => {
      problems.length = 0;
      await fn();
      assert.deepEqual(problems, [], "console errors or CSP violations");
    });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    watchErrors(page, problems);
    const { origin } = served;
    const dialog = page.getByRole("dialog");

    await step(
      "the warning appears before the timeout and takes the focus; Escape keeps the session",
      async () => {
        await registerThrough(page, origin, "Ann Clinician", EMAIL);
        await dialog.waitFor({ timeout: IDLE_MS });
        assert.match(await dialog.innerText(), /Are you still there\?[^]*logged out in 0:0\d/);
        assert.equal(await dialog.getAttribute("aria-labelledby"), "session-dialog-title");
        assert.equal(await focusedText(page), "Stay logged in", "the focus is in the dialog");
        await shots.take(page, "warning");
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "hidden" });
        const status = await sessionStatus(page);
        assert.equal(status.logged_in, true);
        assert.ok(status.ends_in_ms! > IDLE_MS - 1_500, `${status.ends_in_ms} ms left`);
      },
    );

    await step('"Stay logged in" extends the session past its first end', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await dialog.waitFor({ timeout: IDLE_MS });
      const endedBy = Date.now() + (await sessionStatus(page)).ends_in_ms!;
      await shots.take(page, "warning-phone");
      await page.getByRole("button", { name: "Stay logged in", exact: true }).click();
      await dialog.waitFor({ state: "hidden" });
      await page.waitForTimeout(Math.max(0, endedBy - Date.now()) + 300);
      assert.equal(
        (await sessionStatus(page)).logged_in,
        true,
        "still logged in after the old end",
      );
      await page.setViewportSize({ width: 1366, height: 768 });
    });

    await step(
      "a half-typed add form survives the timeout and a new login, and goes once saved",
      async () => {
        if (await dialog.isVisible()) {
          await page.getByRole("button", { name: "Stay logged in", exact: true }).click();
        }
        await page.locator("#add-age").fill("71");
        await page.locator("#add-gender").selectOption("Female");
        await page.locator("#add-avg_glucose_level").fill("141.5");
        await dialog.getByRole("heading", { name: "Your session has ended", exact: true }).waitFor({
          timeout: 2 * IDLE_MS,
        });
        assert.equal(await focusedText(page), "Log in again");
        await shots.take(page, "ended");
        await page.getByRole("link", { name: "Log in again", exact: true }).click();
        await page.waitForURL(`${origin}/login?next=%2Fpatients`);
        await page.getByLabel("Email", { exact: true }).fill(EMAIL);
        await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
        await page.getByRole("button", { name: "Log in", exact: true }).click();
        await page.waitForURL(`${origin}/patients`);
        const note = page.locator("#add-patient .draft-note");
        await note.waitFor();
        assert.match(await note.innerText(), /What you typed before is back/);
        assert.equal(await page.locator("#add").getAttribute("open"), "");
        assert.equal(await page.locator("#add-age").inputValue(), "71");
        assert.equal(await page.locator("#add-gender").inputValue(), "Female");
        assert.equal(await page.locator("#add-avg_glucose_level").inputValue(), "141.5");
        await shots.take(page, "restored");

        await fillAddForm(page, { age: "71", gender: "Female", avg_glucose_level: "141.5" });
        await page.getByRole("button", { name: "Add patient", exact: true }).click();
        await page.locator("#patient-status .alert", { hasText: "added" }).waitFor();
        assert.deepEqual(await drafts(page), [], "a saved form's draft is gone");
        await page.reload();
        // With a record in the list the add panel is folded: opened, its form is fresh.
        await page.locator("#add > summary").click();
        await page.locator("#add-age").waitFor();
        assert.equal(await page.locator("#add-age").inputValue(), "");
        assert.equal(await page.locator(".draft-note").count(), 0);
      },
    );
  } finally {
    await browser.close();
    await served.close();
  }
});
