/**
 * In a real Chromium: import the dataset through the page — preview, confirm, progress, report —
 * and a file that differs from the records: its preview shows each differing field, and the
 * choice on screen is the one that runs.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/csv_writer.ts";
import type { Page } from "playwright-core";
import { type ChromiumSuite, openPage, withChromium } from "./helpers/browser_steps.ts";
import { registerThrough } from "./helpers/chromium.ts";
import { csvRow, HEADER } from "./helpers/csv_files.ts";
import { DATASET, sharedDataFile, skipWithoutData } from "./helpers/dataset.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

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

/** The two screens every import page is looked at on, each by a user of its own. */
const WIDTHS = [[1, { width: 1366, height: 768 }], [2, { width: 390, height: 844 }]] as const;

/** Asserts that the page does not scroll sideways at `width`. */
async function assertFits(page: Page, width: number): Promise<void> {
  const wide = await page.evaluate<number>("document.documentElement.scrollWidth");
  assert.ok(wide <= width, `the page fits ${width} px (${wide})`);
}

/**
 * Runs `body` at each width, in a step of its own, on a new page of a user registered there
 * (user 1 at 1366 px, user 2 at 390 px); the page is closed after.
 */
async function atBothWidths(
  { served, browser, problems, step }: ChromiumSuite,
  body: (page: Page, userId: number, width: number) => Promise<void>,
): Promise<void> {
  for (const [userId, viewport] of WIDTHS) {
    await step(`at ${viewport.width} px`, async () => {
      const page = await openPage(browser, served, problems, { viewport });
      await registerThrough(page, served.origin, `user${userId}`, `user${userId}@example.org`);
      await body(page, userId, viewport.width);
      await page.close();
    });
  }
}

Deno.test({
  name: "in Chromium, a CSV file is checked first, then imported with progress and a report",
  ignore: skipWithoutData(DATASET),
  fn: (t) =>
    withChromium(t, async (suite) => {
      const dir = Deno.makeTempDirSync({ prefix: "spm-import-file-" });
      const path = wardFile(dir);
      const { origin, stores } = suite.served;
      try {
        await atBothWidths(suite, async (page, userId, width) => {
          await page.goto(`${origin}/patients`);
          await page.getByRole("link", { name: "Import a CSV file", exact: true }).click();
          await page.getByLabel("CSV file", { exact: true }).setInputFiles(path);
          await page.getByRole("button", { name: "Check the file", exact: true }).click();
          await page.getByRole("heading", { name: "Check before importing", exact: true })
            .waitFor();
          const counts = await page.locator("ul.counts li").allInnerTexts();
          assert.match(counts[0]!, /^5,110 would be added/);
          assert.match(counts[3]!, /^2 with problems/);
          const lines = await page.locator("table.problems tbody tr td:first-child")
            .allInnerTexts();
          assert.deepEqual(lines, ["5112", "5113"]);
          assert.equal(await stores.patients.count(userId), 0, "nothing stored yet");
          await assertFits(page, width);
          await suite.shots.take(page, `preview-${width}`);

          await page.getByRole("button", { name: "Import 5,110 rows", exact: true }).click();
          await page.locator(".import-report").waitFor({ timeout: 20_000 });
          assert.match(
            await page.locator(".import-report .alert").innerText(),
            /Import finished\. ward\.csv: 5,112 rows read/,
          );
          assert.equal(await stores.patients.count(userId), 5110);
          assert.equal(await page.getByText("would be added").count(), 0, "the preview has gone");
          assert.equal(await page.locator("h1").innerText(), "Import of ward.csv");
          await suite.shots.take(page, `report-${width}`);
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name: "in Chromium, the preview shows each differing field, and changing the choice checks again",
  fn: (t) =>
    withChromium(t, async (suite) => {
      const dir = Deno.makeTempDirSync({ prefix: "spm-import-diff-" });
      const path = `${dir}/ward 7.csv`;
      Deno.writeTextFileSync(
        path,
        HEADER + csvRow(1) + csvRow(2, { age: "70" }) + csvRow(3, { bmi: "N/A" }) + csvRow(4),
      );
      const { origin, stores } = suite.served;
      try {
        await atBothWidths(suite, async (page, userId, width) => {
          for (const id of [1, 2, 3]) await stores.patients.create(userId, { ...FIRST_ROW, id });
          await page.goto(`${origin}/patients/import`);
          await page.getByLabel("CSV file", { exact: true }).setInputFiles(path);
          await page.getByRole("button", { name: "Check the file", exact: true }).click();
          await page.getByRole("heading", { name: "2 rows differ from your records" }).waitFor();
          const counts = await page.locator("ul.counts li").allInnerTexts();
          assert.match(counts[1]!, /^2 would be skipped because they differ/);
          assert.match(counts[2]!, /^1 would be skipped \(already in your records, unchanged\)/);
          const cells = await page.locator("table.differences tbody tr").allInnerTexts();
          assert.deepEqual(cells.map((c) => c.replace(/\s+/g, " ").trim()), [
            "3 2 Age 67 70",
            "4 3 BMI 36.6 N/A",
          ]);
          await assertFits(page, width);
          await suite.shots.take(page, `differences-${width}`);

          // Changing the choice checks again: the counts and the button follow it.
          await page.getByLabel("Replace my record with the file's values").check();
          await page.getByRole("button", { name: "Import 3 rows", exact: true }).waitFor();
          assert.match(
            (await page.locator("ul.counts li").allInnerTexts())[1]!,
            /^2 would be updated/,
          );
          assert.equal(await stores.patients.count(userId), 3, "nothing stored yet");
          await page.getByRole("button", { name: "Import 3 rows", exact: true }).click();
          await page.locator(".import-report").waitFor({ timeout: 20_000 });
          assert.match((await page.locator("ul.counts li").allInnerTexts())[1]!, /^2 updated/);
          assert.equal((await stores.patients.get(userId, 2))!.age, 70);
          await assertFits(page, width);
          await suite.shots.take(page, `updated-${width}`);
        });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
