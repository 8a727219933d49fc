/** The original app's paths, sent on to where their pages are now (a bookmark keeps working). */
import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";

export const legacyRoutes = new Hono<AppEnv>();

legacyRoutes.get("/home", (c) => c.redirect("/", 301));
legacyRoutes.all("/update_password", (c) => c.redirect("/profile#password", 301));
legacyRoutes.get("/patient_data", (c) => c.redirect("/patients", 301));
legacyRoutes.get("/add_patient_data", (c) => c.redirect("/patients#add", 301));
