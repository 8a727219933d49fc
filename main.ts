/** Starts the app: read config → open stores → createApp → serve; close everything on a signal. */
import { appUrl, ConfigError, loadConfig } from "./config.ts";
import { startHousekeeping } from "./db/housekeeping.ts";
import { keepRecords } from "./lib/record_keeping.ts";
import { closeStores, openStores } from "./db/stores.ts";
import { createApp } from "./routes/app.tsx";
import { loadAssets } from "./routes/assets.ts";

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  Deno.exit(1);
}

if (!config.sessionSecretFromEnv) {
  console.warn(
    "SESSION_SECRET is not set: using a random one, so sessions end when the app restarts.",
  );
}
const stores = openStores(config);
const app = createApp({ config, stores, assets: await loadAssets(), log: console.log });
const server = Deno.serve({
  port: config.port,
  hostname: config.host,
  onListen: () => {
    console.log(`Stroke Patient Management at ${appUrl(config)}`);
    console.log(`Accounts: ${stores.accounts.description}`);
    console.log(`Patients: ${stores.patients.description}`);
  },
}, app.fetch);

// Migrate and index now rather than on the first request; an outage is only a warning, since
// each store retries on its next use.
await Promise.all([
  stores.accounts.ping().catch((e) => console.warn(`Accounts store not ready: ${e.cause ?? e}`)),
  stores.patients.ping().catch((e) => console.warn(`Patient store not ready: ${e.cause ?? e}`)),
]);

// Every ten minutes: expired sessions, old login failures, deleted records past their retention
// (each purge audited) and audit entries left pending by a crash.
const stopHousekeeping = startHousekeeping(
  stores.accounts,
  config.security,
  console.warn,
  600_000,
  [
    () => keepRecords(stores.patients, new Date(), config.deletedRetentionMs),
  ],
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    stopHousekeeping();
    await server.shutdown();
    await closeStores(stores);
    Deno.exit(0);
  });
}
