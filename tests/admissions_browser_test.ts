/**
 * Admissions on the patient page in a real Chromium: an admission added by keyboard (htmx swaps
 * it in, the focus goes to it), its timeline read in order with the minutes between, a problem
 * shown at its field with the focus there, an inline edit saved by Enter, delete and Undo; the
 * page passes axe-core, keeps its ids unique and fits a phone (screenshots at both sizes).
 */
import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import {
  focused,
  registerThrough,
  samplePatients,
  waitForFocus,
  waitForHtmx,
} from "./helpers/chromium.ts";
import { pageProblems } from "./helpers/page_audit.ts";
import { newAdmissionRevision } from "../lib/admission_store.ts";
import { admissionsOfPatient } from "../lib/stroke/synthetic_admissions.ts";
import type { Stores } from "../db/stores.ts";

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

/** Patients 101–300 of user 1, each with a stroke and a year of synthetic admissions. */
async function strokeUnit(stores: Stores): Promise<void> {
  const patients = samplePatients(200, 101).map((p) => ({ ...p, stroke: 1 as const }));
  await stores.patients.insertMany(1, patients);
  const records = await stores.patients.getMany(1, patients.map((p) => p.id));
  const now = new Date();
  const rows = records.flatMap((record) =>
    admissionsOfPatient({ id: record.id, age: 70, stroke: 1 }, { seed: 7, now, years: 1 })
      .map(({ admission_id, ...fields }) => ({
        patient_id: record.id,
        patient_created_at: record.created_at,
        fields,
        admission_id,
        revision: newAdmissionRevision(),
      }))
  );
  await stores.patients.admissions.insertMany(1, rows);
}

/**
 * Types a date and time into a `datetime-local` input as a person does with the keyboard: the
 * date's digits (month, day, year in Chromium's default en-US order), Tab to the time, its
 * digits and A or P.
 */
async function typeDateTime(page: Page, input: Locator, date: string, time: string) {
  await input.focus();
  await page.keyboard.type(date);
  await page.keyboard.press("Tab");
  await page.keyboard.type(time);
}

Deno.test("in Chromium, an admission is added by keyboard, shown as a timeline and edited in place", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin, stores } = served;
    const page = await openPage(browser, served, problems, { viewport: LAPTOP });
    await registerThrough(page, origin, "Ann Clinician", "ann@example.org");
    await stores.patients.insertMany(1, samplePatients(1, 1));
    await page.goto(`${origin}/patients/1`);
    const form = page.locator("#add-admission form");

    await step("the add form opens from the keyboard and says its time zone", async () => {
      assert.equal(
        await page.locator("#admissions-count").innerText(),
        "No admissions recorded. Times are in UTC.",
      );
      const summary = page.locator("#add-admission > summary");
      await summary.focus();
      await page.keyboard.press("Enter");
      await form.waitFor({ state: "visible" });
      assert.match(await form.locator("legend").nth(1).innerText(), /^Times in UTC/);
      assert.deepEqual(await pageProblems(page, "add form open"), []);
    });

    await step("a problem is shown at its field and the focus goes there", async () => {
      await page.keyboard.press("Tab"); // onto the stroke type
      assert.equal(await focused(page), "add-admission-stroke_type");
      await page.keyboard.press("i"); // Ischaemic stroke
      await typeDateTime(page, page.locator("#add-admission-arrival_at"), "03102025", "0900A");
      await typeDateTime(page, page.locator("#add-admission-imaging_at"), "03102025", "0830A");
      await page.keyboard.press("Enter");
      await page.locator("#add-admission-imaging_at-error").waitFor();
      await waitForFocus(page, "add-admission-imaging_at");
      assert.match(
        await page.locator("#add-admission-imaging_at-error").innerText(),
        /Imaging must not be before arrival/,
      );
      assert.equal(
        await page.locator("#add-admission-arrival_at").inputValue(),
        "2025-03-10T09:00",
      );
      await shots.take(page, "admission-refused-1366");
      assert.deepEqual(await pageProblems(page, "add refused"), []);
    });

    await step("corrected and sent with Enter: the admission and its timeline appear", async () => {
      const before = page.url();
      await page.keyboard.type("03102025");
      await page.keyboard.press("Tab");
      await page.keyboard.type("0920A");
      await typeDateTime(
        page,
        page.locator("#add-admission-last_known_well_at"),
        "03102025",
        "0730A",
      );
      await typeDateTime(page, page.locator("#add-admission-thrombolysis_at"), "03102025", "0945A");
      await page.locator("#add-admission-nihss_arrival").focus();
      await page.keyboard.type("8");
      await page.keyboard.press("Enter");
      await page.locator("#admission-1").waitFor();
      await waitForFocus(page, "Edit admission 1");
      assert.equal(page.url(), before, "no page load: htmx swapped the admissions in");
      assert.match(await page.locator("#admissions-status").innerText(), /Admission 1 added/);
      const steps = await page.getByRole("list", { name: "Timeline of admission 1" })
        .getByRole("listitem").allInnerTexts();
      assert.deepEqual(steps.map((s) => s.replace(/\s+/g, " ").trim()), [
        "Onset (last known well) 10 Mar 2025, 07:30",
        "Arrival 10 Mar 2025, 09:00 1 h 30 min after onset",
        "Imaging 09:20 20 min after arrival",
        "Thrombolysis (needle) 09:45 25 min after imaging",
      ]);
      assert.match(
        await page.locator("#admission-1 .admission-facts").innerText(),
        /Door to needle\s+45 min \(within the 60-minute target\)/,
      );
      await shots.take(page, "admission-added-1366");
      assert.deepEqual(await pageProblems(page, "admission added"), []);
    });

    await step(
      "Edit opens the form in place; Enter saves it and the focus comes back",
      async () => {
        await page.keyboard.press("Enter"); // on "Edit admission 1"
        await page.locator("#admission-1.editing").waitFor();
        await waitForFocus(page, "edit-admission-1-stroke_type");
        assert.equal(
          await page.locator("#edit-admission-1-thrombolysis_at").inputValue(),
          "2025-03-10T09:45",
        );
        await shots.take(page, "admission-editing-1366");
        assert.deepEqual(await pageProblems(page, "editing"), []);
        const nihss = page.locator("#edit-admission-1-nihss_arrival");
        await nihss.focus();
        await page.keyboard.press("Control+A");
        await page.keyboard.type("12");
        await typeDateTime(
          page,
          page.locator("#edit-admission-1-thrombolysis_at"),
          "03102025",
          "1010A",
        );
        await page.keyboard.press("Enter");
        await page.locator("#admission-1:not(.editing)").waitFor();
        await waitForFocus(page, "Edit admission 1");
        assert.match(
          await page.locator("#admissions-status").innerText(),
          /Admission 1 of patient 1 saved/,
        );
        assert.match(
          await page.locator("#admission-1 .admission-facts").innerText(),
          /Door to needle\s+1 h 10 min \(over the 60-minute target\)[\s\S]*NIHSS on arrival\s+12/,
        );
        // Escape cancels an edit, as Cancel does.
        await page.keyboard.press("Enter");
        await page.locator("#admission-1.editing").waitFor();
        await waitForHtmx(page);
        await page.keyboard.press("Escape");
        await page.locator("#admission-1:not(.editing)").waitFor();
        await waitForFocus(page, "Edit admission 1");
      },
    );

    await step("delete asks first, then Undo brings the admission back", async () => {
      page.once("dialog", (dialog) => dialog.accept());
      await page.getByRole("button", { name: "Delete admission 1", exact: true }).click();
      await page.getByRole("button", { name: "Undo (admission 1)", exact: true }).waitFor();
      assert.equal(await page.locator("#admission-1").count(), 0);
      assert.match(await page.locator(".deleted-admissions summary").innerText(), /\(1\)/);
      assert.deepEqual(await pageProblems(page, "deleted"), []);
      await page.getByRole("button", { name: "Undo (admission 1)", exact: true }).click();
      await page.locator("#admission-1").waitFor();
      await waitForFocus(page, "Edit admission 1");
    });

    await step("the page fits a phone and passes axe-core there", async () => {
      await page.setViewportSize(PHONE);
      await page.goto(`${origin}/patients/1`);
      assert.deepEqual(await pageProblems(page, "patient page"), []);
      await shots.take(page, "patient-admissions-390");
      await page.locator("#add-admission > summary").click();
      await page.locator("#add-admission form").waitFor({ state: "visible" });
      assert.deepEqual(await pageProblems(page, "add form open"), []);
      await shots.take(page, "admission-add-form-390");
      await page.getByRole("link", { name: "Edit admission 1", exact: true }).click();
      await page.locator("#admission-1.editing").waitFor();
      await waitForHtmx(page);
      assert.deepEqual(await pageProblems(page, "editing"), []);
      await shots.take(page, "admission-editing-390");
      await page.setViewportSize(LAPTOP);
      await page.goto(`${origin}/patients/1`);
      await shots.take(page, "patient-admissions-1366");
    });

    await step("the dashboard's stroke care: charts and tables at both sizes", async () => {
      await strokeUnit(stores);
      for (const size of [LAPTOP, PHONE]) {
        await page.setViewportSize(size);
        await page.goto(`${origin}/dashboard`);
        await page.locator("#stroke-care #door-to-needle svg.chart-svg").waitFor();
        assert.ok(await page.locator("#stroke-rates tbody tr").count() > 0);
        assert.deepEqual(await pageProblems(page, "dashboard with stroke care"), []);
        await page.locator("#stroke-care").screenshot({
          path: `${shots.dir}/stroke-care-${size.width}.png`,
          caret: "initial",
        });
      }
      await page.getByLabel("For sharing").check();
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.waitForURL(/for_sharing=true/);
      assert.deepEqual(await pageProblems(page, "dashboard for sharing"), []);
    });
  }));
