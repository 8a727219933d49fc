/**
 * The list's totals stay exact through every kind of write: one record or a batch, a change of
 * the counted fields, delete, restore, account removal (the embedded store keeps them in tallies,
 * MongoDB counts). Checked against the records themselves, read back one by one.
 */
import assert from "node:assert/strict";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  type PatientFields,
} from "../lib/patient_fields.ts";
import type { PatientFilter } from "../lib/patient_query.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { patientBackends } from "./helpers/backends.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const USER = 1;
const OTHER = 2;

/** A varied record: every categorical value and a spread of ages turn up. */
function patient(id: number): PatientFields {
  const pick = <T>(values: readonly T[]) => values[id % values.length]!;
  return {
    ...FIRST_ROW,
    id,
    gender: pick(CATEGORICAL_VALUES.gender),
    age: (id * 37) % 83 + (id % 4 === 0 ? 0.5 : 0),
    hypertension: pick(CATEGORICAL_VALUES.hypertension),
    heart_disease: id % 7 === 0 ? 1 : 0,
    ever_married: pick(CATEGORICAL_VALUES.ever_married),
    work_type: pick(CATEGORICAL_VALUES.work_type),
    Residence_type: pick(CATEGORICAL_VALUES.Residence_type),
    smoking_status: pick(CATEGORICAL_VALUES.smoking_status),
    stroke: id % 11 === 0 ? 1 : 0,
  };
}

/** Every total the list can show from one condition (or none), and a few combinations. */
function filters(): PatientFilter[] {
  const out: PatientFilter[] = [{}, { age_min: 40 }, { age_max: 12.5, gender: "Female" }];
  for (const field of CATEGORICAL_FIELDS) {
    for (const value of CATEGORICAL_VALUES[field]) out.push({ [field]: value });
  }
  out.push({ stroke: 1, hypertension: 1 }, { work_type: "children", ever_married: "No" });
  return out;
}

/** The store's totals and pages agree with the records it streams back, for every filter. */
async function assertExact(store: PatientStore, step: string) {
  for (const filter of filters()) {
    let streamed = 0;
    for await (const _ of store.stream(USER, filter, { field: "id", direction: "asc" })) {
      streamed++;
    }
    const shown = `${step}: ${JSON.stringify(filter)}`;
    assert.equal(await store.count(USER, filter), streamed, shown);
    const page = await store.list(USER, {
      filter,
      sort: { field: "age", direction: "desc" },
      page: 1,
      perPage: 500,
    });
    assert.equal(page.total, streamed, shown);
    assert.equal(page.items.length, Math.min(500, streamed), shown);
  }
}

for (const backend of patientBackends({ sqlPlans: true })) {
  Deno.test(`[${backend.name}] totals stay exact through every kind of write`, async () => {
    const { value: store, cleanup } = await backend.open();
    try {
      await assertExact(store, "empty");
      // A big batch (the embedded store adds its tallies up itself) with duplicates in it.
      const batch = Array.from({ length: 600 }, (_, i) => patient(i + 1));
      const first = await store.insertMany(USER, [...batch, patient(5)]);
      assert.deepEqual(first, { inserted: 600, duplicateIds: [5] });
      const again = await store.insertMany(USER, [patient(1), patient(601), patient(602)]);
      assert.deepEqual(again, { inserted: 2, duplicateIds: [1] });
      await store.insertMany(OTHER, batch.slice(0, 100));
      await store.create(USER, { ...patient(0), id: 5000 });
      await assertExact(store, "after inserts");

      await store.patch(USER, 10, { gender: "Other", age: 81, stroke: 1 });
      await store.replace(USER, 11, { ...patient(12), id: 11 } as never);
      await store.updateMany(USER, [{ ...patient(20), work_type: "Never_worked", age: 0.3 }]);
      await assertExact(store, "after changes");

      await store.delete(USER, 30);
      await store.delete(USER, 31);
      await assertExact(store, "after deletes");
      const gone = await store.getDeleted(USER, 30);
      await store.restore(USER, 30, gone!.revision);
      await assertExact(store, "after a restore");

      await store.deleteAllOf(OTHER);
      assert.equal(await store.count(OTHER), 0);
      await store.deleteAllOf(USER);
      await assertExact(store, "after removing the account's records");
    } finally {
      await cleanup();
    }
  });
}
