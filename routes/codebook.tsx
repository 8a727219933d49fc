/** `GET /codebook`: the codebook page, public like the API's codebook. */
import { Hono } from "hono";
import { CodebookPage } from "../components/CodebookPage.tsx";
import { codebook } from "../lib/codebook.ts";
import type { AppEnv } from "./env.ts";

export const codebookRoutes = new Hono<AppEnv>().get(
  "/codebook",
  (c) => c.render(<CodebookPage entries={codebook()} />, { title: "Codebook" }),
);
