/** Reads and validates every environment variable once; a bad value stops start-up with one clear line. */

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
  /** How long a deleted record can be restored before it is purged (ms). */
  deletedRetentionMs: number;
  databaseTimeouts: DatabaseTimeouts;
  security: SecurityConfig;
}

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
  return {
    port,
    host,
    sessionSecret: secret ?? randomSecret(),
    sessionSecretFromEnv: secret !== undefined,
    mysql,
    mongo,
    dataDir: text(env, "DATA_DIR") ?? "./data",
    importMaxBytes: wholeNumberOf(env, "IMPORT_MAX_BYTES", 20_000_000),
    deletedRetentionMs: wholeNumberOf(env, "DELETED_RETENTION_DAYS", 30) * 86_400_000,
    databaseTimeouts: {
      unavailableMs: wholeNumberOf(
        env,
        "DB_TIMEOUT_MS",
        DEFAULT_DATABASE_TIMEOUTS.unavailableMs,
      ),
      queryMs: wholeNumberOf(env, "DB_QUERY_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUTS.queryMs),
    },
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
      allowedHosts: hostsOf(env, "ALLOWED_HOSTS"),
    },
  };
}

/** Where the app listens, as a URL a person can open. */
export function appUrl(config: Pick<Config, "host" | "port">): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}/`;
}
