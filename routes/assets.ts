/** Serves the browser's files from memory (read at start-up by `http/assets.ts`). */
import { Hono } from "hono";
import { type AssetManifest, codedBody, findAsset } from "../http/assets.ts";
import { chooseCoding } from "../middleware/compression.ts";
import { codedTag, noneMatchHits } from "../lib/entity_tags.ts";

const FOR_GOOD = "public, max-age=31536000, immutable";

/**
 * `GET /static/*`: a fingerprinted URL (`app.3f9a1c2b4d5e.css`, as pages link them) is cached
 * for a year and never revalidated; a bare one (`app.css`) or an old fingerprint answers the
 * current file, revalidated by ETag each time. Text comes compressed as `Accept-Encoding` asks
 * (brotli first: it is compressed once, at its best), each coding with its own strong ETag.
 */
export function assetRoutes(manifest: AssetManifest): Hono {
  const app = new Hono();
  app.get("/*", async (c) => {
    const found = findAsset(manifest, c.req.path.slice("/static/".length));
    if (!found) return c.notFound();
    const { asset, pinned } = found;
    const coding = asset.compressible
      ? chooseCoding(c.req.header("Accept-Encoding"), ["br", "gzip"])
      : undefined;
    const coded = coding ? await codedBody(asset, coding) : null;
    if (asset.compressible) c.header("Vary", "Accept-Encoding");
    c.header("ETag", `"${coded && coding ? codedTag(asset.hash, coding) : asset.hash}"`);
    c.header("Cache-Control", pinned ? FOR_GOOD : "no-cache");
    if (noneMatchHits(c.req.header("If-None-Match"), asset.hash)) return c.body(null, 304);
    c.header("Content-Type", asset.type);
    if (coded && coding) c.header("Content-Encoding", coding);
    return c.body(coded ?? asset.body);
  });
  return app;
}
