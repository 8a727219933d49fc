/** Serves the browser's files from memory: `static/` and htmx from its npm package (never a CDN). */
import { Hono } from "hono";
import { extname } from "node:path";

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Short content hash: the versioned URL's `v` and the ETag. */
  hash: string;
}

/** Every asset by its name under `/static/`, e.g. `app.css`, `vendor/htmx.min.js`. */
export type AssetManifest = Map<string, Asset>;

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

async function hashOf(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function add(manifest: AssetManifest, name: string, url: URL): Promise<void> {
  const body = await Deno.readFile(url);
  const type = TYPES[extname(name)] ?? "application/octet-stream";
  manifest.set(name, { body, type, hash: await hashOf(body) });
}

/** Reads every asset once, at start-up. */
export async function loadAssets(): Promise<AssetManifest> {
  const manifest: AssetManifest = new Map();
  const dir = new URL("../static/", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) await add(manifest, entry.name, new URL(entry.name, dir));
  }
  await add(
    manifest,
    "vendor/htmx.min.js",
    new URL("htmx.min.js", import.meta.resolve("htmx.org")),
  );
  return manifest;
}

/** The URL of an asset, versioned by content so browsers may cache it for good. */
export function assetUrl(manifest: AssetManifest, name: string): string {
  const asset = manifest.get(name);
  if (!asset) throw new Error(`No static asset named ${name}`);
  return `/static/${name}?v=${asset.hash}`;
}

/**
 * The URLs of every top-level asset with this extension, `first` before the rest (by name):
 * each area's stylesheet or script in `static/` is on every page without further wiring.
 */
export function assetUrls(manifest: AssetManifest, extension: string, first: string): string[] {
  const names = [...manifest.keys()].filter((n) => !n.includes("/") && n.endsWith(extension));
  names.sort((a, b) => Number(b === first) - Number(a === first) || a.localeCompare(b));
  return names.map((name) => assetUrl(manifest, name));
}

/** `GET /static/*`: a versioned URL is cached for a year; any other is revalidated by ETag. */
export function assetRoutes(manifest: AssetManifest): Hono {
  const app = new Hono();
  app.get("/static/*", (c) => {
    const name = c.req.path.slice("/static/".length);
    const asset = manifest.get(name);
    if (!asset) return c.notFound();
    const etag = `"${asset.hash}"`;
    c.header("ETag", etag);
    c.header(
      "Cache-Control",
      c.req.query("v") === asset.hash ? "public, max-age=31536000, immutable" : "no-cache",
    );
    if (c.req.header("If-None-Match") === etag) return c.body(null, 304);
    c.header("Content-Type", asset.type);
    return c.body(asset.body);
  });
  return app;
}
