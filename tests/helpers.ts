/**
 * Test helpers: the backends every contract suite runs against, the real dataset, and an app
 * wired to real stores. Tests may talk to the drivers directly (to look at what was stored);
 * the app itself reaches them only through `db/`.
 */
import { parse } from "csv-parse/sync";
import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import { join } from "node:path";
import {
  type Config,
  loadConfig,
  type MongoConfig,
  type MysqlConfig,
  type SecurityConfig,
} from "../config.ts";
import { type AccountsDb, openAccountsDb } from "../db/accounts_db.ts";
import { openMongoPatientStore } from "../db/patient_mongo.ts";
import { openSqlitePatientStore } from "../db/patient_sqlite.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { closeStores, type Stores } from "../db/stores.ts";
import type { NewPatient, PatientFields } from "../lib/patient_fields.ts";
import { parsePatientText, validatePatient } from "../lib/patient_validation.ts";
import { createApp } from "../routes/app.tsx";
import { loadAssets } from "../routes/assets.ts";

const env = Deno.env.toObject();
/** CI provisions every server and the shared data; there, nothing may be skipped. */
export const IN_CI = env.CI === "true";

/** How long a test waits for a database that is down before the app answers 503. */
export const OUTAGE_TIMEOUT_MS = 700;

/** A short random suffix for database names, so runs never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** The MySQL/MariaDB server of the environment, or null (an error in CI, where it must exist). */
export function mysqlServer(): Omit<MysqlConfig, "database"> | null {
  const config = loadConfig(env).mysql;
  // The server only: each test names its own database.
  if (!config && IN_CI) {
    throw new Error("CI must set MYSQL_HOST: the MariaDB suite may not be skipped");
  }
  return config;
}

/** The MongoDB/FerretDB server of the environment, or null (an error in CI). */
export function mongoServer(): Pick<MongoConfig, "uri"> | null {
  const config = loadConfig(env).mongo;
  if (!config && IN_CI) {
    throw new Error("CI must set MONGO_URI: the FerretDB suite may not be skipped");
  }
  return config;
}

export interface Opened<T> {
  value: T;
  /** Closes the store and drops what the test created. */
  cleanup(): Promise<void>;
}

export interface Backend<T> {
  name: string;
  open(): Promise<Opened<T>>;
}

async function dropMysqlDatabase(server: Omit<MysqlConfig, "database">, database: string) {
  const { host, port, user, password } = server;
  const connection = await createConnection({ host, port, user, password });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await connection.end();
  }
}

export async function dropMongoDatabase(uri: string, database: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}

/** SQLite always; MariaDB/MySQL when `MYSQL_HOST` is set. Each open gets a fresh database. */
export function accountBackends(): Backend<AccountsDb>[] {
  const backends: Backend<AccountsDb>[] = [{
    name: "sqlite",
    open() {
      const dir = Deno.makeTempDirSync({ prefix: "spm-accounts-" });
      const value = openAccountsDb(null, dir);
      return Promise.resolve({
        value,
        cleanup: async () => {
          await value.close();
          await Deno.remove(dir, { recursive: true });
        },
      });
    },
  }];
  const server = mysqlServer();
  if (server) {
    backends.push({
      name: "mysql",
      open() {
        const database = uniqueName("spm_test");
        const value = openAccountsDb({ ...server, database }, "");
        return Promise.resolve({
          value,
          cleanup: async () => {
            await value.close();
            await dropMysqlDatabase(server, database);
          },
        });
      },
    });
  }
  return backends;
}

/** The embedded store always; MongoDB/FerretDB when `MONGO_URI` is set. Each open is empty. */
export function patientBackends(): Backend<PatientStore>[] {
  const backends: Backend<PatientStore>[] = [{
    name: "embedded",
    open() {
      const dir = Deno.makeTempDirSync({ prefix: "spm-patients-" });
      const value = openSqlitePatientStore(dir);
      return Promise.resolve({
        value,
        cleanup: async () => {
          await value.close();
          await Deno.remove(dir, { recursive: true });
        },
      });
    },
  }];
  const server = mongoServer();
  if (server) {
    backends.push({
      name: "mongodb",
      open() {
        const database = uniqueName("spm_test");
        const value = openMongoPatientStore({
          uri: server.uri,
          database,
          collection: "Patient_data",
        });
        return Promise.resolve({
          value,
          cleanup: async () => {
            await value.close();
            await dropMongoDatabase(server.uri, database);
          },
        });
      },
    });
  }
  return backends;
}

const SHARED_DATA = env.SPM_SHARED_DATA ??
  new URL("../../shared/data/", import.meta.url).pathname;

/** Path of a file of the shared data, or null when it is absent (a fresh clone). Required in CI. */
export function sharedDataFile(name: string): string | null {
  const path = join(SHARED_DATA, name);
  try {
    Deno.statSync(path);
    return path;
  } catch {
    if (IN_CI) throw new Error(`CI needs the shared data file ${path}`);
    return null;
  }
}

/** Says a test was skipped because the shared data is not there. */
export function skipWithoutData(name: string): boolean {
  const missing = sharedDataFile(name) === null;
  if (missing) console.warn(`Skipped: ${name} is not in ${SHARED_DATA} (set SPM_SHARED_DATA).`);
  return missing;
}

export const DATASET = "healthcare-dataset-stroke-data.csv";
export const WERKZEUG_HASHES = "werkzeug-hashes.json";

let datasetCache: { rows: Record<string, string>[]; patients: PatientFields[] } | null = null;

/** The real dataset: its CSV rows as text, and as validated patients. Null when absent. */
export function loadDataset():
  | { rows: Record<string, string>[]; patients: PatientFields[] }
  | null {
  if (datasetCache) return datasetCache;
  const path = sharedDataFile(DATASET);
  if (!path) return null;
  const rows = parse(Deno.readTextFileSync(path), { columns: true, bom: true }) as Record<
    string,
    string
  >[];
  const patients = rows.map((row, i) => {
    const result = validatePatient(parsePatientText(row), "create");
    if (!result.ok) throw new Error(`Dataset line ${i + 2}: ${JSON.stringify(result.errors)}`);
    return result.value as PatientFields;
  });
  datasetCache = { rows, patients };
  return datasetCache;
}

/** A configuration for tests: embedded stores in `dataDir` unless servers are given. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ SESSION_SECRET: "test-secret-that-is-long-enough-1234" });
  // bcrypt cost 4 keeps the suite fast (production uses 12); suites register many users from
  // one (in-process) client address, so the registration limit is loosened unless a test sets it.
  const throttle = {
    ...base.security.throttle,
    register: { limit: 10_000, windowMs: base.security.throttle.register.windowMs },
  };
  return { ...base, security: { ...base.security, bcryptCost: 4, throttle }, ...overrides };
}

export interface TestApp {
  /** Sends a request to the app (no network), as a browser on the same origin would. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Every line the app logged. */
  logs: string[];
  stores: Stores;
  close(): Promise<void>;
}

/** The app on the given stores (or fresh embedded ones in a temporary directory). */
export async function createTestApp(stores?: Stores, config?: Config): Promise<TestApp> {
  const dir = Deno.makeTempDirSync({ prefix: "spm-app-" });
  const cfg = config ?? testConfig({ dataDir: dir });
  const opened: Stores = stores ?? {
    accounts: openAccountsDb(null, dir),
    patients: openSqlitePatientStore(dir),
  };
  const logs: string[] = [];
  const app = createApp({
    config: cfg,
    stores: opened,
    assets: await loadAssets(),
    log: (line) => logs.push(line),
  });
  return {
    request: (path, init) => Promise.resolve(app.request(`http://127.0.0.1:5000${path}`, init)),
    logs,
    stores: opened,
    async close() {
      await closeStores(opened);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const ORIGIN = "http://127.0.0.1:5000";

/**
 * A browser for in-process requests: keeps cookies, sends `Origin` on unsafe requests (as
 * browsers do), and remembers the CSRF token of the last page it saw.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrf = "";
  lastHtml = "";

  constructor(private readonly app: TestApp) {}

  /** The `Cookie` header this browser sends. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("Cookie")) headers.set("Cookie", this.cookieHeader());
    const method = (init.method ?? "GET").toUpperCase();
    if (!["GET", "HEAD"].includes(method) && !headers.has("Origin")) headers.set("Origin", ORIGIN);
    const response = await this.app.request(path, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      const expired = attributes.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    if ((response.headers.get("Content-Type") ?? "").startsWith("text/html")) {
      this.lastHtml = await response.clone().text();
      const token = /name="_csrf" value="([^"]+)"/.exec(this.lastHtml) ??
        /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(this.lastHtml);
      if (token) this.csrf = token[1]!;
    }
    return response;
  }

  get(path: string, headers: HeadersInit = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form as a browser would, with the CSRF token of the last page unless one is given. */
  postForm(
    path: string,
    fields: Record<string, string>,
    headers: HeadersInit = {},
  ): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields });
    return this.request(path, { method: "POST", body, headers });
  }

  /** Registers and is then logged in (fetches the form first, as a person would). */
  async register(name: string, email: string, password: string): Promise<Response> {
    await this.get("/register");
    return this.postForm("/register", { name, email, password, confirm_password: password });
  }

  async logIn(email: string, password: string): Promise<Response> {
    await this.get("/login");
    return this.postForm("/login", { email, password });
  }
}

/**
 * Runs `body` on an app over a fresh accounts database of `backend` and an embedded patient
 * store, with the given security settings. `again()` starts another app instance on the same
 * databases, as behind a load balancer.
 */
export async function withAccountsApp(
  backend: Backend<AccountsDb>,
  security: Partial<SecurityConfig>,
  body: (app: TestApp, again: () => Promise<TestApp>) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = await Deno.makeTempDir({ prefix: "spm-auth-test-" });
  const base = testConfig();
  const config = testConfig({ dataDir: dir, security: { ...base.security, ...security } });
  const stores = { accounts: opened.value, patients: openSqlitePatientStore(dir) };
  const app = await createTestApp(stores, config);
  const others: TestApp[] = [];
  const again = async () => {
    others.push(await createTestApp(stores, config));
    return others.at(-1)!;
  };
  try {
    await body(app, again);
  } finally {
    for (const other of others) await other.close();
    await app.close(); // closes both stores; the backend's clean-up closing them again is harmless
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The dataset's first row. */
export const FIRST_ROW: Readonly<PatientFields> = Object.freeze({
  id: 9046,
  gender: "Male",
  age: 67,
  hypertension: 0,
  heart_disease: 1,
  ever_married: "Yes",
  work_type: "Private",
  Residence_type: "Urban",
  avg_glucose_level: 228.69,
  bmi: 36.6,
  smoking_status: "formerly smoked",
  stroke: 1,
});

/** A complete, valid patient without an id (the dataset's first row), with overrides. */
export function samplePatient(overrides: Record<string, unknown> = {}): NewPatient {
  const { id: _id, ...fields } = FIRST_ROW;
  return { ...fields, ...overrides } as NewPatient;
}

/** Runs `body` on an app over embedded accounts and a fresh patient store of `backend`. */
export async function withPatientsApp(
  backend: Backend<PatientStore>,
  body: (app: TestApp) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = await Deno.makeTempDir({ prefix: "spm-patients-app-" });
  const app = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: opened.value },
    testConfig({ dataDir: dir }),
  );
  try {
    await body(app);
  } finally {
    await app.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}
