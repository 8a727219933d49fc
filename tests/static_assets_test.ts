/**
 * Static files: every page links them by a fingerprinted URL that is cached for a year and never
 * revalidated, a changed file gets a new URL, the bare URL is revalidated each time, text comes
 * compressed as asked, and pages themselves are never stored.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { assetUrl, loadAssets } from "../http/assets.ts";
import { assetRoutes } from "../routes/assets.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { parseDom } from "./helpers/html.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";

const FOR_GOOD = "public, max-age=31536000, immutable";
/** `/static/<name>.<12 hex digits>.<extension>`, e.g. `/static/vendor/htmx.min.3f9a1c2b4d5e.js`. */
const FINGERPRINTED = /^\/static\/([\w/.-]+)\.[0-9a-f]{12}(\.\w+)$/;

async function withApp(body: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await createTestApp();
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

/** Every `/static/` URL a page links: stylesheets, scripts, the icon. */
function assetLinks(html: string): string[] {
  const dom = parseDom(html);
  return dom.all("link[href], script[src]")
    .map((el) => el.getAttribute("href") ?? el.getAttribute("src") ?? "")
    .filter((url) => url.startsWith("/static/"));
}

Deno.test("every asset URL in a page is fingerprinted and served immutable", () =>
  withApp(async (app) => {
    const browser = await loggedInBrowser(app);
    const pages = new Map<string, string>();
    pages.set("/login", await (await app.request("/login")).text());
    for (const path of ["/patients", "/profile", "/registries"]) {
      const res = await browser.get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("Cache-Control"), "no-store", `${path} is never stored`);
      pages.set(path, await res.text());
    }
    for (const [path, html] of pages) {
      const links = assetLinks(html);
      assert.ok(links.length >= 4, `${path} links its stylesheets, scripts and icon`);
      for (const url of links) {
        const [, name, extension] = FINGERPRINTED.exec(url) ?? [];
        assert.ok(name, `${path}: ${url} is fingerprinted`);
        const res = await app.request(url);
        const body = await res.arrayBuffer();
        assert.equal(res.status, 200, url);
        assert.equal(res.headers.get("Cache-Control"), FOR_GOOD, url);
        const bare = await app.request(`/static/${name}${extension}`);
        assert.equal(bare.headers.get("Cache-Control"), "no-cache", `${name}${extension}`);
        assert.ok(
          Buffer.from(await bare.arrayBuffer()).equals(Buffer.from(body)),
          `${url} is the file itself`,
        );
      }
    }
  }));

Deno.test("changing a file's content changes its URL, and the old URL is no longer pinned", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-static-" });
  try {
    for await (const entry of Deno.readDir(new URL("../static/", import.meta.url))) {
      await Deno.copyFile(
        new URL(`../static/${entry.name}`, import.meta.url),
        `${dir}/${entry.name}`,
      );
    }
    const folder = new URL(`file://${dir}/`);
    const before = await loadAssets(folder);
    const css = await Deno.readTextFile(`${dir}/app.css`);
    await Deno.writeTextFile(`${dir}/app.css`, `${css}\n.changed { color: red; }\n`);
    const after = await loadAssets(folder);

    const [oldUrl, newUrl] = [assetUrl(before, "app.css"), assetUrl(after, "app.css")];
    assert.notEqual(newUrl, oldUrl);
    assert.equal(
      assetUrl(after, "app.js"),
      assetUrl(before, "app.js"),
      "an unchanged file keeps its URL",
    );

    const routes = assetRoutes(after);
    const fresh = await routes.request(newUrl);
    assert.equal(fresh.headers.get("Cache-Control"), FOR_GOOD);
    assert.match(await fresh.text(), /\.changed \{ color: red; \}/);
    const old = await routes.request(oldUrl);
    assert.equal(old.status, 200, "a page from before the change still gets its stylesheet");
    assert.equal(old.headers.get("Cache-Control"), "no-cache", "but it is not pinned");
    assert.match(await old.text(), /\.changed/);
    const unknown = await routes.request("/static/nothing.0123456789ab.css");
    assert.equal(unknown.status, 404);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("text assets come compressed as asked, each coding with its own ETag", () =>
  withApp(async (app) => {
    const html = await (await app.request("/login")).text();
    const url = assetLinks(html).find((u) => u.includes("/vendor/htmx.min."))!;
    const plain = await app.request(url);
    const bytes = Buffer.from(await plain.arrayBuffer());
    assert.equal(plain.headers.get("Content-Encoding"), null);
    const tags = new Set([plain.headers.get("ETag")]);
    for (const [coding, decode] of [["br", brotliDecompressSync], ["gzip", gunzipSync]] as const) {
      const res = await app.request(url, { headers: { "Accept-Encoding": `${coding}, identity` } });
      assert.equal(res.headers.get("Content-Encoding"), coding);
      assert.match(res.headers.get("Vary") ?? "", /Accept-Encoding/);
      assert.equal(res.headers.get("Cache-Control"), FOR_GOOD);
      const raw = Buffer.from(await res.arrayBuffer());
      assert.ok(raw.byteLength < bytes.byteLength / 2, `${coding} is much smaller`);
      assert.ok(Buffer.from(decode(raw)).equals(bytes), `${coding} decodes to the file`);
      const etag = res.headers.get("ETag")!;
      tags.add(etag);
      const again = await app.request(url, {
        headers: { "Accept-Encoding": coding, "If-None-Match": etag },
      });
      assert.equal(again.status, 304, `${coding}: revalidated by its own tag`);
      assert.equal(again.headers.get("ETag"), etag);
      await again.body?.cancel();
    }
    assert.equal(tags.size, 3, "identity, br and gzip each have a strong tag of their own");
    const browserLike = await app.request(url, {
      headers: { "Accept-Encoding": "gzip, deflate, br, zstd" },
    });
    await browserLike.body?.cancel();
    assert.equal(browserLike.headers.get("Content-Encoding"), "br", "brotli when both will do");

    const icon = await app.request(assetLinks(html).find((u) => u.includes("/favicon."))!, {
      headers: { "Accept-Encoding": "br" },
    });
    assert.ok((await icon.arrayBuffer()).byteLength < 1024, "the icon is a small file");
    assert.equal(icon.headers.get("Content-Encoding"), null, "a small file goes as it is");
  }));

Deno.test("a page links one stylesheet and one script of its own, which hold every file of static/", () =>
  withApp(async (app) => {
    const html = await (await app.request("/login")).text();
    const dom = parseDom(html);
    const sheets = dom.all('link[rel="stylesheet"]').map((l) => l.getAttribute("href")!);
    const scripts = dom.all("script[src]").map((s) => s.getAttribute("src")!);
    assert.equal(sheets.length, 1, `one stylesheet: ${sheets}`);
    assert.equal(scripts.length, 2, `htmx and one script: ${scripts}`);
    assert.match(scripts[0]!, /\/vendor\/htmx\.min\./, "htmx first");
    const staticDir = new URL("../static/", import.meta.url);
    const bundles: [url: string, extension: string, first: string][] = [
      [sheets[0]!, ".css", "app.css"],
      [scripts[1]!, ".js", "app.js"],
    ];
    for (const [url, extension, first] of bundles) {
      const bundle = await (await app.request(url)).text();
      const names: string[] = [];
      for await (const entry of Deno.readDir(staticDir)) {
        if (entry.isFile && entry.name.endsWith(extension)) names.push(entry.name);
      }
      assert.ok(names.length >= 2, `${extension}: more than one file`);
      const at = new Map<string, number>();
      for (const name of names) {
        const text = await Deno.readTextFile(new URL(name, staticDir));
        const index = bundle.indexOf(text);
        assert.ok(index >= 0, `${url} holds ${name}`);
        at.set(name, index);
      }
      assert.equal(at.get(first), 0, `${first} comes first in ${url}`);
    }
  }));
