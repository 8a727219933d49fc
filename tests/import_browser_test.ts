/** In a real Chromium: import the dataset through the page — preview, confirm, progress, report. */
import assert from "node:assert/strict";
import { csvLine } from "../lib/csv_rows.ts";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import { registerThrough } from "./helpers/chromium.ts";
import { DATASET, sharedDataFile, skipWithoutData } from "./helpers/dataset.ts";

/** The dataset with two mistakes added at its end (lines 5,112 and 5,113), as a file. */
function wardFile(dir: string): string {
  const dataset = Deno.readTextFileSync(sharedDataFile(DATASET)!);
  const bad = [
    ["99001", "Female", "67.5abc", "0", "0", "Yes", "Private", "Urban", "80", "N/A", "smokes", "0"],
    ["99002", "Male", "50", "0", "0", "Yes", "Office", "Urban", "80", "20", "smokes", "0"],
  ];
  const path = `${dir}/ward.csv`;
  Deno.writeTextFileSync(path, dataset.trimEnd() + "\n" + bad.map(csvLine).join(""));
  return path;
}

Deno.test({
  name: "in Chromium, a CSV file is checked first, then imported with progress and a report",
  ignore: skipWithoutData(DATASET),
  fn: (t) =>
    withChromium(t, async ({ served, browser, shots, problems, step }) => {
      const dir = Deno.makeTempDirSync({ prefix: "spm-import-file-" });
      const path = wardFile(dir);
      const { origin, stores } = served;
      const viewports = [[1, { width: 1366, height: 768 }], [2, { width: 390, height: 844 }]];
      try {
        for (
          const [userId, viewport] of viewports as [number, { width: number; height: number }][]
        ) {
          await step(`at ${viewport.width} px`, async () => {
            const page = await openPage(browser, served, problems, { viewport });
            await registerThrough(page, origin, `user${userId}`, `user${userId}@example.org`);
            await page.goto(`${origin}/patients`);
            await page.getByRole("link", { name: "Import a CSV file" }).click();
            await page.getByLabel("CSV file").setInputFiles(path);
            await page.getByRole("button", { name: "Check the file" }).click();
            await page.getByRole("heading", { name: "Check before importing" }).waitFor();
            const counts = await page.locator("ul.counts li").allInnerTexts();
            assert.match(counts[0]!, /^5,110 would be added/);
            assert.match(counts[3]!, /^2 with problems/);
            const lines = await page.locator("table.problems tbody tr td:first-child")
              .allInnerTexts();
            assert.deepEqual(lines, ["5112", "5113"]);
            assert.equal(await stores.patients.count(userId), 0, "nothing stored yet");
            const wide = await page.evaluate<number>("document.documentElement.scrollWidth");
            assert.ok(wide <= viewport.width, `the preview fits ${viewport.width} px (${wide})`);
            await shots.take(page, `preview-${viewport.width}`);

            await page.getByRole("button", { name: "Import 5,110 rows" }).click();
            await page.locator(".import-report").waitFor({ timeout: 20_000 });
            assert.match(
              await page.locator(".import-report .alert").innerText(),
              /Import finished\. ward\.csv: 5,112 rows read/,
            );
            assert.equal(await stores.patients.count(userId), 5110);
            assert.equal(await page.getByText("would be added").count(), 0, "the preview has gone");
            assert.equal(await page.locator("h1").innerText(), "Import of ward.csv");
            await shots.take(page, `report-${viewport.width}`);
            await page.close();
          });
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
