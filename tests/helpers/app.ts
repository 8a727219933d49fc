/** The app wired to real stores for tests: a test configuration, in-process requests, apps per backend. */
import { type Config, loadConfig, type SecurityConfig } from "../../config.ts";
import { type AccountsDb, openAccountsDb } from "../../db/accounts/database.ts";
import { openSqlitePatientStore } from "../../db/patients/sqlite/store.ts";
import { closeStores, type Stores } from "../../db/stores.ts";
import { createMailer, type Mailer } from "../../lib/mail.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { createApp } from "../../routes/app.tsx";
import { loadAssets } from "../../http/assets.ts";
import type { Backend } from "./backends.ts";
import { PASSWORD } from "./fixtures.ts";

/** A configuration for tests: embedded stores in `dataDir` unless servers are given. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ SESSION_SECRET: "test-secret-that-is-long-enough-1234" });
  // bcrypt cost 4 keeps the suite fast (production uses 12); suites register many users from
  // one (in-process) client address, so the registration limit is loosened unless a test sets it.
  const throttle = {
    ...base.security.throttle,
    register: { limit: 10_000, windowMs: base.security.throttle.register.windowMs },
  };
  // A FHIR export's run renews its lease four times a lease: a cancelled one stops within 0.5 s.
  return {
    ...base,
    security: { ...base.security, bcryptCost: 4, throttle },
    fhirExportLeaseMs: 2_000,
    ...overrides,
  };
}

export interface TestApp {
  /** Sends a request to the app (no network), as a browser on the same origin would. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Every line the app logged. */
  logs: string[];
  stores: Stores;
  /** The app's mailer (disabled unless the configuration has `mail`). */
  mailer: Mailer;
  /** `http://127.0.0.1:<port>` when the app was also served over HTTP (`serve: true`). */
  origin?: string;
  close(): Promise<void>;
}

/**
 * The app on the given stores (or fresh embedded ones in a temporary directory); `serve` also
 * serves it on a free local port, for clients in other processes.
 */
export async function createTestApp(
  stores?: Stores,
  config?: Config,
  options: { serve?: boolean } = {},
): Promise<TestApp> {
  const dir = Deno.makeTempDirSync({ prefix: "spm-app-" });
  const cfg = config ?? testConfig({ dataDir: dir });
  const opened: Stores = stores ?? {
    accounts: openAccountsDb(null, dir),
    patients: openSqlitePatientStore(dir),
  };
  const logs: string[] = [];
  const mailer = createMailer(cfg.mail);
  const app = createApp({
    config: cfg,
    stores: opened,
    mailer,
    assets: await loadAssets(),
    log: (line) => logs.push(line),
  });
  const server = options.serve
    ? Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch)
    : null;
  return {
    request: (path, init) => Promise.resolve(app.request(`http://127.0.0.1:5000${path}`, init)),
    logs,
    stores: opened,
    mailer,
    ...(server ? { origin: `http://127.0.0.1:${server.addr.port}` } : {}),
    async close() {
      await server?.shutdown();
      await mailer.idle();
      await closeStores(opened);
      await Deno.remove(dir, { recursive: true });
    },
  };
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

/** Asks `POST /api/tokens` for a token with the account's email and password. */
export function requestToken(app: TestApp, email: string, password = PASSWORD): Promise<Response> {
  return app.request("/api/tokens", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
}

/** A new API token of the account (which must exist), as the string to send as a bearer. */
export async function bearerToken(app: TestApp, email: string): Promise<string> {
  const res = await requestToken(app, email);
  if (res.status !== 201) throw new Error(`POST /api/tokens answered ${res.status}`);
  return (await res.json()).token;
}
