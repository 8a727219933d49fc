/**
 * The key of the FHIR resource ids: `FHIR_ID_SECRET`, or one made once and kept in the accounts
 * database, which instances starting at the same time agree on (on SQLite and MariaDB).
 */
import assert from "node:assert/strict";
import { sharedSecret } from "../db/accounts/app_secrets.ts";
import { patientToken } from "../lib/fhir/ids.ts";
import { FHIR_SECRET_NAME, fhirKeySource } from "../lib/fhir_service.ts";
import { accountBackends } from "./helpers/backends.ts";
import { TEST_KEYS, TEST_SECRET } from "./helpers/fhir_fixtures.ts";

for (const backend of accountBackends()) {
  Deno.test(`[${backend.name}] instances racing to make the FHIR id key all keep the first one`, async () => {
    const opened = await backend.open();
    const others = Array.from({ length: 3 }, () => opened.reopen!());
    try {
      const handles = [opened.value, ...others];
      for (const db of handles) await db.ping(); // migrated, one after the other
      const keys = await Promise.all(
        handles.flatMap((db, i) =>
          [0, 1].map((j) => sharedSecret(db, "race", () => `secret of instance ${i}, call ${j}`))
        ),
      );
      assert.equal(new Set(keys).size, 1, `one key for all: ${keys.join(" | ")}`);
      assert.match(keys[0]!, /^secret of instance \d, call \d$/);

      // Without FHIR_ID_SECRET, two app instances derive the same ids from the stored key.
      const [a, b] = [fhirKeySource(null, handles[0]!), fhirKeySource(null, handles[1]!)];
      assert.equal(
        patientToken(await a(), "p1", 9046, "plain"),
        patientToken(await b(), "p1", 9046, "plain"),
      );
      const stored = await sharedSecret(handles[2]!, FHIR_SECRET_NAME, () => "not this one");
      assert.match(stored, /^[0-9a-f]{64}$/, "a random 256-bit key");
    } finally {
      for (const other of others) await other.close();
      await opened.cleanup();
    }
  });
}

Deno.test("with FHIR_ID_SECRET the ids come from it, whatever the database keeps", async () => {
  const keys = await fhirKeySource(TEST_SECRET, null as never)();
  assert.equal(
    patientToken(keys, "p1", 9046, "plain"),
    patientToken(TEST_KEYS, "p1", 9046, "plain"),
  );
});
