/**
 * Registries in a real Chromium: an owner creates one and adds members by keyboard (htmx swaps
 * the members in place), a member switches registry in the header, a viewer sees no member
 * controls; the registries' pages pass axe-core, keep their ids unique and fit a phone.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { openPage, withChromium } from "./helpers/browser_steps.ts";
import { focused, registerThrough, waitForFocus, waitForHtmx } from "./helpers/chromium.ts";
import { pageProblems } from "./helpers/page_audit.ts";

const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

Deno.test("in Chromium, a team shares a registry: switch, add a member, viewers see no controls", (t) =>
  withChromium(t, async ({ served, browser, shots, problems, step }) => {
    const { origin } = served;
    const ann = await openPage(browser, served, problems, { viewport: LAPTOP });
    const bob = await openPage(browser, served, problems, { viewport: LAPTOP });
    const vic = await openPage(browser, served, problems, { viewport: LAPTOP });
    await registerThrough(ann, origin, "Ann Owner", "ann@example.org");
    await registerThrough(bob, origin, "Bob Editor", "bob@example.org");
    await registerThrough(vic, origin, "Vic Viewer", "vic@example.org");
    let rid = "";

    await step("an owner creates a registry from the Registries page", async () => {
      await ann.getByRole("navigation", { name: "Main", exact: true })
        .getByRole("link", { name: "Registries", exact: true }).click();
      await ann.waitForURL(`${origin}/registries`);
      await ann.getByRole("button", { name: "Create registry", exact: true }).click();
      await ann.locator("#create-name-error").waitFor();
      assert.equal(await focused(ann), "create-name", "the focus is on the field to correct");
      await ann.keyboard.type("Stroke unit");
      await ann.keyboard.press("Enter");
      await ann.waitForURL(/\/registries\/t[a-z2-7]{16}$/);
      rid = new URL(ann.url()).pathname.split("/")[2]!;
      assert.equal(await ann.locator("h1").innerText(), "Stroke unit");
      assert.match(await ann.locator("#alerts").innerText(), /Registry “Stroke unit” created/);
      assert.equal(
        (await ann.locator("[data-registry-menu] > summary").innerText()).replace(/\s+/g, " "),
        "Registry Stroke unit your role: owner",
        "the header is in the new registry",
      );
    });

    await step("the owner adds members by keyboard; the list changes in place", async () => {
      const before = ann.url();
      await ann.getByLabel("Email", { exact: true }).fill("bob@example.org");
      await ann.getByLabel("Role", { exact: true }).selectOption("editor");
      await ann.getByLabel("Email", { exact: true }).press("Enter");
      await ann.locator(".member-email", { hasText: "bob@example.org" }).waitFor();
      await waitForFocus(ann, "add-email");
      assert.equal(ann.url(), before, "no page load: htmx swapped the members");
      assert.match(
        await ann.locator("#alerts").innerText(),
        /Bob Editor \(bob@example\.org\) is now an editor of “Stroke unit”\. No email is sent/,
      );
      assert.match(
        await ann.locator("#registry-history li").first().innerText(),
        /Ann Owner added Bob Editor \(bob@example\.org\) as editor\./,
      );
      await ann.keyboard.type("vic@example.org"); // the focus is back on the email field
      await ann.keyboard.press("Enter"); // the role's default is viewer
      await ann.locator(".member-email", { hasText: "vic@example.org" }).waitFor();
      await waitForHtmx(ann);
      await ann.getByLabel("Email", { exact: true }).fill("nobody@example.org");
      await ann.getByRole("button", { name: "Add member", exact: true }).click();
      await ann.locator(".member-email", { hasText: "nobody@example.org" }).waitFor();
      assert.match(
        await ann.locator("#alerts").innerText(),
        /invited as viewer — they will join when they register/,
      );
      const rows = await ann.locator(".member-list > li").allInnerTexts();
      assert.equal(rows.length, 4);
      assert.match(rows[2]!, /Not registered yet\s+nobody@example\.org[\s\S]*invited/);

      // A refused one: the message at the field, the focus there.
      await ann.getByLabel("Email", { exact: true }).fill("bob@example.org");
      await ann.getByRole("button", { name: "Add member", exact: true }).click();
      await ann.locator("#add-email-error").waitFor();
      await waitForFocus(ann, "add-email");
      assert.match(await ann.locator("#add-email-error").innerText(), /already a member/);
      await shots.take(ann, "registry-owner-refused-1366");
    });

    await step("a member switches registry in the header", async () => {
      await bob.goto(`${origin}/registries`);
      const menu = bob.locator("header [data-registry-menu] > summary");
      const says = async () => (await menu.innerText()).replace(/\s+/g, " ");
      assert.equal(await says(), "Registry Personal your role: owner");
      await menu.click();
      await bob.getByRole("link", { name: "Stroke unit your role: editor", exact: true }).click();
      await bob.waitForURL(`${origin}/registries?registry=${rid}`);
      assert.equal(await says(), "Registry Stroke unit your role: editor");
      const patients = bob.getByRole("navigation", { name: "Main", exact: true })
        .getByRole("link", { name: "Patients", exact: true });
      assert.equal(await patients.getAttribute("href"), `/patients?registry=${rid}`);
      assert.match(await bob.locator("table.registries tr.current").innerText(), /Stroke unit/);
      // By keyboard: the menu opens with Enter, Escape closes it and leaves the focus on it.
      await menu.focus();
      await bob.keyboard.press("Enter");
      await bob.getByRole("link", { name: "Manage registries", exact: true }).waitFor();
      await shots.take(bob, "switcher-open-1366");
      await bob.keyboard.press("Escape");
      await bob.getByRole("link", { name: "Manage registries", exact: true })
        .waitFor({ state: "hidden" });
      assert.equal(
        await bob.evaluate(() => {
          const { document } = globalThis as unknown as {
            document: { activeElement: { tagName: string } | null };
          };
          return document.activeElement?.tagName;
        }),
        "SUMMARY",
      );
      // Back to the personal registry: its address carries no registry.
      await bob.keyboard.press("Enter");
      await bob.keyboard.press("Tab");
      await bob.keyboard.press("Enter");
      await bob.waitForURL(`${origin}/registries`);
      assert.equal(await says(), "Registry Personal your role: owner");
    });

    await step("a viewer sees the members but no control to change them", async () => {
      await vic.goto(`${origin}/registries/${rid}`);
      assert.match(await vic.locator(".lead").innerText(), /Your role here is viewer/);
      assert.equal(await vic.locator(".member-list > li").count(), 4);
      for (const name of ["Add member", "Rename", "Change", "Remove"]) {
        assert.equal(await vic.getByRole("button", { name }).count(), 0, `no ${name}`);
      }
      assert.equal(await vic.locator(".member-list select").count(), 0, "no role choice");
      assert.equal(await vic.getByRole("link", { name: /^Delete/ }).count(), 0, "no Delete");
      assert.equal(await vic.getByRole("link", { name: /^Leave/ }).count(), 1, "but Leave");
      await shots.take(vic, "registry-viewer-1366");
    });

    await step("the owner changes a role and removes a member in place", async () => {
      await ann.goto(`${origin}/registries/${rid}`);
      await ann.getByLabel("Role of Vic Viewer (vic@example.org)", { exact: true })
        .selectOption("editor");
      await ann.getByRole("button", {
        name: "Change the role of Vic Viewer (vic@example.org)",
        exact: true,
      }).click();
      await ann.locator("#alerts").getByText(/Vic Viewer \(vic@example\.org\) is now an editor/)
        .waitFor();
      await waitForFocus(ann, "members-heading");
      await ann.getByRole("button", { name: "Remove nobody@example.org", exact: true }).click();
      await ann.locator("#alerts").getByText("The invitation of nobody@example.org is withdrawn.")
        .waitFor();
      await waitForHtmx(ann);
      assert.equal(await ann.locator(".member-list > li").count(), 3);
      // The last owner cannot step down: said at the role, the focus there.
      await ann.getByLabel("Role of Ann Owner (ann@example.org)", { exact: true })
        .selectOption("viewer");
      await ann.getByRole("button", {
        name: "Change the role of Ann Owner (ann@example.org)",
        exact: true,
      }).click();
      await ann.locator("#role-ann-example-org-error").waitFor();
      await waitForFocus(ann, "role-ann-example-org");
      assert.match(await ann.locator("#role-ann-example-org-error").innerText(), /last owner/);
    });

    await step("the registries' pages pass axe-core and fit a phone", async () => {
      const go = (page: Page, path: string) => async () => void await page.goto(`${origin}${path}`);
      const states: [string, Page, () => Promise<void>][] = [
        ["registries", bob, go(bob, `/registries?registry=${rid}`)],
        ["registry, owner", ann, go(ann, `/registries/${rid}`)],
        ["registry, owner, refused", ann, async () => {
          await ann.goto(`${origin}/registries/${rid}`);
          await ann.getByRole("button", { name: "Add member", exact: true }).click();
          await ann.locator("#add-email-error").waitFor();
          await waitForHtmx(ann);
        }],
        ["registry, roles explained", ann, async () => {
          await ann.goto(`${origin}/registries/${rid}`);
          await ann.getByText("What each role may do", { exact: true }).click();
        }],
        ["registry, a member but no owner", vic, go(vic, `/registries/${rid}`)],
        ["leave", vic, go(vic, `/registries/${rid}/leave`)],
        ["delete", ann, go(ann, `/registries/${rid}/delete`)],
        ["personal", bob, go(bob, "/registries/p2")],
      ];
      const found: string[] = [];
      for (const size of [LAPTOP, PHONE]) {
        for (const page of [ann, bob, vic]) await page.setViewportSize(size);
        for (const [name, page, open] of states) {
          await open();
          found.push(...await pageProblems(page, name));
          await shots.take(page, `${name.replaceAll(/\W+/g, "-")}-${size.width}`);
        }
      }
      assert.deepEqual(found, []);
    });
  }));
