/** Builds the Hono app from its dependencies: middleware, routes and the one error handler. */
import { type Context, Hono } from "hono";
import { except } from "hono/combine";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { jsxRenderer } from "hono/jsx-renderer";
import { UndoNotice } from "../components/DeletedPage.tsx";
import { Layout } from "../components/Layout.tsx";
import { contextStorage, tryGetContext } from "hono/context-storage";
import { withAdmissionFilter } from "../lib/admission_filter.ts";
import { userTimeZone } from "../http/time_zone.ts";
import { tokenHolder } from "../db/accounts/api_tokens.ts";
import { registryScope } from "../middleware/registry_scope.ts";
import { CsvTooLargeError } from "../lib/csv_rows.ts";
import { createAccountService } from "../lib/account_service.ts";
import { createAdmissionService } from "../lib/admission_service.ts";
import { createInsightService } from "../lib/insight_service.ts";
import { FhirExports } from "../lib/fhir_export.ts";
import { createFhirService, fhirKeySource } from "../lib/fhir_service.ts";
import { createPatientService } from "../lib/patient_service.ts";
import { createRegistryService } from "../lib/registry_service.ts";
import { createMailer, type Mailer } from "../lib/mail.ts";
import { HeavyWork } from "../lib/work_gate.ts";
import { allowedHosts } from "../middleware/allowed_hosts.ts";
import { apiAuth } from "../middleware/api_auth.ts";
import { clientAddress } from "../middleware/client_address.ts";
import { compression } from "../middleware/compression.ts";
import { csrfProtection, csrfToken } from "../middleware/csrf.ts";
import { draftScope, heldDraftScope } from "../middleware/draft_scope.ts";
import { interactiveFirst } from "../middleware/interactive_first.ts";
import { requestIds } from "../middleware/request_id.ts";
import { requestLog, safeLog } from "../middleware/request_log.ts";
import { securityHeaders } from "../middleware/security_headers.ts";
import { sessions, takeUndo } from "../middleware/session.ts";
import { assetUrl, BUNDLES } from "../http/assets.ts";
import type { AppDeps, AppEnv } from "../http/env.ts";
import { errorHandler, notFound } from "../http/errors.tsx";
import { sessionClock } from "../http/session_clock.ts";
import { adminRoutes } from "./admin.tsx";
import { apiAdminRoutes } from "./api_admin.ts";
import { apiCodebookRoutes } from "./api_codebook.ts";
import { admissionDataApi, ADMISSIONS_IMPORT_PATH } from "./api_admission_data.ts";
import { admissionApi } from "./api_admissions.ts";
import { admissionPageRoutes } from "./admission_pages.tsx";
import { admissionImportRoutes } from "./admission_import_pages.tsx";
import { ADMISSIONS_IMPORT_PAGE } from "../components/stroke/AdmissionImportPage.tsx";
import { qualityApi } from "./api_quality.ts";
import { apiPatientRoutes } from "./api_patients.ts";
import { apiRegistryRoutes } from "./api_registries.ts";
import { apiTokenRoutes } from "./api_tokens.ts";
import { assetRoutes } from "./assets.ts";
import { authRoutes } from "./auth.tsx";
import { codebookRoutes } from "./codebook.tsx";
import { registryNav } from "../http/current_registry.ts";
import { dashboardRoutes } from "./dashboard.tsx";
import { fhirRoutes } from "./fhir.ts";
import { deletedRoutes } from "./deleted_pages.tsx";
import { exportRoutes } from "./export_pages.tsx";
import { healthRoutes } from "./health.ts";
import { homeRoutes } from "./home.tsx";
import { importRoutes } from "./import_pages.tsx";
import { legacyRoutes } from "./legacy.ts";
import { openApiRoutes } from "./openapi.ts";
import { patientRoutes } from "./patients.tsx";
import { passwordResetRoutes } from "./password_reset.tsx";
import { profileRoutes } from "./profile.tsx";
import { registriesPageRoutes } from "./registries_pages.tsx";
import { sessionRoutes } from "./session.ts";
import { twoFactorRoutes } from "./two_factor.tsx";

/** Largest request body outside the CSV import. */
const MAX_BODY_BYTES = 256 * 1024;
/** Where CSV files are uploaded. */
const API_IMPORT_PATH = "/api/patient_data/import";
const IMPORT_PATHS = new Set([API_IMPORT_PATH, "/patients/import", ADMISSIONS_IMPORT_PAGE]);
/** Read without extending the session (the idle-timeout warning asks how long is left). */
const SESSION_STATUS_PATH = "/session";

/**
 * The routes anyone may call: no session, no bearer token, no CSRF check (a path ending in `/*`
 * stands for every path below it). Every other route is behind all three.
 */
const PUBLIC_ROUTES: readonly (readonly [method: string, path: string])[] = [
  ["GET", "/static/*"],
  ["GET", "/healthz"],
  ["GET", "/api/openapi.json"],
  ["GET", "/api/codebook"],
  ["GET", "/api/patient_data/import/template"],
  ["GET", "/api/admissions/import/template"], // columns, not records, like the records' template
  ["POST", "/api/tokens"], // the credentials are in the body
  ["GET", "/fhir/metadata"], // what the FHIR server can do (a client reads it first)
];

function isPublic(c: Context): boolean {
  const path = c.req.path;
  const method = c.req.method === "HEAD" ? "GET" : c.req.method; // Hono answers HEAD as GET
  return PUBLIC_ROUTES.some(([publicMethod, publicPath]) =>
    method === publicMethod &&
    (publicPath.endsWith("/*")
      ? path.startsWith(publicPath.slice(0, -1)) || path === publicPath.slice(0, -2)
      : path === publicPath)
  );
}

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

/** Where records are read or written: each acts in one registry (`registryScope`). */
const RECORD_AREAS = [
  "/api/quality_indicators",
  "/api/admissions/*",
  "/patients",
  "/patients/*",
  "/dashboard",
  "/dashboard/*",
  "/api/patient_data",
  "/api/patient_data/*",
  "/fhir/*",
];

/**
 * The app over its dependencies; without a `mailer`, one is made from the configuration (the
 * caller that wants to wait for mail in flight at shutdown passes its own).
 */
export function createApp(
  appDeps: Omit<AppDeps, "mailer"> & { mailer?: Mailer },
): Hono<AppEnv> {
  // Every line the app writes is escaped: nothing a client sends can forge a line of the log.
  const deps: AppDeps = {
    ...appDeps,
    log: safeLog(appDeps.log),
    mailer: appDeps.mailer ?? createMailer(appDeps.config.mail),
  };
  const { config, stores } = deps;
  // Heavy requests (summaries, exports, imports): one at a time per user, a few in all.
  const heavyWork = new HeavyWork(config.heavyWork);
  // The use-cases' patient reads resolve the list's admission filter, in the asking user's zone.
  const patientStore = withAdmissionFilter(stores.patients, () => {
    const c = tryGetContext<AppEnv>();
    return c ? userTimeZone(c) : config.appTimeZone;
  });
  const patients = createPatientService(patientStore, heavyWork);
  const registries = createRegistryService(stores.accounts);
  const accounts = createAccountService({
    accounts: stores.accounts,
    patients: stores.patients,
    security: config.security,
  });
  const admissions = createAdmissionService(patientStore, heavyWork);
  const insight = createInsightService(patientStore, admissions, heavyWork);
  const fhirKeys = fhirKeySource(config.fhirIdSecret, stores.accounts);
  const fhir = createFhirService(stores.patients, fhirKeys);
  const fhirExports = new FhirExports({
    stores,
    registries,
    heavy: heavyWork,
    keys: fhirKeys,
    log: deps.log,
    leaseMs: config.fhirExportLeaseMs,
  });
  const app = new Hono<AppEnv>();
  const stylesheets = [assetUrl(deps.assets, BUNDLES.stylesheet)];
  const icon = assetUrl(deps.assets, "favicon.svg");
  const scripts = [
    assetUrl(deps.assets, "vendor/htmx.min.js"),
    assetUrl(deps.assets, BUNDLES.script),
  ];

  // Every request: ids and the log line, headers, the Host check, what handlers share.
  app.use(contextStorage()); // components read the page's registry (components/registry_url.ts)
  app.use(requestIds());
  app.use(interactiveFirst());
  app.use(requestLog(deps.log));
  app.use(compression()); // after the headers below are final: it reads Cache-Control and ETag
  app.use(securityHeaders());
  app.use(allowedHosts({ hosts: config.security.allowedHosts, anyHostPaths: ["/healthz"] }));
  app.use(clientAddress({ trustProxy: config.security.trustProxy }));
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("patients", patients);
    c.set("insight", insight);
    c.set("admissions", admissions);
    c.set("registries", registries);
    c.set("accounts", accounts);
    c.set("heavyWork", heavyWork);
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
    c.req.path === API_IMPORT_PATH || c.req.path === ADMISSIONS_IMPORT_PATH
      ? next()
      : (IMPORT_PATHS.has(c.req.path) ? importLimit : bodyLimited)(c, next)
  );
  app.use(
    jsxRenderer(async ({ children, title, skip }, c) => {
      const user = c.get("user");
      const registries = await registryNav(c);
      const session = c.get("session");
      const flash = session?.get("flash");
      const undo = takeUndo(session); // restores in the registry of its delete
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
            : undo && token
            ? <UndoNotice {...undo} message={flash} csrfToken={token} />
            : flash}
          session={sessionClock(c)}
          draftScope={user ? draftScope(c, user.id) : heldDraftScope(c)}
          skip={skip}
          registries={registries}
        >
          {children}
        </Layout>
      );
    }),
  );

  // The session, then bearer tokens for the API, then the CSRF check: for all but PUBLIC_ROUTES.
  app.use(except(
    isPublic,
    sessions({
      accounts: stores.accounts,
      security: config.security,
      secret: config.sessionSecret,
      peekPaths: [SESSION_STATUS_PATH],
    }),
  ));
  const tokens = apiAuth({ tokenHolder: (token) => tokenHolder(stores.accounts, token) });
  app.use("/api/*", except(isPublic, tokens));
  app.use("/fhir/*", except(isPublic, tokens));
  app.use(except(isPublic, csrfProtection({ secret: config.sessionSecret })));
  // Records live in registries: each records area acts in the one its request names.
  for (const area of RECORD_AREAS) app.use(area, registryScope());

  // Each area by its prefix. The order does not matter: no route of one area can take another's
  // path (a patient's `{id}` is digits; `/api/patient_data` routes its named paths first).
  app.route("/", homeRoutes);
  app.route("/", authRoutes); // /register, /login, /login/code, /logout
  app.route("/", passwordResetRoutes); // /forgot-password, /reset-password/{token}
  app.route("/", legacyRoutes); // the original app's paths, redirected
  app.route("/static", assetRoutes(deps.assets));
  app.route("/healthz", healthRoutes);
  app.route("/codebook", codebookRoutes);
  app.route("/session", sessionRoutes);
  app.route("/profile", profileRoutes);
  app.route("/profile/two-factor", twoFactorRoutes);
  app.route("/patients", patientRoutes);
  app.route("/patients", deletedRoutes); // /patients/deleted, /patients/{id}/history and /restore
  app.route("/patients/:id/admissions", admissionPageRoutes); // a patient's admissions (forms)
  app.route("/patients/import", importRoutes);
  app.route(ADMISSIONS_IMPORT_PAGE, admissionImportRoutes);
  app.route("/patients/export", exportRoutes);
  app.route("/dashboard", dashboardRoutes);
  app.route("/admin", adminRoutes);
  app.route("/registries", registriesPageRoutes);
  app.route("/api/openapi.json", openApiRoutes);
  app.route("/api/codebook", apiCodebookRoutes);
  app.route("/api/tokens", apiTokenRoutes);
  app.route("/api/registries", apiRegistryRoutes);
  app.route("/api/patient_data/:id/admissions", admissionApi(admissions));
  app.route("/api/patient_data", apiPatientRoutes);
  app.route("/api/quality_indicators", qualityApi(admissions));
  app.route("/api/admissions", admissionDataApi(admissions));
  app.route("/api/admin", apiAdminRoutes);
  app.route("/fhir", fhirRoutes(fhir, fhirExports));

  app.notFound(notFound);
  app.onError(errorHandler(deps.log));
  return app;
}
