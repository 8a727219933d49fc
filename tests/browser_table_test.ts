/**
 * The patient table in a real Chromium at 1366×768 (and 1920×1080) and on a 390×844 phone: an
 * edit row that fits, filter mistakes at their field, a busy table while htmx works, the outcome
 * first, the user's place kept, the phone's first screen, and the small confirmations.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { PatientFields } from "../lib/patient_fields.ts";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import {
  logInThrough,
  openFilters,
  registerThrough,
  samplePatients,
  waitForFocus,
  waitForHtmx,
} from "./helpers/chromium.ts";
import { loadDataset } from "./helpers/dataset.ts";

const ANN = "ann@example.org";
const LAPTOP = { width: 1366, height: 768 };
const WIDE = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };

/** 300 records, strokes and not: the dataset's rows 100–399, or made-up ones on a fresh clone. */
function records(): PatientFields[] {
  const data = loadDataset()?.patients.slice(100, 400);
  return data ?? samplePatients(300, 1).map((p, i) => ({ ...p, stroke: i % 3 ? 0 : 1 }));
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const firstRowId = async (page: Page) =>
  (await page.locator("#patient-rows > tr").first().getAttribute("id"))!.slice("patient-".length);
/** Where an element is on the screen: [left, top, right, bottom]. */
const box = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  });
/** Whether the whole element is on the screen of this size. */
async function onScreen(page: Page, selector: string, size: { width: number; height: number }) {
  const [left, top, right, bottom] = await box(page, selector);
  return left! >= 0 && top! >= 0 && right! <= size.width && bottom! <= size.height;
}
/** The page's and the table box's widths: [page, viewport, table content, table box]. */
const widths = (page: Page) =>
  page.evaluate<number[]>(
    "(w => [document.documentElement.scrollWidth, innerWidth, w.scrollWidth, w.clientWidth])" +
      "(document.querySelector('.table-wrap'))",
  );
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("in Chromium, the patient table fits, shows what it does and keeps the user's place", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin } = served;
    const page = await openPage(browser, served, problems, { viewport: LAPTOP });
    await registerThrough(page, origin, "Ann Clinician", ANN);
    await served.stores.patients.insertMany(1, records());
    await page.goto(`${origin}/patients`);

    await step(
      "at 1366 the table fits: stroke by the id, Yes as a badge, numbers to the right",
      async () => {
        const [pageWidth, viewport, content, wrap] = await widths(page);
        assert.ok(pageWidth! <= viewport! && content! <= wrap!, `${pageWidth} ${content} ${wrap}`);
        const headings = await page.locator("thead th").allInnerTexts();
        assert.deepEqual(headings.slice(0, 2).map((h) => h.split(" ")[0]), ["ID", "Stroke"]);
        assert.match(headings[3]!, /Age[^]*years/);
        assert.match(headings[9]!, /Glucose[^]*mg\/dL/);
        // The cells carry no classes: the stylesheet styles them by column.
        const strokes = page.locator("#patient-rows td:nth-of-type(1) > b");
        assert.equal(await strokes.first().innerText(), "Yes");
        const badge = await strokes.first().evaluate((b) => {
          const s = b.ownerDocument.defaultView!.getComputedStyle(b);
          return [s.display, s.borderTopStyle, s.borderTopLeftRadius];
        });
        assert.deepEqual(badge, ["inline-block", "solid", "999px"], "a Yes is a badge");
        const aligned = await page.locator("#patient-rows > tr:first-child > *").evaluateAll(
          (cells) => cells.map((c) => c.ownerDocument.defaultView!.getComputedStyle(c).textAlign),
        );
        const right = aligned.flatMap((a, i) => a === "right" ? [i] : []);
        assert.deepEqual(right, [0, 3, 9, 10], "the id, age, glucose and BMI to the right");
        const quiet = await page.locator("#patient-rows > tr:first-child > td").evaluateAll(
          (cells) => cells.map((c) => c.ownerDocument.defaultView!.getComputedStyle(c).color),
        );
        assert.equal(quiet[3], quiet[4], "hypertension and heart disease in the same colour");
        assert.notEqual(quiet[3], quiet[1], "a quiet No beside the gender's ink");
        // Each sort mark (the stylesheet's, after the heading's last word) sits on that word's
        // line: ↕ on every heading, ▲ on the sorted one (by id, ascending).
        const marks = await page.locator("thead th a .nowrap").evaluateAll((spans) =>
          spans.map((span) => {
            const mark = span.ownerDocument.defaultView!.getComputedStyle(span, "::after");
            return `${mark.content} ${span.getClientRects().length}`;
          })
        );
        assert.deepEqual(marks, [
          '" ▲" / "" 1',
          ...Array(11).fill('" ↕" / "" 1'),
        ], "one mark each, on the line of its word, silent for screen readers");
        // Without scope attributes, the headings are still each column's, and each row's id
        // its row's header (the first column holds no data cells).
        const rows = await page.locator("#patient-rows > tr").count();
        assert.equal(await page.locator("thead").getByRole("columnheader").count(), 13);
        assert.equal(await page.locator("#patient-rows").getByRole("rowheader").count(), rows);
        const first = page.locator("#patient-rows > tr").first();
        assert.equal(
          await first.getByRole("rowheader").innerText(),
          (await first.getAttribute("id"))!.slice("patient-".length),
        );
        await page.mouse.wheel(0, 1500);
        await page.waitForFunction(() =>
          (globalThis as unknown as { scrollY: number }).scrollY > 1000
        );
        // The count and messages stay at the top; the header sticks right under them.
        const [, barTop, , barBottom] = await box(page, "#list-bar");
        const [, headerTop] = await box(page, "thead th");
        assert.ok(Math.abs(barTop!) < 2, `the count bar sticks to the top (at ${barTop})`);
        assert.ok(
          Math.abs(headerTop! - barBottom!) < 2,
          `the header sticks under it (${headerTop})`,
        );
        await shots.take(page, "table-1366");
      },
    );

    await step(
      "the edit row shows every field and Save on screen, at 1366 and at 1920",
      async () => {
        for (const size of [LAPTOP, WIDE]) {
          await page.setViewportSize(size);
          const id = (await page.locator("#patient-rows > tr").nth(12).getAttribute("id"))!.slice(
            8,
          );
          await page.getByRole("link", { name: `Edit patient ${id}`, exact: true }).click();
          await waitForFocus(page, `edit-${id}-stroke`);
          const controls = page.locator(
            `#patient-${id} :is(select, input:not([type=hidden]), button)`,
          );
          assert.equal(await controls.count(), 13, "11 fields, the reason and Save");
          const boxes = await controls.evaluateAll((els) =>
            els.map((
              e,
            ) => [e.id || e.textContent, ...Object.values(e.getBoundingClientRect().toJSON())])
          );
          for (const [name, , , width, height, top, right, bottom, left] of boxes) {
            assert.ok(width && height, `${name} shows`);
            const inside = left >= 0 && right <= size.width && top >= 0 && bottom <= size.height;
            assert.ok(inside, `${name} at ${left}–${right} × ${top}–${bottom} on ${size.width}`);
          }
          const [pageWidth, viewport, content, wrap] = await widths(page);
          assert.ok(pageWidth! <= viewport! && content! <= wrap!, "no sideways scrolling");
          await shots.take(page, `edit-row-${size.width}`);
          await page.keyboard.press("Escape");
          await waitForFocus(page, `Edit patient ${id}`);
        }
        await page.setViewportSize(LAPTOP);
      },
    );

    await step("a filter mistake is said at its field, the rows go, and come back", async () => {
      await page.evaluate("scrollTo(0, 0)");
      await openFilters(page);
      const ageTo = page.locator("#filter-age_max");
      await ageTo.fill("abc");
      await ageTo.press("Tab");
      await page.locator("#filter-age_max[aria-invalid=true]").waitFor();
      const error = page.locator("#filters #filter-age_max-error");
      assert.match(await error.innerText(), /^Enter an age in years from 0 to 120/);
      assert.ok(await onScreen(page, "#filter-age_max-error", LAPTOP));
      assert.match((await ageTo.getAttribute("aria-describedby"))!, /filter-age_max-error/);
      assert.equal(await page.locator("#patient-rows > tr").count(), 0, "no rows of before");
      assert.match(await text(page, "#patient-count"), /No patients shown/);
      await shots.take(page, "filter-error");
      await ageTo.fill("");
      await ageTo.press("Tab");
      await page.locator("#filter-age_max:not([aria-invalid])").waitFor();
      assert.equal(await error.isVisible(), false);
      assert.equal(await text(page, "#patient-count"), "1–50 of 300 patients");
    });

    await step("while htmx fetches, the table is busy, dimmed and says Loading…", async () => {
      const slow = async (route: { continue(): Promise<void> }) => {
        await delay(1500);
        await route.continue();
      };
      await page.route(/\/patients\?.*gender=Female/, slow);
      await page.locator("#filter-gender").selectOption("Female");
      await page.locator("#patient-table[aria-busy=true]").waitFor();
      await page.locator(".loading").waitFor({ state: "visible" });
      await delay(400);
      const dimmed = await page.locator(".table-wrap").evaluate((el) =>
        Number(el.ownerDocument.defaultView!.getComputedStyle(el).opacity)
      );
      assert.ok(dimmed < 1, `opacity ${dimmed}`);
      await shots.take(page, "busy");
      await page.locator("#patient-table:not([aria-busy])").waitFor();
      assert.match(await text(page, "#patient-count"), /^1–50 of \d+ patients$/);
      await page.route(/\/edit$/, slow);
      await page.locator("#patient-rows").getByRole("link", { name: /^Edit patient/ }).first()
        .click();
      await page.locator("#patient-table[aria-busy=true]").waitFor();
      await page.locator("tr.editing").waitFor();
      await page.locator("#patient-table:not([aria-busy])").waitFor();
      await page.keyboard.press("Escape");
      await page.unrouteAll();
      await waitForHtmx(page);
    });

    await step(
      "Next puts the focus on the new first row, a sort on its heading; a delete keeps the place",
      async () => {
        await page.goto(`${origin}/patients`);
        await page.getByRole("link", { name: "Next ›", exact: true }).click();
        await page.locator("#patient-count", { hasText: "51–100" }).waitFor();
        await waitForHtmx(page);
        const first = await firstRowId(page);
        const active = await page.evaluate<string>(
          "document.activeElement.closest('tr')?.id ?? ''",
        );
        assert.equal(active, `patient-${first}`, "focus on the first row, not the page");
        assert.ok(await onScreen(page, `#patient-${first}`, LAPTOP), "and the row in view");
        assert.match(await text(page, "#patient-status"), /51–100 of 300 patients, page 2 of 6/);
        await shots.take(page, "next-page");
        await page.locator("#sort-age").click();
        await page.waitForURL(`${origin}/patients?sort=age`);
        await waitForHtmx(page);
        assert.equal(await page.evaluate<string>("document.activeElement.id"), "sort-age");
        const rows = page.locator("#patient-rows > tr");
        const [doomed, next] = [
          await rows.nth(20).getAttribute("id"),
          await rows.nth(21).getAttribute("id"),
        ];
        await page.locator(`#${doomed}`).scrollIntoViewIfNeeded();
        const scrolled = await page.evaluate<number>("scrollY");
        page.once("dialog", (dialog) => dialog.accept());
        await page.locator(`#${doomed} button`, { hasText: "Delete" }).click();
        await page.locator(`#${doomed}`).waitFor({ state: "detached" });
        await waitForFocus(page, `Edit patient ${next!.slice(8)}`);
        assert.equal(await page.evaluate<number>("scrollY"), scrolled, "no jump to the top");
        assert.match(await text(page, "#patient-status .alert"), /^Patient \d+ deleted\. Undo\b/);
        assert.ok(await onScreen(page, "#patient-status .alert", LAPTOP), "the message in view");
        await shots.take(page, "deleted");
        // An inline style put on an input by someone else (an extension, a screenshot tool
        // hiding the caret) must not be copied by htmx on Back: the CSP would refuse it.
        await openFilters(page);
        await page.locator("#filter-q").evaluate((input) => {
          input.style.caretColor = "transparent";
          input.style.caretColor = "";
        });
        await page.goBack();
        await page.waitForURL(`${origin}/patients?page=2`);
        await page.locator("#patient-count", { hasText: "51–100 of 299" }).waitFor();
      },
    );

    await step(
      "without JavaScript, a filter mistake comes back at its field; Delete returns to the view",
      async () => {
        const plain = await openPage(browser, served, problems, {
          viewport: LAPTOP,
          javaScriptEnabled: false,
        });
        await logInThrough(plain, origin, ANN);
        const view = `${origin}/patients?stroke=1&sort=-age&page=2`;
        await plain.goto(view);
        // The folded panel's form comes with the page that has it open: a link says so.
        await plain.locator("#filters-panel > summary").click();
        await plain.getByRole("link", { name: "Show the filters", exact: true }).click();
        await plain.waitForURL(`${view}&filters=open`);
        await plain.locator("#filter-age_max").fill("abc");
        await plain.getByRole("button", { name: "Apply", exact: true }).click();
        await plain.waitForURL(/age_max=abc/);
        assert.equal(await plain.locator("#filter-age_max").getAttribute("aria-invalid"), "true");
        assert.match(await text(plain, "#filter-age_max-error"), /Enter an age in years/);
        assert.equal(await plain.locator("#patient-rows > tr").count(), 0);
        await shots.take(plain, "nojs-filter-error");
        await plain.goto(view);
        const id = await firstRowId(plain);
        await plain.getByRole("button", { name: `Delete patient ${id}`, exact: true }).click();
        await plain.getByRole("button", { name: `Delete patient ${id}`, exact: true }).click();
        await plain.waitForURL(view);
        assert.match(
          await text(plain, "#patient-status"),
          new RegExp(`^Patient ${id} deleted\\. Undo\\b`),
        );
        await plain.context().close();
      },
    );

    await step(
      "on a phone: patients on the first screen, Edit opens the form, Revoke on screen",
      async () => {
        const phone = await openPage(browser, served, problems, { viewport: PHONE });
        await logInThrough(phone, origin, ANN);
        await phone.goto(`${origin}/patients?gender=Female`);
        assert.equal(await text(phone, "#filters-panel > summary"), "Filters (1 active)");
        assert.equal(await phone.locator("#filter-gender").isVisible(), false, "folded away");
        const rowBottoms = await phone.locator("#patient-rows > tr").evaluateAll((rows) =>
          rows.map((row) => row.getBoundingClientRect().bottom)
        );
        const seen = rowBottoms.filter((bottom) => bottom <= PHONE.height).length;
        assert.ok(seen >= 3, `${seen} patient rows on the first screen`);
        assert.ok(await onScreen(phone, "thead th:nth-child(2)", PHONE), "stroke in view");
        assert.ok(await phone.locator(".scroll-hint").isVisible(), "says it scrolls sideways");
        const [pageWidth] = await widths(phone);
        assert.ok(pageWidth! <= PHONE.width, `the page is ${pageWidth} wide`);
        await shots.take(phone, "phone");
        const id = await firstRowId(phone);
        await phone.getByRole("link", { name: `Edit patient ${id}`, exact: true }).click();
        // The row's link names the record; the page it opens comes back to the list's view.
        await phone.waitForURL(`${origin}/patients/${id}/edit`);
        await phone.locator("#edit-age").fill("44");
        await phone.getByRole("button", { name: "Save", exact: true }).click();
        await phone.waitForURL(`${origin}/patients?gender=Female#patient-${id}`);
        assert.ok(
          await onScreen(phone, "#patient-status .alert", PHONE),
          "Patient … saved in view",
        );
        assert.ok(await onScreen(phone, `#patient-${id} th`, PHONE), "the row in view");
        await shots.take(phone, "phone-saved");
        await phone.goto(`${origin}/profile`);
        await phone.locator("#token-name").fill("notebook");
        await phone.getByRole("button", { name: "Create token", exact: true }).click();
        assert.ok(await onScreen(phone, "#new-token", PHONE), "the new token in view");
        await phone.getByRole("button", { name: "Copy", exact: true }).click();
        await phone.getByRole("button", { name: /^(Copied|Press Ctrl\+C to copy)$/ }).waitFor();
        await shots.take(phone, "phone-token");
        await phone.goto(`${origin}/profile#tokens`);
        assert.ok(await onScreen(phone, "table.tokens button", PHONE), "Revoke on screen");
        await phone.getByRole("button", { name: "Revoke notebook", exact: true }).click();
        await phone.getByRole("button", { name: "Revoke “notebook”", exact: true }).click();
        await phone.waitForURL(`${origin}/profile#tokens`);
        assert.match(await text(phone, "main"), /The token is revoked\./);
        await phone.goto(`${origin}/patients/999999`);
        await phone.getByRole("link", { name: "Go to your patients", exact: true }).click();
        await phone.waitForURL(`${origin}/patients`);
        await phone.context().close();
      },
    );
  }));
