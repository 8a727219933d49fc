/**
 * The embedded store's stream (every export's source), read in batches from after the last
 * row: every matching record comes once, in the list's order, whatever the sort — ties, unknown
 * BMIs, values the original app stored as text — and an export is of one moment, even when the
 * records change while it is read.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { PATIENT_FIELDS, type PatientFields } from "../lib/patient_fields.ts";
import type { PatientFilter, PatientSort } from "../lib/patient_query.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { loadSeedDistribution, syntheticPatients } from "../scripts/synthetic_patients.ts";

const USER = 1;
const OTHER = 2;

async function streamed(store: PatientStore, filter: PatientFilter, sort: PatientSort) {
  const ids: number[] = [];
  for await (const record of store.stream(USER, filter, sort)) ids.push(record.id);
  return ids;
}

Deno.test("a stream gives every matching record once, in the list's order, for every sort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-stream-" });
  const store = openSqlitePatientStore(dir);
  const path = join(dir, "patients.db");
  try {
    const distribution = await loadSeedDistribution();
    // More than a few batches, with many ties (flags, categories) and unknown BMIs.
    await store.insertMany(USER, [
      ...syntheticPatients(distribution, { firstId: 1, count: 2_300 }),
    ]);
    await store.insertMany(OTHER, [...syntheticPatients(distribution, { firstId: 1, count: 50 })]);
    // Rows as the original app may have stored them: text where numbers belong, a missing BMI.
    const raw = new DatabaseSync(path);
    const insert = raw.prepare(
      "INSERT INTO patients (user_id, id, gender, age, bmi, avg_glucose_level, stroke, revision) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    insert.run(USER, 5_001, "Female", "sixty", "N/A", "high", "1", "r1");
    insert.run(USER, 5_002, null, 45, null, 80.5, 1, "r2");
    insert.run(USER, 5_003, "Male", "seventy", 30.1, 90, 0, "r3");
    raw.close();
    const sql = new DatabaseSync(path, { readOnly: true });
    const expected = (filter: string, sort: PatientSort) => {
      const direction = sort.direction === "asc" ? "ASC" : "DESC";
      const order = sort.field === "id"
        ? `id ${direction}`
        : `${sort.field} ${direction}, id ${direction}`;
      return (sql.prepare(
        `SELECT id FROM patients WHERE user_id = ? ${filter} ORDER BY ${order}`,
      ).all(USER) as { id: number }[]).map((row) => row.id);
    };
    for (const field of PATIENT_FIELDS) {
      for (const direction of ["asc", "desc"] as const) {
        const sort = { field, direction };
        assert.deepEqual(
          await streamed(store, {}, sort),
          expected("", sort),
          `${field} ${direction}`,
        );
        assert.deepEqual(
          await streamed(store, { stroke: 1, age_min: 40 }, sort),
          expected("AND stroke = 1 AND age >= 40 AND age <= 1.7976931348623157e308", sort),
          `${field} ${direction}, filtered`,
        );
      }
    }
    sql.close();
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stream is of the moment it began, however the records change while it is read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-stream-" });
  const store = openSqlitePatientStore(dir);
  try {
    const distribution = await loadSeedDistribution();
    await store.insertMany(USER, [
      ...syntheticPatients(distribution, { firstId: 1, count: 1_200 }),
    ]);
    const sort: PatientSort = { field: "id", direction: "asc" };
    const seen: number[] = [];
    for await (const record of store.stream(USER, {}, sort)) {
      seen.push(record.id);
      if (seen.length === 10) {
        // Written while the export is read: a record far ahead goes, a new one comes.
        await store.delete(USER, 1_100);
        const fields = Object.fromEntries(PATIENT_FIELDS.map((f) => [f, record[f]]));
        await store.create(USER, { ...fields, id: 1_300 } as PatientFields);
      }
    }
    assert.equal(seen.length, 1_200);
    assert.ok(seen.includes(1_100) && !seen.includes(1_300));
    assert.equal(await store.count(USER), 1_200);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
