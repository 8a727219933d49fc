/**
 * Browser-test helpers: the real app served on a free local port with embedded stores, Chromium
 * through playwright-core, screenshots in a temporary folder, and a watch on console errors.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { join } from "node:path";
import type { SecurityConfig } from "../../config.ts";
import { openAccountsDb } from "../../db/accounts/database.ts";
import { openSqlitePatientStore } from "../../db/patients/sqlite/store.ts";
import { closeStores, type Stores } from "../../db/stores.ts";
import type { PatientFields } from "../../lib/patient_fields.ts";
import { createApp } from "../../routes/app.tsx";
import { loadAssets } from "../../http/assets.ts";
import { testConfig } from "./app.ts";
import { PASSWORD } from "./fixtures.ts";

export { PASSWORD };

export const CHROMIUM = "/usr/bin/chromium";

export interface Served {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  stores: Stores;
  close(): Promise<void>;
}

/**
 * The app on a free 127.0.0.1 port, over fresh embedded stores in a temporary directory, with
 * the test security settings and `security` over them (e.g. a short idle timeout).
 */
export async function serveApp(security: Partial<SecurityConfig> = {}): Promise<Served> {
  const dir = await Deno.makeTempDir({ prefix: "spm-browser-" });
  const config = testConfig({
    dataDir: dir,
    security: { ...testConfig().security, bcryptCost: 4, ...security },
  });
  const stores: Stores = {
    accounts: openAccountsDb(null, dir),
    patients: openSqlitePatientStore(dir),
  };
  const app = createApp({ config, stores, assets: await loadAssets(), log: () => {} });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    stores,
    async close() {
      await server.shutdown();
      await closeStores(stores);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Headless Chromium, as installed on the machine (no download). */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Numbered screenshots in one temporary folder per run (printed, never committed). */
export class Screenshots {
  readonly dir = Deno.makeTempDirSync({ prefix: "spm-shots-" });
  #n = 0;

  constructor() {
    console.log(`Screenshots: ${this.dir}`);
  }

  async take(page: Page, name: string): Promise<void> {
    const file = `${String(++this.#n).padStart(2, "0")}-${name}.png`;
    // caret "initial": hiding the caret injects a <style> that the app's CSP (rightly) refuses.
    const shoot = () =>
      page.screenshot({ path: join(this.dir, file), fullPage: true, caret: "initial" });
    try {
      await shoot();
    } catch (error) {
      // A loaded machine's renderer can be between frames ("Unable to capture screenshot"):
      // once more after the page has settled. The picture is for people; what the test checks
      // is asserted beside it.
      if (!/Unable to capture screenshot/.test(String(error))) throw error;
      await page.waitForLoadState();
      await shoot();
    }
  }
}

/**
 * Collects JavaScript errors and console errors (which include CSP violations) of a page.
 * "Failed to load resource" lines are left out: the tests cause 4xx answers on purpose.
 */
export function watchErrors(page: Page, into: string[]): void {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    into.push(`${page.url()} console: ${text}`);
  });
  page.on("pageerror", (error) => into.push(`${page.url()} page error: ${error.message}`));
}

/** `count` made-up patients with ids from `firstId`, ages and glucose levels spread out. */
export function samplePatients(count: number, firstId: number): PatientFields[] {
  const genders = ["Male", "Female"] as const;
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    gender: genders[i % 2]!,
    age: 20 + ((i * 7) % 60),
    hypertension: (i % 5 === 0 ? 1 : 0) as 0 | 1,
    heart_disease: 0,
    ever_married: "Yes",
    work_type: "Private",
    Residence_type: i % 3 === 0 ? "Rural" : "Urban",
    avg_glucose_level: 80 + i * 1.25,
    bmi: i % 4 === 0 ? null : 22.5 + (i % 10),
    smoking_status: "never smoked",
    stroke: 0,
  }));
}

/**
 * The label of the focused element: its aria-label, else its id, else its text (a row's
 * "Edit patient 67", words only screen readers read included).
 */
export function focused(page: Page): Promise<string> {
  return page.evaluate<string>(
    "(el => el?.getAttribute('aria-label') ?? (el?.id || " +
      "(el?.textContent ?? '').replace(/\\s+/g, ' ').trim()))(document.activeElement)",
  );
}

/**
 * Waits until the focused element has this label and htmx has settled: htmx focuses an
 * `autofocus` element after the swap and again after settling, so a key pressed in between
 * would be overtaken.
 */
export async function waitForFocus(page: Page, label: string): Promise<void> {
  // A function, not a string: the app's CSP (rightly) refuses string evaluation in the page.
  // It is sent to the page on its own, so everything it uses is inside it.
  const settledOn = (want: string) => {
    const { document } = globalThis as unknown as PageGlobals;
    const el = document.activeElement;
    const busy = document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
    const label = el?.getAttribute("aria-label") ??
      (el?.id || (el?.textContent ?? "").replace(/\s+/g, " ").trim());
    return label === want && !busy;
  };
  await page.waitForFunction(settledOn, label, { timeout: 3000 }).catch(async (error) => {
    throw new Error(`Focus is on "${await focused(page)}", not on "${label}"`, { cause: error });
  });
}

/** Waits until htmx has no request, swap or settle going on. */
export async function waitForHtmx(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    !(globalThis as unknown as PageGlobals).document.querySelector(
      ".htmx-request, .htmx-swapping, .htmx-settling",
    )
  );
}

/** The little of the page's globals the tests read (the test runner has no DOM types). */
interface PageGlobals {
  document: {
    activeElement:
      | { id: string; textContent: string | null; getAttribute(name: string): string | null }
      | null;
    querySelector(selector: string): unknown;
  };
}

/** Creates an account through the register form; the browser is then logged in on /patients. */
export async function registerThrough(page: Page, origin: string, name: string, email: string) {
  await page.goto(`${origin}/register`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
  await page.waitForURL(`${origin}/patients`);
}

/** Logs in through the login form, landing on /patients. */
export async function logInThrough(page: Page, origin: string, email: string) {
  await page.goto(`${origin}/login`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.waitForURL(`${origin}/patients`);
}

/** Unfolds the patient list's filter bar, unless it is open already. */
export async function openFilters(page: Page): Promise<void> {
  const panel = page.locator("#filters-panel");
  if (await panel.getAttribute("open") === null) {
    await panel.locator("summary").click();
    await page.locator("#filter-q").waitFor({ state: "visible" });
    await waitForHtmx(page);
  }
}

/**
 * Opens the filter panel without JavaScript: the folded panel links to the list with it open
 * (its form is fetched by htmx otherwise).
 */
export async function openFiltersWithoutScript(page: Page): Promise<void> {
  const panel = page.locator("#filters-panel");
  if (await page.locator("#filter-q").count() > 0) return;
  if (await panel.getAttribute("open") === null) await panel.locator("summary").click();
  await panel.getByRole("link", { name: "Show the filters", exact: true }).click();
  await page.locator("#filter-q").waitFor({ state: "visible" });
}

/** The text of a row's cells: id, gender, age, … stroke, actions. */
export function rowCells(page: Page, id: number | string): Promise<string[]> {
  return page.locator(`#patient-${id} > th, #patient-${id} > td`).allInnerTexts();
}

/** Fills the add form: a valid patient, with `values` instead where given. */
export async function fillAddForm(page: Page, values: Record<string, string>) {
  const all: Record<string, string> = {
    id: "",
    gender: "Female",
    age: "45",
    hypertension: "0",
    heart_disease: "0",
    ever_married: "Yes",
    work_type: "Private",
    Residence_type: "Urban",
    avg_glucose_level: "105.5",
    bmi: "",
    smoking_status: "never smoked",
    stroke: "0",
    ...values,
  };
  for (const [name, value] of Object.entries(all)) {
    const control = page.locator(`#add-${name}`);
    if (await control.evaluate((el) => el.tagName === "SELECT")) await control.selectOption(value);
    else await control.fill(value);
  }
}
