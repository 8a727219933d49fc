/**
 * `/patients` in a real Chromium: inline add, edit and delete through htmx, sorting, filtering and
 * history, keyboard use, a phone-width screen, the same forms without JavaScript, and isolation.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import {
  fillAddForm,
  focused,
  logInThrough,
  openFilters,
  openFiltersWithoutScript,
  registerThrough,
  rowCells,
  samplePatients,
  waitForFocus,
  waitForHtmx,
} from "./helpers/chromium.ts";

const ANN = "ann@example.org";

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const marker = (page: Page) => page.evaluate<string | undefined>("globalThis.spmMarker");

/** The sorted column's heading as it shows: its word and the stylesheet's mark after it. */
function sortedHeading(page: Page): Promise<string> {
  return page.locator("th[aria-sort] .nowrap").evaluate((span) => {
    const mark = span.ownerDocument.defaultView!.getComputedStyle(span, "::after").content;
    return `${span.textContent}${mark.match(/^"(.*?)"/)?.[1] ?? ""}`;
  });
}

Deno.test("in Chromium, patients are managed inline, by keyboard, on a phone and without JavaScript", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin, stores } = served;
    const page = await openPage(browser, served, problems);
    let id = 0;

    await step("a clinician registers, logs out and logs in again", async () => {
      await registerThrough(page, origin, "Ann Clinician", ANN);
      assert.match(await text(page, "#patient-status"), /Welcome, Ann Clinician/);
      await shots.take(page, "registered");
      await stores.patients.insertMany(1, samplePatients(60, 1001));
      await page.getByRole("button", { name: "Log out", exact: true }).click();
      await page.waitForURL(`${origin}/login?logged_out`);
      await logInThrough(page, origin, ANN);
      assert.equal(await text(page, "#patient-count"), "1–50 of 60 patients");
      const nav = await page.getByRole("navigation", { name: "Main", exact: true }).innerText();
      assert.match(nav, /Ann Clinician[^]*Log out/);
      await shots.take(page, "patients");
    });

    await step(
      "an inline add shows an announced error by its field, then the new row",
      async () => {
        await page.evaluate("globalThis.spmMarker = 'kept'");
        await page.locator("#add summary").click();
        await fillAddForm(page, { age: "abc" });
        await page.getByRole("button", { name: "Add patient", exact: true }).click();
        const error = page.locator("#add-age-error");
        await error.waitFor();
        assert.equal(await error.getAttribute("role"), "alert");
        assert.match(await error.innerText(), /Age must be a number/);
        assert.equal(await page.locator("#add-age").getAttribute("aria-invalid"), "true");
        assert.equal(await page.locator("#add-age").inputValue(), "abc");
        assert.equal(await page.locator("#add-smoking_status").inputValue(), "never smoked");
        await shots.take(page, "add-invalid");
        await waitForHtmx(page);
        await page.locator("#add-age").fill("45");
        await page.getByRole("button", { name: "Add patient", exact: true }).click();
        await page.locator("#patient-status .alert", { hasText: "added" }).waitFor();
        id = Number(/Patient (\d+) added\./.exec(await text(page, "#patient-status"))?.[1]);
        assert.ok(id > 1060, `a new id, not ${id}`);
        const row = await rowCells(page, id);
        assert.deepEqual([row[2], row[3], row[9], row[10]], ["Female", "45", "105.50", "N/A"]);
        assert.equal(await marker(page), "kept", "the page was not reloaded");
        assert.equal(await page.locator("#add-age").inputValue(), "", "a fresh form");
        await shots.take(page, "added");
      },
    );

    await step("an inline edit uses selects; Escape cancels and Save saves", async () => {
      const edit = page.getByRole("link", { name: `Edit patient ${id}`, exact: true });
      await edit.click();
      await waitForFocus(page, `edit-${id}-stroke`);
      assert.equal(await page.locator(`#patient-${id} select`).count(), 8);
      await page.locator(`#edit-${id}-age`).fill("46");
      await shots.take(page, "edit-row");
      await page.keyboard.press("Escape");
      await waitForFocus(page, `Edit patient ${id}`);
      assert.equal((await rowCells(page, id))[3], "45", "Escape restored the row");
      await edit.click();
      await waitForFocus(page, `edit-${id}-stroke`);
      await page.locator(`#edit-${id}-age`).fill("47");
      await page.locator(`#edit-${id}-smoking_status`).selectOption("smokes");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.locator(`#patient-${id}:not(.editing)`).waitFor();
      const row = await rowCells(page, id);
      assert.deepEqual([row[3], row[11]], ["47", "Smokes"]);
      assert.match(await text(page, "#patient-status"), new RegExp(`Patient ${id} saved\\.`));
      assert.equal((await stores.patients.get(1, id))?.age, 47);
      assert.equal(await marker(page), "kept");
      await shots.take(page, "saved");
    });

    await step("sorting and filtering update the URL; reload and back keep the view", async () => {
      const age = page.locator('th a[title="Sort by age"]');
      await age.click();
      await page.waitForURL(`${origin}/patients?sort=age`);
      assert.equal(await sortedHeading(page), "Age ▲");
      await age.click();
      await page.waitForURL(`${origin}/patients?sort=-age`);
      assert.equal(await sortedHeading(page), "Age ▼");
      assert.equal(await text(page, "#patient-rows td:nth-of-type(3)"), "79");
      await shots.take(page, "sorted");
      // The filter bar is folded; open, the address says so too.
      await openFilters(page);
      await page.waitForURL(`${origin}/patients?sort=-age&filters=open`);
      await page.locator("#filter-gender").selectOption("Female");
      await page.waitForURL(`${origin}/patients?gender=Female&sort=-age&filters=open`);
      assert.equal(await text(page, "#patient-count"), "1–31 of 31 patients");
      assert.equal(await marker(page), "kept");
      await shots.take(page, "filtered");
      await page.reload();
      assert.equal(await page.locator("#filter-gender").inputValue(), "Female");
      assert.equal(await text(page, "#patient-count"), "1–31 of 31 patients");
      assert.equal(await sortedHeading(page), "Age ▼");
      await page.goBack();
      await page.waitForURL(`${origin}/patients?sort=-age&filters=open`);
      await page.locator("#patient-count", { hasText: "of 61 patients" }).waitFor();
      assert.equal(await page.locator("#filter-gender").inputValue(), "");
      assert.equal(await sortedHeading(page), "Age ▼");
      await page.goBack();
      await page.waitForURL(`${origin}/patients?sort=age`);
      await page.locator("th[aria-sort=ascending]", { hasText: "Age" }).waitFor();
      await shots.take(page, "back");
    });

    await step("a search finds the row; Delete asks first, then removes it", async () => {
      await openFilters(page);
      await page.locator("#filter-q").fill(String(id));
      await page.waitForURL(new RegExp(`[?&]q=${id}(&|$)`));
      assert.equal(await text(page, "#patient-count"), "1–1 of 1 patient");
      const asked: string[] = [];
      page.once("dialog", (dialog) => (asked.push(dialog.message()), dialog.dismiss()));
      const del = page.getByRole("button", { name: `Delete patient ${id}`, exact: true });
      await del.click();
      await page.waitForTimeout(200);
      assert.ok(await stores.patients.get(1, id), "dismissing the dialog keeps the patient");
      page.once("dialog", (dialog) => (asked.push(dialog.message()), dialog.accept()));
      await del.click();
      await page.locator(`#patient-${id}`).waitFor({ state: "detached" });
      assert.deepEqual(
        asked,
        Array(2).fill(
          `Delete patient ${id}? You can undo it, or restore it later from Recently deleted.`,
        ),
      );
      assert.match(await text(page, "#patient-status"), new RegExp(`Patient ${id} deleted\\.`));
      await waitForFocus(page, "patient-status"); // no row left to go on with
      assert.equal(await stores.patients.get(1, id), null);
      await shots.take(page, "deleted");
    });

    await step("logging out leads to the login page and closes the patients", async () => {
      await page.getByRole("button", { name: "Log out", exact: true }).click();
      await page.waitForURL(`${origin}/login?logged_out`);
      assert.match(await text(page, "main"), /You have logged out\./);
      await page.goto(`${origin}/patients`);
      assert.equal(page.url(), `${origin}/login?next=%2Fpatients`);
      await shots.take(page, "logged-out");
    });

    await step("a second user sees none of the first user's records", async () => {
      const bob = await openPage(browser, served, problems);
      await registerThrough(bob, origin, "Bob", "bob@example.org");
      assert.match(await text(bob, "main"), /You have no patients yet/);
      assert.doesNotMatch(await bob.content(), /patient-10\d\d/);
      for (const path of ["/patients/1001", "/patients/1001/edit", "/patients/1001/delete"]) {
        assert.equal((await bob.goto(`${origin}${path}`))?.status(), 404, path);
        assert.doesNotMatch(await text(bob, "main"), /Male|Female|Private/);
      }
      await shots.take(bob, "other-user-404");
      await bob.goto(`${origin}/patients?q=1001`);
      assert.match(await text(bob, "main"), /You have no patient with ID 1001\./);
      await bob.context().close();
    });

    await step("without JavaScript, add, edit and delete work as full pages", async () => {
      const plain = await openPage(browser, served, problems, { javaScriptEnabled: false });
      const find = async (patient: number) => {
        await openFiltersWithoutScript(plain);
        await plain.locator("#filter-q").fill(String(patient));
        await plain.getByRole("button", { name: "Apply", exact: true }).click();
        return await rowCells(plain, patient);
      };
      await logInThrough(plain, origin, ANN);
      // The folded add panel links to the form's own page; a refusal comes back on the list.
      await plain.locator("#add summary").click();
      await plain.getByRole("link", { name: "Open the form to add a patient", exact: true })
        .click();
      await plain.waitForURL(`${origin}/patients/new`);
      await fillAddForm(plain, { id: "2001", age: "200" });
      await plain.getByRole("button", { name: "Add patient", exact: true }).click();
      assert.match(await text(plain, "#add-age-error"), /Age must be a number/);
      assert.equal(await plain.locator("#add-age").inputValue(), "200");
      await shots.take(plain, "nojs-invalid");
      await plain.locator("#add-age").fill("0.08");
      await plain.getByRole("button", { name: "Add patient", exact: true }).click();
      await plain.waitForURL(`${origin}/patients?q=2001`);
      assert.match(await text(plain, "#patient-status"), /Patient 2001 added\./);
      assert.equal((await find(2001))[3], "0.08");
      await plain.getByRole("link", { name: "Edit patient 2001", exact: true }).click();
      await plain.waitForURL(`${origin}/patients/2001/edit`);
      await plain.locator("#edit-age").fill("0.5");
      await shots.take(plain, "nojs-edit");
      await plain.getByRole("button", { name: "Save", exact: true }).click();
      await plain.waitForURL(`${origin}/patients?q=2001#patient-2001`);
      assert.match(await text(plain, "#patient-status"), /Patient 2001 saved\./);
      assert.equal((await find(2001))[3], "0.50");
      await plain.getByRole("link", { name: "2001", exact: true }).click();
      await plain.getByRole("link", { name: "Delete", exact: true }).click();
      await plain.waitForURL(`${origin}/patients/2001/delete?q=2001`);
      await shots.take(plain, "nojs-confirm");
      await plain.getByRole("button", { name: "Delete patient 2001", exact: true }).click();
      await plain.waitForURL(`${origin}/patients?q=2001`);
      assert.match(await text(plain, "#patient-status"), /Patient 2001 deleted\./);
      assert.equal(await stores.patients.get(1, 2001), null);
      await shots.take(plain, "nojs-deleted");
      await plain.context().close();
    });

    await step("without JavaScript, a row's Delete button asks before deleting", async () => {
      const plain = await openPage(browser, served, problems, { javaScriptEnabled: false });
      await logInThrough(plain, origin, ANN);
      await plain.getByRole("button", { name: "Delete patient 1001", exact: true }).click();
      await plain.waitForURL(/\/patients\/1001\/delete\??$/); // a GET form adds "?"
      await shots.take(plain, "nojs-row-delete");
      const kept = await stores.patients.get(1, 1001);
      assert.ok(kept, `one click deleted patient 1001 without a confirmation (${plain.url()})`);
      assert.equal(await text(plain, "h1"), "Delete patient 1001?");
      await plain.getByRole("link", { name: "Keep it", exact: true }).click();
      await plain.waitForURL(`${origin}/patients#patient-1001`);
      assert.ok(await stores.patients.get(1, 1001), "kept after Keep it");
      await plain.context().close();
    });

    await step("by keyboard alone, a row is edited and the focus returns to Edit", async () => {
      const keys = await openPage(browser, served, problems);
      await logInThrough(keys, origin, ANN);
      await keys.goto(`${origin}/patients?sort=-id`);
      const target = (await keys.locator("#patient-rows tr").first().getAttribute("id"))!.slice(8);
      for (let i = 0; i < 80 && await focused(keys) !== `Edit patient ${target}`; i++) {
        await keys.keyboard.press("Tab");
      }
      assert.equal(await focused(keys), `Edit patient ${target}`, "reached by Tab");
      await keys.keyboard.press("Enter");
      await waitForFocus(keys, `edit-${target}-stroke`);
      await keys.keyboard.press("Tab");
      await keys.keyboard.press("Tab");
      assert.equal(await focused(keys), `edit-${target}-age`);
      await keys.keyboard.press("ControlOrMeta+A");
      await keys.keyboard.type("33");
      await shots.take(keys, "keyboard-edit");
      await keys.keyboard.press("Enter");
      await keys.locator(`#patient-${target}:not(.editing)`).waitFor();
      assert.equal((await rowCells(keys, target))[3], "33");
      await waitForFocus(keys, `Edit patient ${target}`);
      await shots.take(keys, "keyboard-saved");
      await keys.context().close();
    });

    await step("on a phone, the table scrolls inside its box and the page does not", async () => {
      const viewport = { width: 390, height: 844 };
      const phone = await openPage(browser, served, problems, { viewport });
      await logInThrough(phone, origin, ANN);
      const wrap = phone.locator(".table-wrap");
      await wrap.evaluate((el) => el.scrollLeft = 200);
      const sizes = {
        page: await phone.evaluate<number>("document.documentElement.scrollWidth"),
        wrap: await wrap.evaluate((el) => el.scrollWidth),
        box: await wrap.evaluate((el) => el.clientWidth),
        scrolled: await wrap.evaluate((el) => el.scrollLeft),
        overflow: await phone.evaluate<string>(
          "getComputedStyle(document.querySelector('.table-wrap')).overflowX",
        ),
      };
      await shots.take(phone, "phone");
      await phone.context().close();
      assert.ok(sizes.wrap > sizes.box && sizes.scrolled > 0, JSON.stringify(sizes));
      assert.match(sizes.overflow, /auto|scroll/);
      assert.ok(sizes.page <= viewport.width + 1, `the page is ${sizes.page}px wide, not 390`);
    });
  }));
