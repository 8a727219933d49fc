/** Reads and validates every environment variable once; a bad value stops start-up with one clear line. */
import { z } from "zod";
import { DEFAULT_HEAVY_WORK_LIMITS, type HeavyWorkLimits } from "./lib/work_gate.ts";
import { normaliseTimeZone } from "./lib/stroke/time_zone.ts";

export interface MysqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface MongoConfig {
  uri: string;
  database: string;
  collection: string;
}

/** Failures allowed per window before login and token requests answer 429. */
export interface ThrottleRule {
  limit: number;
  windowMs: number;
}

export interface SecurityConfig {
  /** bcrypt cost of new password hashes (12; tests lower it for speed). */
  bcryptCost: number;
  /** A session unused for this long ends. */
  sessionIdleMs: number;
  /** A session ends this long after login, used or not. */
  sessionAbsoluteMs: number;
  /**
   * Failed logins (and token requests, password re-entries) per account (email) and per client
   * address; registrations per client address, counted whether they succeed or not.
   */
  throttle: { account: ThrottleRule; client: ThrottleRule; register: ThrottleRule };
  /** Take the client address from the last `X-Forwarded-For` entry (behind a reverse proxy). */
  trustProxy: boolean;
  /** Host names (lower case, with or without a port) the app answers for; null: any. */
  allowedHosts: string[] | null;
  /**
   * Requests for a password-reset link (`/forgot-password`) per email and per client address,
   * counted whether an account has that email or not.
   */
  resetThrottle: { email: ThrottleRule; client: ThrottleRule };
}

/** Outgoing email (`SMTP_URL`, `MAIL_FROM`): invitations and password-reset links. */
export interface MailConfig {
  /** `smtp://user:password@host:port` or `smtps://…`; holds a password, so never logged. */
  smtpUrl: string;
  /** The sender, `address` or `Name <address>`. */
  from: string;
}

/** How long the app waits for its databases before a request answers 503. */
export interface DatabaseTimeouts {
  /**
   * A database that cannot be reached (no connection, no server to select): the request answers
   * 503 after this long (ms); also the longest each `/healthz` check waits.
   */
  unavailableMs: number;
  /** A reachable server that does not answer a query (hung): 503 after this long (ms). */
  queryMs: number;
}

/** `DB_TIMEOUT_MS` and `DB_QUERY_TIMEOUT_MS` when they are not set. */
export const DEFAULT_DATABASE_TIMEOUTS: Readonly<DatabaseTimeouts> = Object.freeze({
  unavailableMs: 1000,
  queryMs: 60_000,
});

export interface Config {
  port: number;
  host: string;
  /** The session signing key, and whether it came from the environment. */
  sessionSecret: string;
  sessionSecretFromEnv: boolean;
  /** Set: accounts live in MySQL/MariaDB; unset: in SQLite under `dataDir`. */
  mysql: MysqlConfig | null;
  /** Set: patients live in MongoDB; unset: in the embedded store under `dataDir`. */
  mongo: MongoConfig | null;
  dataDir: string;
  /** Largest CSV import, in bytes. */
  importMaxBytes: number;
  /**
   * How long a browser import's run is held by its instance without a heartbeat (ms); after it,
   * any instance may take the import over.
   */
  importLeaseMs: number;
  /** How long a deleted record can be restored before it is purged (ms). */
  deletedRetentionMs: number;
  databaseTimeouts: DatabaseTimeouts;
  /** Heavy requests (summaries, exports, imports) per user and in all, and how long they wait. */
  heavyWork: HeavyWorkLimits;
  /**
   * `APP_TIMEZONE`: the IANA time zone admissions' times are shown and entered in, and the
   * quality indicators' days and months are read in (for every user, until profiles have one).
   */
  appTimeZone: string;
  security: SecurityConfig;
  /** Set: the app sends email through this server; null: it sends nothing, and says so. */
  mail: MailConfig | null;
  /**
   * Where people reach the app (`PUBLIC_URL`, an origin such as `https://stroke.example.org`):
   * the address of links in emails. Null: links take the request's address, only when
   * `ALLOWED_HOSTS` has checked it.
   */
  publicUrl: string | null;
  /**
   * `FHIR_ID_SECRET`: the key FHIR resource ids and the de-identified form's date shifts are
   * derived from (at least 16 characters). Null: one made once and kept in the accounts database
   * (`app_secrets`), shared by every instance. Never `SESSION_SECRET`, which may be random per start.
   */
  fhirIdSecret: string | null;
  /**
   * How long a FHIR Bulk Data export's run holds its job without a heartbeat (ms); after it, any
   * instance may take the job over and run it again.
   */
  fhirExportLeaseMs: number;
}

/** The shortest `FHIR_ID_SECRET` accepted. */
export const FHIR_ID_SECRET_MIN = 16;

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function portOf(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(name, `must be a port number from 1 to 65535 (got "${raw}")`);
  }
  return port;
}

/** MySQL and MongoDB names that are safe to use unquoted in a statement or a namespace. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function nameOf(env: Env, name: string, fallback: string): string {
  const value = text(env, name) ?? fallback;
  if (!NAME.test(value)) {
    throw new ConfigError(
      name,
      `must be 1 to 64 letters, digits, "_" or "-" (got "${value}")`,
    );
  }
  return value;
}

function positiveNumberOf(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0)) throw new ConfigError(name, `must be a positive number (got "${raw}")`);
  return value;
}

function wholeNumberOf(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1)) throw new ConfigError(name, `must be a whole number from 1 (got "${raw}")`);
  return value;
}

/** `ALLOWED_HOSTS`: a comma-separated list of host names, each optionally with `:port`. */
function hostsOf(env: Env, name: string): string[] | null {
  const raw = text(env, name);
  if (raw === undefined) return null;
  const hosts = raw.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  const bad = hosts.find((h) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h));
  if (bad !== undefined || hosts.length === 0) {
    throw new ConfigError(
      name,
      `must list host names separated by commas, e.g. "records.example.org,localhost:5000" (got "${
        bad ?? raw
      }")`,
    );
  }
  return hosts;
}

function flagOf(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined || ["0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/** `APP_TIMEZONE`: an IANA zone name this runtime knows, spelled as IANA does; default UTC. */
function timeZoneOf(env: Env, name: string): string {
  const raw = text(env, name);
  if (raw === undefined) return "UTC";
  const zone = normaliseTimeZone(raw);
  if (zone === null) {
    throw new ConfigError(
      name,
      `must be an IANA time zone name such as Europe/London or America/New_York (got "${
        raw.slice(0, 64)
      }")`,
    );
  }
  return zone;
}

function mongoUriOf(env: Env): string | undefined {
  const uri = text(env, "MONGO_URI");
  if (uri === undefined) return undefined;
  const scheme = /^(mongodb|mongodb\+srv):\/\/([^/?#]+)/.exec(uri);
  if (!scheme || scheme[2]!.split("@").pop() === "") {
    throw new ConfigError(
      "MONGO_URI",
      "must be a MongoDB connection string such as mongodb://host:27017 or mongodb+srv://cluster.example.net",
    );
  }
  return uri;
}

/** `SMTP_URL`: an smtp:// or smtps:// URL with a host. Its value is never repeated (it holds a password). */
function smtpUrlOf(env: Env): string | undefined {
  const raw = text(env, "SMTP_URL");
  if (raw === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || !["smtp:", "smtps:"].includes(url.protocol) || url.hostname === "") {
    throw new ConfigError(
      "SMTP_URL",
      "must be a URL such as smtp://user:password@mail.example.org:587 or smtps://user:password@mail.example.org:465 (the value is not shown: it may hold a password)",
    );
  }
  return raw;
}

const MAIL_ADDRESS = z.email().max(254);
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** `MAIL_FROM`: `address` or `Name <address>`, on one line. */
function mailFromOf(env: Env): string | undefined {
  const raw = text(env, "MAIL_FROM");
  if (raw === undefined) return undefined;
  const named = /^([^<>"]*)<([^<>]+)>$/.exec(raw);
  const address = (named ? named[2]! : raw).trim();
  const control = raw.match(CONTROL_CHARACTERS) !== null;
  if (control || raw.length > 320 || !MAIL_ADDRESS.safeParse(address).success) {
    throw new ConfigError(
      "MAIL_FROM",
      `must be an email address, or a name and an address like "Stroke registry <noreply@example.org>" (got "${
        raw.slice(0, 320).replace(CONTROL_CHARACTERS, " ")
      }")`,
    );
  }
  return raw;
}

/** `PUBLIC_URL`: an http(s) origin (a trailing `/` is allowed, nothing else after the host). */
function publicUrlOf(env: Env): string | null {
  const raw = text(env, "PUBLIC_URL");
  if (raw === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (
    !url || !["http:", "https:"].includes(url.protocol) || url.username !== "" ||
    url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "" ||
    !/^https?:\/\/[^/?#]+\/?$/i.test(raw)
  ) {
    throw new ConfigError(
      "PUBLIC_URL",
      `must be the address people open the app at, scheme and host only, e.g. https://stroke.example.org (got "${raw}")`,
    );
  }
  return url.origin;
}

/** `SMTP_URL` and `MAIL_FROM` together, or neither; links in mail need an address the app trusts. */
function mailOf(env: Env, publicUrl: string | null, allowedHosts: string[] | null) {
  const smtpUrl = smtpUrlOf(env);
  const from = mailFromOf(env);
  if (smtpUrl === undefined && from === undefined) return null;
  if (smtpUrl === undefined) {
    throw new ConfigError("SMTP_URL", "must be set when MAIL_FROM is (or unset MAIL_FROM)");
  }
  if (from === undefined) {
    throw new ConfigError(
      "MAIL_FROM",
      'must be set when SMTP_URL is: the sender of the app\'s emails, e.g. "Stroke registry <noreply@example.org>"',
    );
  }
  if (publicUrl === null && allowedHosts === null) {
    // Without either, a link would take whatever Host a request names: someone could ask for a
    // reset of another person's account with their own host in it, and receive the token.
    throw new ConfigError(
      "PUBLIC_URL",
      "must be set when SMTP_URL is (or ALLOWED_HOSTS), so that links in emails point at this app, e.g. PUBLIC_URL=https://stroke.example.org",
    );
  }
  return { smtpUrl, from };
}

/** `FHIR_ID_SECRET`: unset, or at least `FHIR_ID_SECRET_MIN` characters (never repeated: a key). */
function fhirIdSecretOf(env: Env): string | null {
  const secret = text(env, "FHIR_ID_SECRET");
  if (secret === undefined) return null;
  if (secret.length < FHIR_ID_SECRET_MIN) {
    throw new ConfigError(
      "FHIR_ID_SECRET",
      `must be at least ${FHIR_ID_SECRET_MIN} characters (a long random string; the value is not shown), or unset to keep one in the accounts database`,
    );
  }
  return secret;
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds the configuration from environment variables; throws `ConfigError` on a bad value. */
export function loadConfig(env: Env): Config {
  const port = portOf(env, "PORT", 5000);
  const host = text(env, "HOST") ?? "127.0.0.1";
  const secret = text(env, "SESSION_SECRET") ?? text(env, "FLASK_SECRET");
  // Every variable is checked, even one whose store is not selected, so a typo shows at once.
  const mysqlHost = text(env, "MYSQL_HOST");
  const mysqlPort = portOf(env, "MYSQL_PORT", 3306);
  const mysqlDb = nameOf(env, "MYSQL_DB", "loginvalidation");
  const mysql = mysqlHost === undefined ? null : {
    host: mysqlHost,
    port: mysqlPort,
    user: env.MYSQL_USER ?? "root",
    password: env.MYSQL_PASSWORD ?? "root",
    database: mysqlDb,
  };
  const mongoUri = mongoUriOf(env);
  const mongoDb = nameOf(env, "MONGO_DB", "patient_data");
  const mongoCollection = nameOf(env, "MONGO_COLLECTION", "Patient_data");
  const loginWindow = wholeNumberOf(env, "LOGIN_WINDOW_MINUTES", 15) * 60_000;
  const mongo = mongoUri === undefined
    ? null
    : { uri: mongoUri, database: mongoDb, collection: mongoCollection };
  const allowedHosts = hostsOf(env, "ALLOWED_HOSTS");
  const publicUrl = publicUrlOf(env);
  return {
    port,
    host,
    sessionSecret: secret ?? randomSecret(),
    sessionSecretFromEnv: secret !== undefined,
    mysql,
    mongo,
    dataDir: text(env, "DATA_DIR") ?? "./data",
    importMaxBytes: wholeNumberOf(env, "IMPORT_MAX_BYTES", 20_000_000),
    importLeaseMs: wholeNumberOf(env, "IMPORT_LEASE_SECONDS", 20) * 1000,
    deletedRetentionMs: wholeNumberOf(env, "DELETED_RETENTION_DAYS", 30) * 86_400_000,
    databaseTimeouts: {
      unavailableMs: wholeNumberOf(
        env,
        "DB_TIMEOUT_MS",
        DEFAULT_DATABASE_TIMEOUTS.unavailableMs,
      ),
      queryMs: wholeNumberOf(env, "DB_QUERY_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUTS.queryMs),
    },
    heavyWork: { ...DEFAULT_HEAVY_WORK_LIMITS },
    appTimeZone: timeZoneOf(env, "APP_TIMEZONE"),
    security: {
      bcryptCost: 12,
      sessionIdleMs: positiveNumberOf(env, "SESSION_IDLE_MINUTES", 60) * 60_000,
      sessionAbsoluteMs: positiveNumberOf(env, "SESSION_MAX_HOURS", 12) * 3_600_000,
      throttle: {
        account: { limit: wholeNumberOf(env, "LOGIN_LIMIT_PER_ACCOUNT", 5), windowMs: loginWindow },
        client: { limit: wholeNumberOf(env, "LOGIN_LIMIT_PER_CLIENT", 20), windowMs: loginWindow },
        register: {
          limit: wholeNumberOf(env, "REGISTER_LIMIT_PER_CLIENT", 10),
          windowMs: 60 * 60_000,
        },
      },
      trustProxy: flagOf(env, "TRUST_PROXY"),
      allowedHosts,
      resetThrottle: {
        email: { limit: wholeNumberOf(env, "RESET_LIMIT_PER_EMAIL", 3), windowMs: 60 * 60_000 },
        client: { limit: wholeNumberOf(env, "RESET_LIMIT_PER_CLIENT", 10), windowMs: 60 * 60_000 },
      },
    },
    mail: mailOf(env, publicUrl, allowedHosts),
    publicUrl,
    fhirIdSecret: fhirIdSecretOf(env),
    fhirExportLeaseMs: 30_000,
  };
}

/** Where the app listens, as a URL a person can open. */
export function appUrl(config: Pick<Config, "host" | "port">): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}/`;
}
