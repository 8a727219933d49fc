/** Starts the app: read config → open stores → createApp → serve; close everything on a signal. */
import { appUrl, ConfigError, loadConfig } from "./config.ts";
import { startHousekeeping } from "./db/housekeeping.ts";
import { createMailer } from "./lib/mail.ts";
import { keepRecords } from "./lib/record_keeping.ts";
import { keepAdmissions } from "./lib/admission_audit.ts";
import { closeStores, openStores, startupWarnings } from "./db/stores.ts";
import { createApp } from "./routes/app.tsx";
import { loadAssets } from "./http/assets.ts";
import { resumeStalledImports } from "./lib/import_runner.ts";
import { exportHousekeeping } from "./lib/fhir_export.ts";

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
const mailer = createMailer(config.mail);
const app = createApp({ config, stores, mailer, assets: await loadAssets(), log: console.log });
const server = Deno.serve({
  port: config.port,
  hostname: config.host,
  onListen: () => {
    console.log(`Stroke Patient Management at ${appUrl(config)}`);
    console.log(`Accounts: ${stores.accounts.description}`);
    console.log(`Patients: ${stores.patients.description}`);
    console.log(`Email: ${mailer.description}`);
  },
}, app.fetch);

// Migrate and index now rather than on the first request; an outage is only a warning, since
// each store retries on its next use.
await Promise.all([
  stores.accounts.ping().catch((e) => console.warn(`Accounts store not ready: ${e.cause ?? e}`)),
  stores.patients.ping().catch((e) => console.warn(`Patient store not ready: ${e.cause ?? e}`)),
]);
for (const warning of await startupWarnings(stores)) console.warn(warning);

// Every ten minutes: expired sessions, old login failures and uploads, deleted records past their
// retention (each purge audited), audit entries left pending by a crash, imports and FHIR
// exports whose instance stopped, and FHIR export files past their hour.
const stopHousekeeping = startHousekeeping(
  stores.accounts,
  config.security,
  console.warn,
  600_000,
  [
    () => keepRecords(stores.patients, new Date(), config.deletedRetentionMs),
    () => keepAdmissions(stores.patients, new Date(), config.deletedRetentionMs),
    () => resumeStalledImports(stores, config, console.log),
    exportHousekeeping(stores, config, console.log),
  ],
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    stopHousekeeping();
    await server.shutdown();
    await mailer.idle(); // links asked for just before the signal still go out
    await closeStores(stores);
    Deno.exit(0);
  });
}
