/**
 * The embedded patient store's migrations, in the order they run, under the names the database
 * records them by. Never edit a migration after it lands; add a new one: a file `00N_name.ts`
 * here that imports only `kysely` and spells out its SQL, and one line below.
 * `tests/migrations_test.ts` compares the schema they make with the one the store expects.
 */
import type { Migration } from "kysely/migration";
import { patients } from "./001_patients.ts";
import { deletedAndAudit } from "./002_deleted_and_audit.ts";
import { listIndexesAndTallies } from "./003_list_indexes_and_tallies.ts";
import { changeClaims } from "./004_change_claims.ts";
import {
  documentsOfTheOriginalApp,
  type SqliteSchemaAccess,
} from "./005_documents_of_the_original_app.ts";
import { dataVersions } from "./006_data_versions.ts";
import * as admissions007 from "./007_admissions.ts";

/** Every migration; one edits the schema through `database`, the connection Kysely runs on. */
export function patientMigrations(database: SqliteSchemaAccess): Record<string, Migration> {
  return {
    "001_patients": patients,
    "002_deleted_and_audit": deletedAndAudit,
    "003_list_indexes_and_tallies": listIndexesAndTallies,
    "004_change_claims": changeClaims,
    "005_documents_of_the_original_app": documentsOfTheOriginalApp(database),
    "006_data_versions": dataVersions,
    "007_admissions": admissions007,
  };
}
