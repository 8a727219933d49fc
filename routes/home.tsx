/** `GET /`: the home page. */
import { Hono } from "hono";
import { HomePage } from "../components/HomePage.tsx";
import type { AppEnv } from "../http/env.ts";

export const homeRoutes = new Hono<AppEnv>().get(
  "/",
  (c) => c.render(<HomePage />, { title: "Home" }),
);
