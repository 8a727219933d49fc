/** In a real Chromium: delete a row, Undo it in place, restore from "Recently deleted", read the history. */
import assert from "node:assert/strict";
import {
  launchChromium,
  registerThrough,
  rowCells,
  samplePatients,
  Screenshots,
  serveApp,
  waitForHtmx,
  watchErrors,
} from "./helpers/chromium.ts";

Deno.test("in Chromium, a deleted row comes back with Undo and from Recently deleted", async () => {
  const served = await serveApp();
  const browser = await launchChromium();
  const shots = new Screenshots();
  const problems: string[] = [];
  const { origin, stores } = served;
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    watchErrors(page, problems);
    await registerThrough(page, origin, "Ann", "ann@example.org");
    await stores.patients.insertMany(1, samplePatients(3, 1));
    await page.goto(`${origin}/patients`);

    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.accept();
    });
    await page.getByRole("button", { name: "Delete patient 2", exact: true }).click();
    await page.getByRole("button", { name: "Undo (patient 2)", exact: true }).waitFor();
    assert.match(dialogs[0]!, /Delete patient 2\? You can undo it/);
    assert.equal(await page.locator("#patient-2").count(), 0);
    assert.equal(await page.locator("#patient-count").innerText(), "1–2 of 2 patients");
    await shots.take(page, "deleted-with-undo");

    await page.getByRole("button", { name: "Undo (patient 2)", exact: true }).click();
    await page.locator("#patient-2").waitFor();
    await waitForHtmx(page);
    assert.equal(await page.locator("#patient-status").innerText(), "Patient 2 restored.");
    assert.equal(await page.locator("#patient-count").innerText(), "1–3 of 3 patients");
    assert.equal((await rowCells(page, 2))[0], "2");
    await shots.take(page, "undone");

    await page.getByRole("button", { name: "Delete patient 3", exact: true }).click();
    await page.getByRole("button", { name: "Undo (patient 3)", exact: true }).waitFor();
    await page.getByRole("link", { name: "Recently deleted", exact: true }).first().click();
    await page.waitForURL(`${origin}/patients/deleted`);
    await page.getByRole("button", { name: "Restore (patient 3)", exact: true }).click();
    await page.getByText(/^Patient 3 is restored\./).waitFor();
    assert.equal(await page.locator("#deleted-count").innerText(), "0 deleted patients");
    await shots.take(page, "restored-from-recently-deleted");
    await page.getByRole("link", { name: "Open patient 3", exact: true }).click();
    await page.waitForURL(`${origin}/patients/3`);
    const history = await page.locator("#history li").allInnerTexts();
    assert.deepEqual(history.map((h) => h.split(" by ")[0]), [
      "Viewed on its page",
      "Restored",
      "Deleted",
    ]);
    assert.deepEqual(problems, [], "console errors or CSP violations");
  } finally {
    await browser.close();
    await served.close();
  }
});
