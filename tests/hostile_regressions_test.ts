/**
 * The bugs the hostile-input properties found, each pinned by a focused test.
 */
import assert from "node:assert/strict";
import { createTestApp } from "./helpers/app.ts";
import { parseDom } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";

Deno.test("a form whose multipart body cannot be read is a 400 that says so, not a 500", async () => {
  const app = await createTestApp();
  try {
    const browser = await loggedInBrowser(app, {
      name: "Ada",
      email: "ada@example.org",
      page: "/profile",
    });
    const multipart = (boundary: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nAda L\r\n--${boundary}--\r\n`;
    const sends: [string, string, string][] = [
      // No boundary, a boundary that the body does not use, a form that is not multipart.
      ["/profile", "multipart/form-data", multipart("zzz")],
      ["/profile", "multipart/form-data; boundary=abc", multipart("zzz")],
      ["/patients", "multipart/form-data; boundary=abc", "gender=Male&age=67"],
      ["/patients/import", "multipart/form-data", "id,gender\r\n1,Male\r\n"],
    ];
    for (const [path, type, body] of sends) {
      for (const token of [{}, { "X-CSRF-Token": browser.csrf }]) {
        const res = await browser.request(path, {
          method: "POST",
          body,
          headers: { "Content-Type": type, ...token },
        });
        assert.equal(res.status, 400, `POST ${path} as ${type}`);
        const page = parseDom(await res.text());
        assert.match(page.find("main")?.textContent ?? "", /form could not be read/);
      }
    }
    // Nothing was changed by them.
    const profile = parseDom(await (await browser.get("/profile")).text());
    assert.equal(profile.find('input[name="name"]')?.getAttribute("value"), "Ada");
  } finally {
    await app.close();
  }
});
