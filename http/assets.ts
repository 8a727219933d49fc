/**
 * The browser's files in memory: `static/` and htmx from its npm package (never a CDN), each
 * with a fingerprinted URL (its content hash in the name: `/static/app.3f9a1c2b4d5e.css`) and,
 * made on first request, its gzip and brotli copies.
 */
import { extname } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { TagCoding } from "../lib/entity_tags.ts";

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Short content hash: in the fingerprinted URL, and the ETag. */
  hash: string;
  /** Whether compressing it is worth it (text, at least {@link MIN_COMPRESSED} bytes). */
  compressible: boolean;
  /** Its compressed copies by coding, once asked for (null: no smaller than the original). */
  coded: Partial<Record<TagCoding, Promise<Uint8Array<ArrayBuffer> | null>>>;
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
const TEXT = new Set([".css", ".js", ".svg"]);
/** Smaller files are sent as they are. */
const MIN_COMPRESSED = 1024;
/** A name with a fingerprint: `app.3f9a1c2b4d5e.css` → `app`, `3f9a1c2b4d5e`, `.css`. */
const FINGERPRINTED = /^(.+)\.([0-9a-f]{12})(\.[\w]+)$/;

async function hashOf(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function add(manifest: AssetManifest, name: string, url: URL): Promise<void> {
  const body = await Deno.readFile(url);
  const extension = extname(name);
  const type = TYPES[extension] ?? "application/octet-stream";
  const compressible = TEXT.has(extension) && body.byteLength >= MIN_COMPRESSED;
  manifest.set(name, { body, type, hash: await hashOf(body), compressible, coded: {} });
}

/** Reads every asset once, at start-up (from `dir`, `static/` unless a test gives another). */
export async function loadAssets(
  dir: URL = new URL("../static/", import.meta.url),
): Promise<AssetManifest> {
  const manifest: AssetManifest = new Map();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) await add(manifest, entry.name, new URL(entry.name, dir));
  }
  await add(
    manifest,
    "vendor/htmx.min.js",
    new URL("htmx.min.js", import.meta.resolve("htmx.org")),
  );
  await addBundle(manifest, BUNDLES.stylesheet, "app.css");
  await addBundle(manifest, BUNDLES.script, "app.js");
  return manifest;
}

/** `name` with `hash` before its extension: `app.css` → `app.3f9a1c2b4d5e.css`. */
function fingerprinted(name: string, hash: string): string {
  const extension = extname(name);
  return `${name.slice(0, name.length - extension.length)}.${hash}${extension}`;
}

/** The URL of an asset, fingerprinted by content so browsers may cache it for good. */
export function assetUrl(manifest: AssetManifest, name: string): string {
  const asset = manifest.get(name);
  if (!asset) throw new Error(`No static asset named ${name}`);
  return `/static/${fingerprinted(name, asset.hash)}`;
}

/** The names of the asset bundles every page links (see {@link addBundle}). */
export const BUNDLES = { stylesheet: "bundle.css", script: "bundle.js" } as const;

/**
 * Every top-level file of `static/` with this extension, `first` before the rest (by name),
 * joined into one asset `name`: each area's stylesheet or script is on every page without
 * further wiring, and a page names one URL for them (a first visit makes one request). Scripts
 * are joined by a line with a semicolon, so no file's last statement runs into the next's.
 */
async function addBundle(
  manifest: AssetManifest,
  name: string,
  first: string,
): Promise<void> {
  const extension = extname(name);
  const names = [...manifest.keys()].filter((n) => !n.includes("/") && n.endsWith(extension));
  names.sort((a, b) => Number(b === first) - Number(a === first) || a.localeCompare(b));
  const joint = extension === ".js" ? "\n;\n" : "\n";
  const text = new TextDecoder();
  const body = new TextEncoder().encode(
    names.map((n) => text.decode(manifest.get(n)!.body)).join(joint),
  );
  manifest.set(name, {
    body,
    type: TYPES[extension]!,
    hash: await hashOf(body),
    compressible: true,
    coded: {},
  });
}

/**
 * The asset a path under `/static/` names, and whether the path is its current fingerprinted
 * one (which never changes content). A bare name (`app.css`) or an old fingerprint (a page from
 * before the file changed) finds the current file, but not pinned.
 */
export function findAsset(
  manifest: AssetManifest,
  path: string,
): { asset: Asset; pinned: boolean } | null {
  const bare = manifest.get(path);
  if (bare) return { asset: bare, pinned: false };
  const [, base, hash, extension] = FINGERPRINTED.exec(path) ?? [];
  const asset = manifest.get(`${base}${extension}`);
  if (!asset) return null;
  return { asset, pinned: hash === asset.hash };
}

const BROTLI = promisify(brotliCompress);
const GZIP = promisify(gzip);

/** Compresses once, as well as each coding can (it is kept for the life of the process). */
function compress(body: Uint8Array, coding: TagCoding): Promise<Uint8Array> {
  return coding === "br"
    ? BROTLI(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      },
    })
    : GZIP(body, { level: constants.Z_BEST_COMPRESSION });
}

/** The asset compressed with `coding`, or null when that saves nothing (or it is not text). */
export function codedBody(
  asset: Asset,
  coding: TagCoding,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!asset.compressible) return Promise.resolve(null);
  asset.coded[coding] ??= compress(asset.body, coding).then((out) =>
    out.byteLength < asset.body.byteLength ? new Uint8Array(out) : null
  );
  return asset.coded[coding];
}
