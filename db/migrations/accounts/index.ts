/**
 * The accounts database's migrations, in the order they run, under the names the database
 * records them by. Never edit a migration after it lands; add a new one: a file
 * `00N_name.ts` here that imports only `kysely` (and `./steps.ts`) and spells out its columns,
 * and one line below. `tests/migrations_test.ts` compares the schema they make with the one
 * the app expects.
 */
import type { Migration } from "kysely/migration";
import type { AccountsDialect } from "./steps.ts";
import { loginData } from "./001_login_data.ts";
import { sessionsTokensThrottle } from "./002_sessions_tokens_throttle.ts";
import { imports } from "./003_imports.ts";
import { admin } from "./004_admin.ts";
import { twoFactor } from "./005_two_factor.ts";
import { importRuns } from "./006_import_runs.ts";
import { registriesMigration } from "./007_registries.ts";
import * as passwordResets from "./008_password_resets.ts";
import { appSecretsMigration } from "./009_app_secrets.ts";
import * as timeZone from "./010_time_zone.ts";

/** Every migration, made for `dialect` where its SQL differs between MySQL and SQLite. */
export function accountsMigrations(dialect: AccountsDialect): Record<string, Migration> {
  return {
    "001_login_data": loginData(dialect),
    "002_sessions_tokens_throttle": sessionsTokensThrottle(dialect),
    "003_imports": imports(dialect),
    "004_admin": admin,
    "005_two_factor": twoFactor(dialect),
    "006_import_runs": importRuns(dialect),
    "007_registries": registriesMigration(dialect),
    "008_password_resets": passwordResets,
    "009_app_secrets": appSecretsMigration(dialect),
    "010_time_zone": timeZone,
  };
}
