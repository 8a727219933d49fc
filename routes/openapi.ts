/** `GET /api/openapi.json`: the API's OpenAPI 3.1 document. */
import { Hono } from "hono";
import { openApiDocument } from "../lib/openapi.ts";
import type { AppEnv } from "../http/env.ts";

/** Built and serialised once: it only changes with the code. */
const document = JSON.stringify(openApiDocument());

export const openApiRoutes = new Hono<AppEnv>().get("/", (c) => {
  c.header("Cache-Control", "public, max-age=300");
  return c.body(document, 200, { "Content-Type": "application/json" });
});
