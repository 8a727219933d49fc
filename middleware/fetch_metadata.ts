/**
 * Refuses downloads of patient data that another site's page started with the user's session
 * (Fetch Metadata, `Sec-Fetch-Site`). The session cookie is `SameSite=Lax`, so a link or a
 * navigation from any site still carries it: without this, a page elsewhere could make the
 * browser download an export and write an export entry in the user's name.
 *
 * Allowed: requests from the app's own pages (`same-origin`), ones the user typed or bookmarked
 * (`none`), requests without the header (an older browser, or a script: they carry no cookies of
 * a page's making), and every call with a bearer token (a token is never sent by a browser on
 * its own). Refused: `cross-site`, and `same-site` too — another app on a sibling host name is
 * another app.
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../http/env.ts";

/** `Sec-Fetch-Site` values of requests the app's own pages (or the user) made. */
const OWN = new Set(["same-origin", "none"]);

export const CROSS_SITE_REFUSED =
  "This download was started from another site, so it was refused: patient data is only " +
  "downloaded from this app's own pages. Open the export from the app and try again.";

/** The middleware; mount it on the paths of downloads that carry patient data. */
export function ownSiteDownloads(): MiddlewareHandler<AppEnv> {
  return async function ownSiteDownloads(c, next) {
    const site = c.req.header("Sec-Fetch-Site");
    if (c.get("authenticatedBy") !== "token" && site !== undefined && !OWN.has(site)) {
      throw new HTTPException(403, { message: CROSS_SITE_REFUSED });
    }
    await next();
  };
}
