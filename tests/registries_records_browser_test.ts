/**
 * The records pages in a team registry, in a real Chromium: an editor switches to the team's
 * registry in the header, sees its name and role above the table (ten rows still on a laptop's
 * first screen), adds, edits, deletes and undoes there, and back in the personal registry the
 * record is not there; a viewer sees no control to change records and only the de-identified
 * export; every records page of the registry passes axe-core and fits a laptop and a phone.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createRegistryService } from "../lib/registry_service.ts";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import { fillAddForm, registerThrough, samplePatients, waitForHtmx } from "./helpers/chromium.ts";
import { pageProblems } from "./helpers/page_audit.ts";

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

/** How many patient rows are wholly on the first screen of this height. */
const rowsOnScreen = (page: Page, height: number) =>
  page.locator("#patient-rows > tr").evaluateAll(
    (rows, h) => rows.filter((row) => row.getBoundingClientRect().bottom <= h).length,
    height,
  );

/** The header's registry menu, as it reads. */
const menuText = async (page: Page) =>
  (await page.locator("header [data-registry-menu] > summary").innerText()).replace(/\s+/g, " ");

/** Switches registry through the header's menu (opened by a click, as a person does). */
async function switchTo(page: Page, name: string, role: string) {
  const before = page.url();
  await page.locator("header [data-registry-menu] > summary").click();
  await page.locator("header [data-registry-menu]")
    .getByRole("link", { name: `${name} your role: ${role}`, exact: true }).click();
  // Each registry's list has its own address: the switch is done when the address has changed.
  await page.waitForURL((url) => url.href !== before);
  await page.waitForLoadState();
}

Deno.test("in Chromium, records are kept in the team registry the header switches to", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin, stores } = served;
    const ann = await openPage(browser, served, problems, { viewport: LAPTOP });
    const bob = await openPage(browser, served, problems, { viewport: LAPTOP });
    const vic = await openPage(browser, served, problems, { viewport: LAPTOP });
    await registerThrough(ann, origin, "Ann Owner", "ann@example.org");
    await registerThrough(bob, origin, "Bob Editor", "bob@example.org");
    await registerThrough(vic, origin, "Vic Viewer", "vic@example.org");
    // Ann's registry and its members (their pages have a suite of their own).
    const registries = createRegistryService(stores.accounts);
    const actor = { userId: 1 }; // Ann
    const { id: rid } = await registries.create(actor, "Stroke unit");
    const access = await registries.resolveAccess(actor, rid);
    await registries.addMember(access, actor, { email: "bob@example.org", role: "editor" });
    await registries.addMember(access, actor, { email: "vic@example.org", role: "viewer" });
    await stores.patients.insertMany(access.scope, samplePatients(40, 1));
    const teamList = `${origin}/patients?registry=${rid}`;

    await step(
      "an editor switches to the team registry; its name and role head the list",
      async () => {
        await bob.goto(`${origin}/patients`);
        assert.equal(await menuText(bob), "Registry Personal your role: owner");
        await switchTo(bob, "Stroke unit", "editor");
        assert.equal(bob.url(), teamList);
        assert.equal(await menuText(bob), "Registry Stroke unit your role: editor");
        assert.equal(
          (await bob.locator("h1").innerText()).replace(/\s+/g, " "),
          "Patients · Stroke unit (editor)",
        );
        const seen = await rowsOnScreen(bob, LAPTOP.height);
        assert.ok(seen >= 10, `${seen} patient rows above the fold in the team registry`);
        await shots.take(bob, "team-list-editor-1366");
      },
    );

    await step("the editor adds, edits, deletes and undoes, all in the team registry", async () => {
      await bob.getByText("Add a patient", { exact: true }).click();
      await fillAddForm(bob, { id: "900", age: "52" });
      await bob.getByRole("button", { name: "Add patient", exact: true }).click();
      await bob.locator("#patient-900").waitFor();
      await waitForHtmx(bob);
      assert.match(await bob.locator("#patient-status").innerText(), /Patient 900 added/);
      assert.ok(await stores.patients.get(access.scope, 900), "stored in the team registry");
      assert.equal(await stores.patients.get(2, 900), null, "not in Bob's own");

      await bob.getByRole("link", { name: "Edit patient 900", exact: true }).click();
      await bob.locator("#edit-900-age").fill("53");
      await bob.locator("#patient-900").getByRole("button", { name: "Save", exact: true }).click();
      await bob.locator("#patient-status").getByText("Patient 900 saved.").waitFor();
      await waitForHtmx(bob);
      assert.equal((await stores.patients.get(access.scope, 900))?.age, 53);
      await shots.take(bob, "team-saved-1366");

      bob.once("dialog", (dialog) => dialog.accept());
      await bob.getByRole("button", { name: "Delete patient 900", exact: true }).click();
      await bob.locator("#patient-status").getByText(/Patient 900 deleted\./).waitFor();
      await waitForHtmx(bob);
      assert.equal(await stores.patients.get(access.scope, 900), null);
      await bob.getByRole("button", { name: "Undo (patient 900)", exact: true }).click();
      await bob.locator("#patient-900").waitFor();
      await bob.locator("#patient-status").getByText("Patient 900 restored.").waitFor();
      await waitForHtmx(bob);
      assert.ok(await stores.patients.get(access.scope, 900), "back in the team registry");
      assert.equal(bob.url(), teamList, "the address never left the registry");
    });

    await step("back in the personal registry, the record is not there", async () => {
      await switchTo(bob, "Personal", "owner");
      assert.equal(bob.url(), `${origin}/patients`);
      assert.equal((await bob.locator("h1").innerText()).trim(), "Patients");
      assert.equal(await bob.locator("#patient-900").count(), 0);
      assert.match(await bob.locator("#patient-empty").innerText(), /You have no patients yet/);
      await shots.take(bob, "personal-empty-1366");
    });

    await step("a patient typed but not added comes back in its registry only", async () => {
      await bob.goto(teamList);
      await bob.getByText("Add a patient", { exact: true }).click();
      await bob.locator("#add-id").fill("901");
      await bob.locator("#add-age").fill("33");
      await switchTo(bob, "Personal", "owner");
      assert.equal(await bob.locator("#add-id").inputValue(), "", "not in the personal form");
      assert.equal(await bob.locator("#add-patient .draft-note").count(), 0);
      await switchTo(bob, "Stroke unit", "editor");
      await bob.locator("#add-patient .draft-note").getByText("What you typed before is back.")
        .waitFor();
      assert.equal(await bob.locator("#add-id").inputValue(), "901");
      assert.equal(await bob.locator("#add-age").inputValue(), "33");
      await bob.getByRole("button", { name: "Discard", exact: true }).click();
      assert.equal(await bob.locator("#add-id").inputValue(), "");
    });

    await step("a viewer sees the records but no control to change them", async () => {
      await vic.goto(`${origin}/patients`);
      await switchTo(vic, "Stroke unit", "viewer");
      assert.equal(
        (await vic.locator("h1").innerText()).replace(/\s+/g, " "),
        "Patients · Stroke unit (viewer)",
      );
      await vic.locator("#patient-900").waitFor();
      assert.equal(await vic.getByRole("link", { name: /^Edit patient/ }).count(), 0, "no Edit");
      assert.equal(await vic.getByRole("button", { name: /^Delete patient/ }).count(), 0);
      assert.equal(await vic.getByText("Add a patient", { exact: true }).count(), 0, "no Add");
      assert.equal(await vic.getByRole("link", { name: "Import a CSV file" }).count(), 0);
      assert.ok(await vic.getByRole("link", { name: "History of patient 900" }).isVisible());
      await vic.getByText("Export", { exact: true }).click();
      assert.match(
        await vic.locator("#export-view").innerText(),
        /As a viewer of “Stroke unit”, you may export .* de-identified only/,
      );
      assert.equal(await vic.locator("#export-view a").count(), 0, "no plain CSV or JSON");
      // The de-identified export's form is fetched as the panel opens.
      await vic.getByRole("button", { name: "Download de-identified CSV" }).waitFor();
      await shots.take(vic, "team-list-viewer-1366");
      await vic.goto(`${origin}/patients/900?registry=${rid}`);
      assert.equal(await vic.getByRole("link", { name: "Edit", exact: true }).count(), 0);
      assert.equal(await vic.getByRole("link", { name: "Delete", exact: true }).count(), 0);
      await vic.goto(`${origin}/patients/900/edit?registry=${rid}`);
      assert.match(await vic.locator("main").innerText(), /needs the editor role or owner/);
    });

    await step("the team registry's pages pass axe-core and fit a laptop and a phone", async () => {
      await stores.patients.delete(access.scope, 40); // something in "Recently deleted"
      const at = (path: string) =>
        `${origin}${path}${path.includes("?") ? "&" : "?"}registry=${rid}`;
      const states: [string, Page, string][] = [
        ["list, editor", bob, at("/patients")],
        ["list, viewer", vic, at("/patients")],
        ["patient, viewer", vic, at("/patients/900")],
        ["edit, editor", bob, at("/patients/900/edit")],
        ["delete, editor", bob, at("/patients/900/delete")],
        ["history, editor", bob, at("/patients/900/history")],
        ["recently deleted, editor", bob, at("/patients/deleted")],
        ["recently deleted, viewer", vic, at("/patients/deleted")],
        ["import, editor", bob, at("/patients/import")],
        ["import refused, viewer", vic, at("/patients/import")],
        ["dashboard, viewer", vic, at("/dashboard")],
      ];
      const found: string[] = [];
      for (const size of [LAPTOP, PHONE]) {
        for (const page of [bob, vic]) await page.setViewportSize(size);
        for (const [name, page, url] of states) {
          await page.goto(url);
          found.push(...await pageProblems(page, name));
          await shots.take(page, `${name.replaceAll(/\W+/g, "-")}-${size.width}`);
        }
      }
      assert.deepEqual(found, []);
    });
    await ann.close();
  }));
