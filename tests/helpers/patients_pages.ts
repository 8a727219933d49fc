/** For the suites of the `/patients` pages: a test per backend with Ann logged in, and htmx's headers. */
import assert from "node:assert/strict";
import { type TestApp, withPatientsApp } from "./app.ts";
import { patientBackends } from "./backends.ts";
import { FIRST_ROW, PASSWORD } from "./fixtures.ts";
import { TestBrowser } from "./test_browser.ts";

/**
 * One test per patient backend: Ann (user 1) registers, `seed` stores her patients, and she has
 * seen /patients (so her browser holds the CSRF token) when `body` starts.
 */
export function testWithAnn(
  name: string,
  seed: (app: TestApp) => Promise<unknown>,
  body: (app: TestApp, ann: TestBrowser) => Promise<void>,
) {
  for (const backend of patientBackends()) {
    Deno.test(`[${backend.name}] ${name}`, () =>
      withPatientsApp(backend, async (app) => {
        const ann = new TestBrowser(app);
        assert.equal((await ann.register("Ann", "ann@example.org", PASSWORD)).status, 303);
        await seed(app);
        assert.equal((await ann.get("/patients")).status, 200);
        await body(app, ann);
      }));
  }
}

/** One test per backend, with Ann logged in (user 1) owning patient 9046 (the dataset's first). */
export function testWithFirstRow(
  name: string,
  body: (app: TestApp, ann: TestBrowser) => Promise<void>,
) {
  testWithAnn(name, (app) => app.stores.patients.create(1, { ...FIRST_ROW }), body);
}

/** The headers htmx sends from the page at `current`, aiming at `target` (with the CSRF token). */
export const htmxHeaders = (browser: TestBrowser, target: string, current = "/patients") => ({
  "HX-Request": "true",
  "HX-Target": target,
  "HX-Current-URL": `http://127.0.0.1:5000${current}`,
  "X-CSRF-Token": browser.csrf,
});

/** A patient's values as a browser form sends them: text, an unknown one (null) empty. */
export function formFields(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v === null ? "" : String(v)]),
  );
}
