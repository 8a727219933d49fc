/**
 * Every page state in a real Chromium at 1366×768 and 390×844: no sideways scrolling, no id used
 * twice, and no serious or critical axe-core finding. Then what a walk-through found on some of
 * them: the codebook in the navigation without backticks, recovery codes to download and print,
 * views grouped in the history (the log keeps each), and names and words in the admin's log.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import { setAdmin } from "../db/accounts/admin.ts";
import { createPasswordReset } from "../db/accounts/password_resets.ts";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import { registerThrough, samplePatients, waitForHtmx } from "./helpers/chromium.ts";
import { pageProblems } from "./helpers/page_audit.ts";
import { codeAt } from "./helpers/two_factor.ts";

const SIZES = [{ width: 1366, height: 768 }, { width: 390, height: 844 }];
/** A CSV with a good row and a bad one, for the import's preview. */
const CSV = "id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type," +
  "avg_glucose_level,bmi,smoking_status,stroke\n" +
  "9001,Female,61,0,1,Yes,Private,Urban,180.5,31.2,never smoked,1\n" +
  "9002,Female,abc,0,0,Yes,Office,Urban,80,N/A,smokes,0\n";

/** Admissions of two patients, one row with a problem, for the admissions' check. */
const ADMISSIONS_CSV = "patient_id,stroke_type,arrival_at,nihss_arrival\n" +
  "3,ischaemic,2025-01-05T10:00:00Z,4\n" +
  "4,TIA,2025-01-06T10:00:00Z,99\n";

Deno.test("in Chromium, every page fits a phone, has unique ids and passes axe-core", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin, stores } = served;
    const page = await openPage(browser, served, problems, { viewport: SIZES[0]! });
    const visitor = await openPage(browser, served, problems, { viewport: SIZES[0]! });
    const newcomer = await openPage(browser, served, problems, { viewport: SIZES[0]! });
    await registerThrough(page, origin, "Ann Clinician", "ann@example.org");
    await registerThrough(newcomer, origin, "Nia Newcomer", "nia@example.org");
    await setAdmin(stores.accounts, "ann@example.org", true);
    await stores.patients.insertMany(
      1,
      samplePatients(240, 1).map((p, i) => ({
        ...p,
        stroke: (i % 6 === 0 || (p.age > 60 && i % 3 === 0) ? 1 : 0) as 0 | 1,
      })),
    );
    await page.goto(`${origin}/patients`);
    page.on("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete patient 2", exact: true }).click();
    await page.getByRole("button", { name: "Undo (patient 2)", exact: true }).waitFor();
    await page.request.get(`${origin}/api/patient_data/export?gender=Female&age_min=40`);
    const reset = await createPasswordReset(stores.accounts, "nia@example.org", "admin");

    const go = (on: Page, path: string) => async () => void await on.goto(`${origin}${path}`);
    const states: [string, Page, () => Promise<void>][] = [
      ["home", page, go(page, "/")],
      ["log-in", visitor, go(visitor, "/login")],
      ["forgot password, no email", visitor, go(visitor, "/forgot-password")],
      ["choose a new password", visitor, go(visitor, `/reset-password/${reset.token}`)],
      ["reset link unusable", visitor, go(visitor, "/reset-password/not-a-link")],
      ["register, refused", visitor, async () => {
        await visitor.goto(`${origin}/register`);
        await visitor.getByRole("button", { name: "Create account", exact: true }).click();
        await visitor.locator("#name-error").waitFor();
      }],
      ["empty list", newcomer, go(newcomer, "/patients")],
      ["patients", page, go(page, "/patients")],
      ["patients, every panel open", page, async () => {
        await page.goto(`${origin}/patients?filters=open`);
        await page.getByText("Add a patient", { exact: true }).click();
        await page.getByText("Export", { exact: true }).click();
        await page.getByRole("button", { name: "Check what would be left out", exact: true })
          .click();
        await page.locator("#export-check .alert").waitFor();
      }],
      ["inline edit", page, async () => {
        await page.goto(`${origin}/patients?page=2`);
        await page.getByRole("link", { name: "Edit patient 60", exact: true }).click();
        await page.locator("#edit-60-age, #edit-age").first().waitFor();
        await waitForHtmx(page);
      }],
      ["patient", page, go(page, "/patients/7")],
      ["edit page", page, go(page, "/patients/7/edit")],
      ["delete page", page, go(page, "/patients/7/delete")],
      ["history", page, go(page, "/patients/7/history")],
      ["recently deleted", page, go(page, "/patients/deleted")],
      ["import", page, go(page, "/patients/import")],
      ["import preview", page, async () => {
        await page.goto(`${origin}/patients/import`);
        await page.getByLabel("CSV file", { exact: true }).setInputFiles({
          name: "ward.csv",
          mimeType: "text/csv",
          buffer: Buffer.from(CSV),
        });
        await page.getByRole("button", { name: "Check the file", exact: true }).click();
        await page.getByRole("heading", { name: "Check before importing", exact: true }).waitFor();
      }],
      ["admissions import", page, go(page, "/patients/admissions/import")],
      ["admissions import, checked", page, async () => {
        await page.goto(`${origin}/patients/admissions/import`);
        await page.getByLabel("CSV file", { exact: true }).setInputFiles({
          name: "admissions.csv",
          mimeType: "text/csv",
          buffer: Buffer.from(ADMISSIONS_CSV),
        });
        await page.getByRole("button", { name: "Check the file", exact: true }).click();
        await page.locator("#admission-import-result [role=status]").waitFor();
      }],
      ["dashboard, filtered", page, go(page, "/dashboard?hypertension=1")],
      ["dashboard, numbers open", page, async () => {
        await page.goto(`${origin}/dashboard`);
        await page.locator("#rate-gender details.chart-data > summary").click();
        await page.locator(".forest-plot details.chart-data > summary").click();
      }],
      ["codebook", page, go(page, "/codebook")],
      ["profile", page, go(page, "/profile")],
      ["admin users", page, go(page, "/admin")],
      ["audit log", page, go(page, "/admin/audit")],
      ["not found", page, go(page, "/patients/999999")],
    ];

    await step("every page state: no sideways scrolling, unique ids, axe-core clean", async () => {
      const found: string[] = [];
      for (const size of SIZES) {
        for (const on of [page, visitor, newcomer]) await on.setViewportSize(size);
        for (const [name, on, open] of states) {
          await open();
          found.push(...await pageProblems(on, name));
          if (size.width < 1000) await shots.take(on, `${name.replaceAll(/\W+/g, "-")}-390`);
        }
      }
      assert.deepEqual(found, []);
      await page.setViewportSize(SIZES[0]!);
    });

    await step(
      "the codebook is in the navigation and shows values as code, not backticks",
      async () => {
        await page.goto(`${origin}/patients`);
        await page.getByRole("navigation", { name: "Main", exact: true })
          .getByRole("link", { name: "Codebook", exact: true }).click();
        await page.waitForURL(`${origin}/codebook`);
        const table = await page.locator("table.codebook").innerText();
        assert.doesNotMatch(table, /`/);
        const description = page.locator("#field-smoking_status td:last-child code");
        assert.equal(await description.innerText(), "Unknown", "the description's value as code");
      },
    );

    await step(
      "the dashboard's charts share one axis; forest labels keep off the line at 1",
      async () => {
        await page.goto(`${origin}/dashboard`);
        const axes = await page.locator("figure.rate-chart svg.chart-svg").evaluateAll((svgs) =>
          svgs.map((svg) =>
            [...svg.querySelectorAll(".chart-tick")].map((t) => t.textContent).join()
          )
        );
        assert.equal(new Set(axes).size, 1, `one axis for every chart: ${new Set(axes).size}`);
        const crossing = await page.locator(".forest-plot svg.chart-svg").evaluate((svg) => {
          const line = svg.querySelector(".chart-null")!.getBoundingClientRect();
          return [...svg.querySelectorAll(".chart-row text")].map((t) => t.getBoundingClientRect())
            .filter((r) => r.left < line.right && r.right > line.left).length;
        });
        assert.equal(crossing, 0, "no label of the forest plot crosses the line at 1");
        await page.goto(`${origin}/dashboard?age_min=60`);
        assert.equal(await page.locator("svg.chart-svg .chart-ref").count(), 0);
        assert.match(
          await page.locator(".chart-note").innerText(),
          /published dataset is not shown beside these records/,
        );
        await shots.take(page, "dashboard-age-filter");
      },
    );

    await step("views in a row read as one line; the log keeps each of them", async () => {
      for (let i = 0; i < 3; i++) await page.goto(`${origin}/patients/9`);
      await page.goto(`${origin}/patients/9/history`);
      const lines = await page.locator("#history li .history-what").allInnerTexts();
      assert.match(lines[0]!, /^Viewed 3 times on its page by you, (.* UTC to )?.* UTC$/);
      assert.equal(lines.length, 1, lines.join(" | "));
      const { items } = await stores.patients.audit.search({ patientId: 9, action: "view" }, {
        offset: 0,
        limit: 10,
      });
      assert.equal(items.length, 3, "three view entries in the log");
      await shots.take(page, "history-grouped");
    });

    await step(
      "the audit log names people beside their ids and says filters in words",
      async () => {
        await page.setViewportSize(SIZES[0]!);
        await page.goto(`${origin}/admin/audit?action=export`);
        const row = await page.locator("table.admin-audit tbody tr").first().innerText();
        assert.match(row, /Ann Clinician \(1\)/);
        assert.match(row, /CSV; filtered by gender, age/);
        assert.doesNotMatch(row, /Female/, "the filter's values are not shown to admins");
        assert.doesNotMatch(row, /[{}]/, "no JSON");
        const wrap = await page.locator(".table-wrap").evaluate((
          el,
        ) => [el.scrollWidth, el.clientWidth]);
        assert.ok(wrap[0]! <= wrap[1]!, `the columns fit at 1366 (${wrap})`);
        await page.goto(`${origin}/admin/audit?user_id=1`);
        assert.match(
          await page.locator("p.count").innerText(),
          /about the records of Ann Clinician \(1\)/,
        );
        await page.goto(`${origin}/admin`);
        const users = await page.locator(".table-wrap").evaluate((
          el,
        ) => [el.scrollWidth, el.clientWidth]);
        assert.ok(users[0]! <= users[1]!, `the users' columns fit at 1366 (${users})`);
        await shots.take(page, "audit-log");
      },
    );

    await step("recovery codes can be downloaded as a text file and printed", async () => {
      await page.goto(`${origin}/profile`);
      await page.getByRole("button", { name: "Set up two-factor authentication", exact: true })
        .click();
      const secret = (await page.locator("#totp-key").innerText()).replaceAll(" ", "");
      await page.getByLabel("Code from your app", { exact: true }).fill(await codeAt(secret));
      await page.getByRole("button", { name: "Turn on", exact: true }).click();
      const codes = await page.locator("ol.recovery-codes li").allInnerTexts();
      assert.equal(codes.length, 10);
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download as a text file", exact: true }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "recovery-codes.txt");
      const file = await Deno.readTextFile((await download.path())!);
      for (const code of codes) assert.ok(file.includes(code), `${code} is in the file`);
      assert.match(file, /recovery codes for ann@example\.org/);
      assert.ok(await page.getByRole("button", { name: "Print", exact: true }).isVisible());
      await page.emulateMedia({ media: "print" });
      const printed = await page.locator("body").evaluate((body) =>
        [...body.querySelectorAll("*")].filter((el) =>
          el.ownerDocument.defaultView!.getComputedStyle(el).visibility === "visible" &&
          el.childElementCount === 0 && el.textContent!.trim() !== ""
        ).map((el) => el.textContent!.trim())
      );
      await page.emulateMedia({ media: "screen" });
      assert.deepEqual(printed.filter((t) => codes.includes(t)), codes, "the codes print");
      assert.ok(!printed.includes("Log out"), "the page around them does not");
      const found: string[] = [];
      for (const size of SIZES) {
        await page.setViewportSize(size);
        found.push(...await pageProblems(page, "recovery codes"));
      }
      assert.deepEqual(found, []);
      await shots.take(page, "recovery-codes-390");
    });
  }));
