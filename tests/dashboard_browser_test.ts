/**
 * `/dashboard` in a real Chromium on the 5,110-record dataset: titled charts with their tables,
 * a bar that opens the filtered list, a phone-width screen without sideways scrolling, and no
 * console errors or CSP violations.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  launchChromium,
  registerThrough,
  Screenshots,
  serveApp,
  watchErrors,
} from "./helpers/chromium.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";

/** Whether the page is wider than the window (a phone would scroll sideways). */
function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as {
      document: { documentElement: { scrollWidth: number; clientWidth: number } };
    }).document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });
}

Deno.test({
  name: "in Chromium, the dashboard of the dataset reads on a desktop and a phone, and a bar " +
    "opens its patients (skipped without the shared data)",
  ignore: skipWithoutData(DATASET),
  async fn(t) {
    const served = await serveApp();
    const browser = await launchChromium();
    const shots = new Screenshots();
    const problems: string[] = [];
    try {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      watchErrors(page, problems);
      await registerThrough(page, served.origin, "Rita Researcher", "rita@example.org");
      await served.stores.patients.insertMany(1, loadDataset()!.patients);

      await t.step("a desktop shows every chart with a title and its numbers", async () => {
        await page.getByRole("navigation", { name: "Main", exact: true }).getByRole("link", {
          name: "Dashboard",
          exact: true,
        }).click();
        await page.waitForURL(`${served.origin}/dashboard`);
        assert.equal(await page.locator("figure.rate-chart").count(), 10);
        assert.equal(await page.locator("figure.forest-plot").count(), 1);
        const titles = await page.locator("figure.chart .chart-title").allInnerTexts();
        assert.equal(titles.length, 11);
        assert.ok(titles.every((title) => title.length > 10), titles.join(" | "));
        const age = page.locator("#rate-age-band");
        // Its name is "Show the numbers: <title>" (the title is for screen readers).
        await age.getByText("Show the numbers: Stroke rate by age", { exact: true }).click();
        const row = await age.locator("tbody tr").last().locator("th, td").allInnerTexts();
        assert.match(
          row.join(" "),
          /^80 and over \d[\d,]* \d+ \d+\.\d% \d+\.\d%–\d+\.\d% \d+\.\d%$/,
        );
        assert.match(await page.locator(".risk-note").innerText(), /not a diagnosis/);
        await shots.take(page, "dashboard-desktop");
      });

      await t.step("a bar opens the patient list filtered to its category", async () => {
        await page.locator("#rate-hypertension a.chart-link", { hasText: "Yes" }).click();
        await page.waitForURL(`${served.origin}/patients?hypertension=1`);
        assert.match(await page.locator("#patient-count").innerText(), /of 498 patients/);
      });

      await t.step("a phone shows the same without scrolling sideways", async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${served.origin}/dashboard?smoking_status=smokes`);
        assert.equal(await page.locator("figure.rate-chart").count(), 10);
        assert.equal(await scrollsSideways(page), false, "the page fits a 390 px screen");
        const box = await page.locator("#rate-age-band svg.chart-svg").boundingBox();
        assert.ok(box && box.width >= 300 && box.x >= 0 && box.x + box.width <= 390);
        await page.locator("#rate-gender").getByText("Show the numbers: Stroke rate by gender", {
          exact: true,
        }).click();
        assert.equal(await scrollsSideways(page), false, "an open table fits too");
        const table = page.locator("#rate-gender .table-wrap");
        const fits = await table.evaluate((el) => el.scrollWidth <= el.clientWidth);
        assert.ok(fits, "the table's columns fit its card without scrolling");
        await shots.take(page, "dashboard-phone");
      });
      assert.deepEqual(problems, [], "console errors or CSP violations");
    } finally {
      await browser.close();
      await served.close();
    }
  },
});
