/**
 * The first screen and the small frictions, in a real Chromium at 1366×768 and 390×844: ten
 * patients above the fold with the filters folded into one line, the table's heading in view on
 * a phone, a skip link to the table, the focus after Undo and after a registration mistake,
 * messages that can be dismissed and leave by themselves without covering the table, a pager
 * that looks disabled, and a bad k on the de-identified export said in words.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import {
  fillAddForm,
  focused,
  PASSWORD,
  registerThrough,
  samplePatients,
  waitForFocus,
  waitForHtmx,
} from "./helpers/chromium.ts";

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

/** An element's box on the screen: [left, top, right, bottom]. */
const box = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  });
/** How many patient rows are wholly on the first screen of this height. */
const rowsOnScreen = (page: Page, height: number) =>
  page.locator("#patient-rows > tr").evaluateAll(
    (rows, h) => rows.filter((row) => row.getBoundingClientRect().bottom <= h).length,
    height,
  );
const isOpen = (page: Page) =>
  page.locator("#filters-panel").evaluate((el) => el.hasAttribute("open"));

Deno.test("in Chromium, the patients come first and the small frictions are gone", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin, stores } = served;
    const page = await openPage(browser, served, problems, { viewport: LAPTOP });
    await page.clock.install();
    await registerThrough(page, origin, "Ann Clinician", "ann@example.org");
    await stores.patients.insertMany(1, samplePatients(120, 1));
    await page.goto(`${origin}/patients`);

    await step(
      "at 1366×768 ten rows show; the filters fold into a line, open in the address",
      async () => {
        await shots.take(page, "first-screen-1366");
        const seen = await rowsOnScreen(page, LAPTOP.height);
        assert.ok(seen >= 10, `${seen} patient rows above the fold`);
        const [, top, , bottom] = await box(page, "#filters-panel > summary");
        assert.ok(bottom! - top! < 48, `the filter bar is one line (${bottom! - top!} px)`);
        assert.equal(await page.locator("#filter-gender").isVisible(), false);
        await page.getByText("Filters", { exact: true }).click();
        await page.waitForURL(`${origin}/patients?filters=open`);
        await page.locator("#filter-gender").selectOption("Female");
        await page.waitForURL(`${origin}/patients?gender=Female&filters=open`);
        await page.reload();
        assert.ok(await isOpen(page), "open after a reload");
        assert.match(await page.locator("#filters-panel > summary").innerText(), /\(1 active\)/);
        await page.locator("#filters-panel > summary").click();
        await page.waitForURL(`${origin}/patients?gender=Female`);
        await page.goto(`${origin}/patients`);
      },
    );

    await step(
      "on a phone the first rows show; the heading stays as the table scrolls",
      async () => {
        const phone = await openPage(browser, served, problems, { viewport: PHONE });
        await registerThrough(phone, origin, "Pat Phone", "pat@example.org");
        // An empty list offers Add and Import; filters and export wait for the first record.
        assert.equal(await phone.locator("#filters-panel").isVisible(), false);
        assert.equal(await phone.locator("#export").isVisible(), false);
        const empty = await phone.locator("#patient-empty a").allInnerTexts();
        assert.deepEqual(empty, ["Add your first patient", "Import patients from a CSV file"]);
        await phone.getByRole("link", { name: "Add your first patient", exact: true }).click();
        await waitForFocus(phone, "add-id");
        await fillAddForm(phone, { id: "500" });
        await phone.getByRole("button", { name: "Add patient", exact: true }).click();
        await phone.locator("#patient-500").waitFor();
        // The filters come with it, once htmx has settled the new row.
        await phone.locator("#filters-panel").waitFor({ state: "visible", timeout: 5_000 });
        await stores.patients.insertMany(2, samplePatients(60, 1));
        await phone.goto(`${origin}/patients`);
        const seen = await rowsOnScreen(phone, PHONE.height);
        assert.ok(seen >= 5, `${seen} rows on the phone's first screen`);
        await phone.locator(".table-wrap").evaluate((wrap) => wrap.scrollBy(450, 600));
        await phone.locator(".table-wrap").evaluate((wrap) =>
          new Promise((settled) =>
            wrap.ownerDocument.defaultView!.requestAnimationFrame(() => settled(wrap.scrollTop))
          )
        );
        const [, wrapTop] = await box(phone, ".table-wrap");
        const [left, top, right] = await box(phone, "#sort-avg_glucose_level");
        assert.ok(
          left! >= 0 && right! <= PHONE.width,
          `Glucose's heading in view (${left}–${right})`,
        );
        assert.ok(Math.abs(top! - wrapTop!) < 40, `and on top of the box (${top} vs ${wrapTop})`);
        await shots.take(phone, "phone-scrolled");
        await phone.context().close();
      },
    );

    await step(
      "Skip to the table reaches the first row's Edit in five keys (38 Tabs before)",
      async () => {
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        assert.equal(
          await page.evaluate<string>("document.activeElement.textContent"),
          "Skip to the table",
        );
        await page.keyboard.press("Enter");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        assert.equal(await focused(page), "Edit patient 1");
      },
    );

    await step(
      "after Undo the focus is on the restored row; messages go, by hand or by themselves",
      async () => {
        page.on("dialog", (dialog) => dialog.accept());
        await page.getByRole("button", { name: "Delete patient 3", exact: true }).click();
        const undo = page.getByRole("button", { name: "Undo (patient 3)", exact: true });
        await undo.waitFor();
        // The message sits in the bar above the table's heading, over no row and no field.
        const [, , , toastBottom] = await box(page, "#patient-status .toast");
        const [, headTop] = await box(page, "thead th");
        assert.ok(toastBottom! <= headTop! + 1, `the message (${toastBottom}) is above the table`);
        await shots.take(page, "deleted-toast");
        await undo.click();
        await page.locator("#patient-3").waitFor();
        await waitForHtmx(page);
        await waitForFocus(page, "Edit patient 3");
        const toast = page.locator("#patient-status .toast");
        assert.equal(await toast.locator(".toast-text").innerText(), "Patient 3 restored.");
        await page.clock.fastForward(5000);
        assert.equal(await toast.count(), 1, "still there after 5 s");
        await page.clock.fastForward(4000);
        await toast.waitFor({ state: "detached" });

        await page.getByRole("button", { name: "Delete patient 4", exact: true }).click();
        await page.getByRole("button", { name: "Undo (patient 4)", exact: true }).waitFor();
        await waitForFocus(page, "Edit patient 5");
        await page.getByRole("button", { name: "Dismiss this message", exact: true }).click();
        assert.equal(await toast.count(), 0, "dismissed");
        assert.equal(await focused(page), "patient-status", "the focus stays by the table");

        await page.route(/\/patients\/5\/edit$/, (route) => route.fulfill({ status: 500 }));
        await page.getByRole("link", { name: "Edit patient 5", exact: true }).click();
        await page.locator("#patient-status .alert-error").waitFor();
        await page.clock.fastForward(60_000);
        assert.equal(
          await page.locator("#patient-status .alert-error").count(),
          1,
          "an error stays",
        );
        await shots.take(page, "error-stays");
        await page.getByRole("button", { name: "Dismiss this message", exact: true }).click();
        await page.unrouteAll();
        // The refused request itself is logged by the browser: it was made to fail.
        const made = problems.filter((p) => !/\b500\b/.test(p));
        problems.splice(0, problems.length, ...made);
      },
    );

    await step("a disabled pager button looks disabled and reads clearly", async () => {
      const first = page.locator(".pagination .disabled", { hasText: "« First" });
      const style = await first.evaluate((el) => {
        const s = el.ownerDocument.defaultView!.getComputedStyle(el);
        return [s.cursor, s.borderTopStyle, s.opacity];
      });
      assert.deepEqual(style, ["not-allowed", "dashed", "1"]);
    });

    await step("a bad k says what is wrong in words and clears the earlier result", async () => {
      await page.getByText("Export", { exact: true }).click();
      const check = page.getByRole("button", { name: "Check what would be left out", exact: true });
      await check.click();
      await page.locator("#export-check", { hasText: "Of 119 patients" }).waitFor();
      await page.getByLabel("Smallest group kept (k)", { exact: true }).fill("0");
      await check.click();
      await page.locator("#export-check .alert-error").waitFor();
      const said = await page.locator("#export-check").innerText();
      assert.match(said, /must be a whole number of at least 1/);
      assert.doesNotMatch(said, /Of 119 patients|errors/, "the old result and jargon are gone");
      await shots.take(page, "bad-k");
    });

    await step(
      "once the last patient is deleted, Add your first patient opens the folded form",
      async () => {
        const bo = await openPage(browser, served, problems, { viewport: LAPTOP });
        await registerThrough(bo, origin, "Bo Empty", "bo.empty@example.org");
        const [user] = await stores.accounts.run((db) =>
          db.selectFrom("login_data").select("id").where("email", "=", "bo.empty@example.org")
            .execute()
        );
        await stores.patients.insertMany(user!.id, samplePatients(1, 700));
        await bo.goto(`${origin}/patients`);
        assert.equal(
          await bo.locator("details#add").evaluate((d) => d.hasAttribute("open")),
          false,
        );
        bo.once("dialog", (dialog) => dialog.accept());
        await bo.getByRole("button", { name: "Delete patient 700", exact: true }).click();
        const add = bo.getByRole("link", { name: "Add your first patient", exact: true });
        // Filters and Export go with the last record, as they wait for the first.
        await bo.locator("#filters-panel").waitFor({ state: "hidden" });
        assert.equal(await bo.locator("#export").isVisible(), false);
        await add.click();
        await waitForFocus(bo, "add-id");
        assert.ok(await bo.locator("details#add").evaluate((d) => d.hasAttribute("open")));
        assert.equal(new URL(bo.url()).pathname, "/patients", "no page was left");
        await shots.take(bo, "add-first-patient-after-delete");
        await bo.context().close();
      },
    );

    await step("after a registration mistake the focus is on the first field marked", async () => {
      const visitor = await openPage(browser, served, problems, { viewport: LAPTOP });
      await visitor.goto(`${origin}/register`);
      await visitor.getByLabel("Name", { exact: true }).fill("Bo");
      await visitor.getByLabel("Email", { exact: true }).fill("bo@example.org");
      await visitor.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await visitor.getByLabel("Confirm password", { exact: true }).fill(`${PASSWORD}!`);
      await visitor.getByRole("button", { name: "Create account", exact: true }).click();
      await visitor.locator("#confirm_password-error").waitFor();
      assert.equal(await focused(visitor), "confirm_password");
      await visitor.context().close();
    });
  }));
