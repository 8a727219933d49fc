/** Builds the Hono app from its dependencies: middleware, routes and the one error handler. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { jsxRenderer } from "hono/jsx-renderer";
import { UndoNotice } from "../components/DeletedPage.tsx";
import { Layout } from "../components/Layout.tsx";
import { userForToken } from "../db/api_tokens.ts";
import { CsvTooLargeError } from "../lib/csv_rows.ts";
import { createInsightService } from "../lib/insight_service.ts";
import { createPatientService } from "../lib/patient_service.ts";
import { allowedHosts } from "../middleware/allowed_hosts.ts";
import { apiAuth } from "../middleware/api_auth.ts";
import { clientAddress } from "../middleware/client_address.ts";
import { csrfProtection, csrfToken } from "../middleware/csrf.ts";
import { requestIds } from "../middleware/request_id.ts";
import { requestLog, safeLog } from "../middleware/request_log.ts";
import { securityHeaders } from "../middleware/security_headers.ts";
import { sessions, UNDO_FLASH } from "../middleware/session.ts";
import { adminRoutes } from "./admin.tsx";
import { apiAdminRoutes } from "./api_admin.ts";
import { apiDataRoutes, publicApiDataRoutes } from "./api_data.ts";
import { apiHistoryRoutes } from "./api_history.ts";
import { apiInsightRoutes } from "./api_insight.ts";
import { apiPatientRoutes } from "./api_patients.ts";
import { apiTokenRoutes, publicApiTokenRoutes } from "./api_tokens.ts";
import { assetRoutes, assetUrl, assetUrls } from "./assets.ts";
import { authRoutes } from "./auth.tsx";
import type { AppDeps, AppEnv } from "./env.ts";
import { codebookRoutes } from "./codebook.tsx";
import { dashboardRoutes } from "./dashboard.tsx";
import { errorHandler, notFound } from "./errors.tsx";
import { healthRoutes } from "./health.ts";
import { homeRoutes } from "./home.tsx";
import { openApiRoutes } from "./openapi.ts";
import { exportRoutes } from "./export_pages.tsx";
import { deletedRoutes } from "./deleted_pages.tsx";
import { importRoutes } from "./import_pages.tsx";
import { patientRoutes } from "./patients.tsx";
import { profileRoutes } from "./profile.tsx";
import { SESSION_STATUS_PATH, sessionClock, sessionRoutes } from "./session.ts";
import { twoFactorRoutes } from "./two_factor.tsx";

/** Largest request body outside the CSV import. */
const MAX_BODY_BYTES = 256 * 1024;
/** Where CSV files are uploaded. */
const API_IMPORT_PATH = "/api/patient_data/import";
const IMPORT_PATHS = new Set([API_IMPORT_PATH, "/patients/import"]);

function limitBody(
  maxSize: number,
  tooLarge: () => Error = () =>
    new HTTPException(413, { message: "The request is larger than this app accepts." }),
) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
}

export function createApp(appDeps: AppDeps): Hono<AppEnv> {
  // Every line the app writes is escaped: nothing a client sends can forge a line of the log.
  const deps: AppDeps = { ...appDeps, log: safeLog(appDeps.log) };
  const { config, stores } = deps;
  const patients = createPatientService(stores.patients);
  const insight = createInsightService(stores.patients);
  const app = new Hono<AppEnv>();
  const stylesheets = assetUrls(deps.assets, ".css", "app.css");
  const icon = assetUrl(deps.assets, "favicon.svg");
  const scripts = [
    assetUrl(deps.assets, "vendor/htmx.min.js"),
    ...assetUrls(deps.assets, ".js", "app.js"),
  ];

  // Every request: ids and the log line, headers, the Host check, what handlers share.
  app.use(requestIds());
  app.use(requestLog(deps.log));
  app.use(securityHeaders());
  app.use(allowedHosts({ hosts: config.security.allowedHosts, anyHostPaths: ["/healthz"] }));
  app.use(clientAddress({ trustProxy: config.security.trustProxy }));
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("patients", patients);
    c.set("insight", insight);
    c.set("user", null);
    await next();
  });
  // CSV uploads may be up to IMPORT_MAX_BYTES (their routes check as they read); the rest 256 KiB.
  // The API's import limits its own body as it streams: Hono's limit would read a body sent
  // without a length whole into memory first.
  const importLimit = limitBody(
    config.importMaxBytes,
    () => new CsvTooLargeError(config.importMaxBytes),
  );
  const bodyLimited = limitBody(MAX_BODY_BYTES);
  app.use((c, next) =>
    c.req.path === API_IMPORT_PATH
      ? next()
      : (IMPORT_PATHS.has(c.req.path) ? importLimit : bodyLimited)(c, next)
  );
  app.use(
    jsxRenderer(({ children, title }, c) => {
      const user = c.get("user");
      const session = c.get("session");
      const flash = session?.get("flash");
      const undo = session?.get(UNDO_FLASH);
      const token = user && session ? csrfToken(c) : undefined;
      return (
        <Layout
          title={title}
          stylesheets={stylesheets}
          icon={icon}
          scripts={scripts}
          user={user}
          csrfToken={token}
          flash={typeof flash !== "string"
            ? undefined
            : typeof undo === "number" && token
            ? <UndoNotice id={undo} message={flash} csrfToken={token} />
            : flash}
          session={sessionClock(c)}
        >
          {children}
        </Layout>
      );
    }),
  );

  // Public: no session, no credentials.
  app.route("/", assetRoutes(deps.assets));
  app.route("/", healthRoutes);
  app.route("/", openApiRoutes);
  app.route("/", publicApiTokenRoutes);
  app.route("/", publicApiDataRoutes);

  // Everything else: the session, then bearer tokens for the API, then the CSRF check.
  app.use(sessions({
    accounts: stores.accounts,
    security: config.security,
    secret: config.sessionSecret,
    peekPaths: [SESSION_STATUS_PATH],
  }));
  app.use("/api/*", apiAuth({ userForToken: (token) => userForToken(stores.accounts, token) }));
  app.use(csrfProtection({ secret: config.sessionSecret }));

  app.route("/", homeRoutes);
  app.route("/", codebookRoutes);
  app.route("/", authRoutes);
  app.route("/", profileRoutes);
  app.route("/", twoFactorRoutes);
  app.route("/", sessionRoutes);
  app.route("/", importRoutes); // these three before /patients/{id}
  app.route("/", exportRoutes);
  app.route("/", deletedRoutes);
  app.route("/", dashboardRoutes);
  app.route("/", patientRoutes);
  app.route("/", adminRoutes);
  app.route("/", apiTokenRoutes);
  app.route("/", apiAdminRoutes);
  app.route("/", apiDataRoutes); // these three before /api/patient_data/{id}
  app.route("/", apiHistoryRoutes);
  app.route("/", apiInsightRoutes);
  app.route("/", apiPatientRoutes);

  app.notFound(notFound);
  app.onError(errorHandler(deps.log));
  return app;
}
