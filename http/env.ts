/** The Hono environment every route shares: what `c.get()` returns. */
import type { Session } from "hono-sessions";
import type { Config } from "../config.ts";
import type { AccountService } from "../lib/account_service.ts";
import type { AdmissionService } from "../lib/admission_service.ts";
import type { InsightService } from "../lib/insight_service.ts";
import type { Mailer } from "../lib/mail.ts";
import type { HeavyWork } from "../lib/work_gate.ts";
import type { PatientService } from "../lib/patient_service.ts";
import type { RegistryAccess, RegistryService } from "../lib/registry_service.ts";
import type { DatabaseSessionStore, SessionTimes } from "../db/accounts/sessions.ts";
import type { Stores } from "../db/stores.ts";
import type { User } from "../db/accounts/users.ts";
import type { SkipLink } from "../components/Layout.tsx";
import type { AssetManifest } from "./assets.ts";

/** Where the app writes its log lines (stdout in production; captured in tests). */
export type Log = (line: string) => void;

/** Everything the app needs from outside, handed over by `main.ts` (or a test). */
export interface AppDeps {
  config: Config;
  stores: Stores;
  assets: AssetManifest;
  log: Log;
  /** Outgoing email (disabled, sending nothing, without `SMTP_URL`). */
  mailer: Mailer;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** The `X-Request-Id` the client sent, logged beside the app's own. */
    clientRequestId?: string;
    /** This request's logged-out CSRF token (from its signed cookie, or new). */
    anonymousCsrf?: string;
    /** The key that signs logged-out CSRF tokens (set by the CSRF middleware). */
    csrfSigningKey?: string;
    /** The client's address (set by the client-address middleware). */
    clientAddress: string;
    /** The patient use-cases. */
    patients: PatientService;
    /** The account use-cases: credentials, the second factor, the admins' actions. */
    accounts: AccountService;
    /** Statistics, data quality and the risk model. */
    insight: InsightService;
    /** A patient's stroke admissions and the quality indicators. */
    admissions: AdmissionService;
    /** Registries, their members and the caller's access. */
    registries: RegistryService;
    /** The limits of heavy requests, per user and in all. */
    heavyWork: HeavyWork;
    deps: AppDeps;
    /** The logged-in user (browser session or API token), or null. */
    user: User | null;
    /** How the user was authenticated: a CSRF check applies to sessions only. */
    authenticatedBy?: "session" | "token";
    /** The number of the registry the request's API token is bound to; null or unset otherwise. */
    tokenRegistryScope?: number | null;
    /**
     * The registry a records request acts in and the caller's role there, read for this request
     * (set by the `registryScope` middleware on every route that reads or writes records).
     */
    registry?: RegistryAccess;
    session: Session;
    session_key_rotation: boolean;
    sessionStore: DatabaseSessionStore;
    /** When the request's session began and was last seen (set once it is loaded). */
    sessionTimes?: SessionTimes;
  };
}

declare module "hono" {
  interface ContextRenderer {
    (
      content: string | Promise<string>,
      props: { title: string; skip?: SkipLink },
    ): Response | Promise<Response>;
  }
}
