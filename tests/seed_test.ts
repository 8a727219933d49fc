/**
 * `deno task seed`: synthetic records a user can list, each valid by the app's own rules, with
 * the dataset's shape (strokes rare and commoner with age, some BMIs unknown), and ids that
 * follow the user's highest when run again.
 */
import assert from "node:assert/strict";
import { seedCommand } from "../scripts/seed.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { openAccountsDb } from "../db/accounts/database.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import { validatePatient } from "../lib/patient_validation.ts";
import { PATIENT_FIELDS, type PatientFields } from "../lib/patient_fields.ts";

const EMAIL = "seeded@example.org";

Deno.test("deno task seed writes valid, dataset-shaped records for a new account, then more", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-seed-" });
  const lines: string[] = [];
  const env = { DATA_DIR: dir, SESSION_SECRET: "seed-test-secret-that-is-long-enough" };
  const run = (args: string[]) =>
    seedCommand(args, env, (line) => lines.push(line), (line) => lines.push(line));
  try {
    const code = await run([
      "--count",
      "3000",
      "--email",
      EMAIL,
      "--password",
      "seeded password 1",
    ]);
    assert.equal(code, 0, lines.join("\n"));
    assert.equal(await run(["--count", "500", "--email", EMAIL]), 0, lines.join("\n"));
    assert.equal(await run(["--count", "0", "--email", EMAIL]), 2, "a count of 0 is refused");

    const accounts = openAccountsDb(null, dir);
    const user = await findUserByEmail(accounts, EMAIL);
    await accounts.close();
    assert.ok(user, "the account was created");
    const store = openSqlitePatientStore(dir);
    try {
      assert.equal(await store.count(user.id), 3500);
      const records: PatientFields[] = [];
      for await (const r of store.stream(user.id, {}, { field: "id", direction: "asc" })) {
        records.push(r);
      }
      assert.deepEqual(records.map((r) => r.id), Array.from({ length: 3500 }, (_, i) => i + 1));
      for (const record of records) {
        const fields = Object.fromEntries(PATIENT_FIELDS.map((f) => [f, record[f]]));
        const checked = validatePatient(fields, "create");
        assert.ok(checked.ok, JSON.stringify(record));
      }
      const rate = (rows: PatientFields[]) =>
        rows.filter((r) => r.stroke === 1).length / rows.length;
      const overall = rate(records);
      assert.ok(overall > 0.02 && overall < 0.09, `stroke rate ${overall}`);
      const old = records.filter((r) => r.age >= 60);
      const young = records.filter((r) => r.age < 40);
      assert.ok(rate(old) > 3 * rate(young), "strokes are commoner with age");
      const unknownBmi = records.filter((r) => r.bmi === null).length / records.length;
      assert.ok(unknownBmi > 0.01 && unknownBmi < 0.1, `unknown BMI ${unknownBmi}`);
      assert.equal(new Set(records.map((r) => r.work_type)).size, 5, "every work type turns up");
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
