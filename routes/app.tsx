/** Builds the Hono app from its dependencies: middleware, routes and the one error handler. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { jsxRenderer } from "hono/jsx-renderer";
import { Layout } from "../components/Layout.tsx";
import { apiAuth } from "./api_auth.ts";
import { apiPatientRoutes } from "./api_patients.ts";
import { apiTokenRoutes } from "./api_tokens.ts";
import { assetRoutes, assetUrl } from "./assets.ts";
import { authRoutes } from "./auth.tsx";
import { csrfProtection, csrfToken } from "./csrf.ts";
import type { AppDeps, AppEnv } from "./env.ts";
import { errorHandler, notFound } from "./errors.tsx";
import { healthRoutes } from "./health.ts";
import { openApiRoutes } from "./openapi.ts";
import { homeRoutes } from "./home.tsx";
import { patientRoutes } from "./patients.tsx";
import { profileRoutes } from "./profile.tsx";
import { allowedHosts } from "../middleware/allowed_hosts.ts";
import { requestIds } from "../middleware/request_id.ts";
import { requestLog, safeLog } from "../middleware/request_log.ts";
import { securityHeaders } from "../middleware/security_headers.ts";
import { sessions } from "./session.ts";

/** Largest request body outside the CSV import. */
const MAX_BODY_BYTES = 256 * 1024;

export function createApp(appDeps: AppDeps): Hono<AppEnv> {
  // Every line the app writes is escaped: nothing a client sends can forge a line of the log.
  const deps: AppDeps = { ...appDeps, log: safeLog(appDeps.log) };
  const app = new Hono<AppEnv>();
  const stylesheet = assetUrl(deps.assets, "app.css");
  const icon = assetUrl(deps.assets, "favicon.svg");
  const scripts = [assetUrl(deps.assets, "vendor/htmx.min.js"), assetUrl(deps.assets, "app.js")];

  app.use(requestIds());
  app.use(requestLog(deps.log));
  app.use(securityHeaders);
  app.use(allowedHosts({ hosts: deps.config.security.allowedHosts, anyHostPaths: ["/healthz"] }));
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HTTPException(413, { message: "The request is larger than this app accepts." });
    },
  }));
  app.use(
    jsxRenderer(({ children, title }, c) => {
      const user = c.get("user");
      const session = c.get("session");
      const flash = session?.get("flash");
      return (
        <Layout
          title={title}
          stylesheet={stylesheet}
          icon={icon}
          scripts={scripts}
          user={user}
          csrfToken={user && session ? csrfToken(c) : undefined}
          flash={typeof flash === "string" ? flash : undefined}
        >
          {children}
        </Layout>
      );
    }),
  );

  app.route("/", assetRoutes(deps.assets));
  app.route("/", healthRoutes);
  app.use(sessions(deps));
  app.use("/api/*", apiAuth);
  app.use(csrfProtection);

  app.route("/", homeRoutes);
  app.route("/", authRoutes);
  app.route("/", profileRoutes);
  app.route("/", patientRoutes);
  app.route("/", openApiRoutes);
  app.route("/", apiTokenRoutes);
  app.route("/", apiPatientRoutes);

  app.notFound(notFound);
  app.onError(errorHandler(deps.log));
  return app;
}
