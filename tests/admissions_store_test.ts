/**
 * Contract suite of the admission store, run against every patient backend (the embedded
 * store and MongoDB/FerretDB): numbering (also under concurrent creates), conditional writes,
 * delete and restore, the streaming reads, and that the patients' documents are never touched.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import {
  AdmissionIdTakenError,
  AdmissionLimitError,
  AdmissionNotFoundError,
  AdmissionStaleError,
} from "../lib/admission_errors.ts";
import {
  MAX_ADMISSIONS_PER_PATIENT,
  newAdmissionRevision,
  type StoredAdmission,
} from "../lib/admission_store.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { type OpenedPatients, patientBackends } from "./helpers/backends.ts";
import { sampleAdmission } from "./helpers/admissions.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const ALICE = 1;
const BOB = 2;
const PATIENT = 9046;

for (const backend of patientBackends()) {
  const test = (name: string, fn: (store: PatientStore, opened: OpenedPatients) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      try {
        await fn(opened.value, opened);
      } finally {
        await opened.cleanup();
      }
    });

  const add = (store: PatientStore, scope: number, patientId = PATIENT, hour = 9) =>
    store.admissions.create(scope, {
      patient_id: patientId,
      patient_created_at: null,
      fields: sampleAdmission({ arrival_at: new Date(Date.UTC(2025, 2, 10, hour)) }),
    }, newAdmissionRevision());

  test("create() numbers a patient's admissions 1, 2, 3 … and per patient and scope", async (store) => {
    const numbers = [
      (await add(store, ALICE)).admission_id,
      (await add(store, ALICE)).admission_id,
      (await add(store, ALICE, 7)).admission_id,
      (await add(store, BOB)).admission_id,
    ];
    assert.deepEqual(numbers, [1, 2, 1, 1]);
    const stored = await store.admissions.get(ALICE, PATIENT, 2);
    assert.ok(stored);
    assert.deepEqual(
      { ...stored, created_at: 0, updated_at: 0, revision: 0 },
      {
        ...sampleAdmission({ arrival_at: new Date(Date.UTC(2025, 2, 10, 9)) }),
        admission_id: 2,
        patient_id: PATIENT,
        patient_created_at: null,
        created_at: 0,
        updated_at: 0,
        revision: 0,
        deleted_at: null,
        deleted_by: null,
      },
    );
  });

  test("concurrent creates for one patient all succeed, each with its own number", async (store) => {
    const created = await Promise.all(Array.from({ length: 12 }, () => add(store, ALICE)));
    const numbers = created.map((a) => a.admission_id).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal((await store.admissions.list(ALICE, PATIENT)).length, 12);
  });

  test("create() with a number that is taken throws AdmissionIdTakenError", async (store) => {
    await add(store, ALICE);
    await assert.rejects(
      store.admissions.create(ALICE, {
        patient_id: PATIENT,
        patient_created_at: null,
        fields: sampleAdmission(),
        admission_id: 1,
      }, newAdmissionRevision()),
      AdmissionIdTakenError,
    );
  });

  test("list() is oldest arrival first; deleted ones are listed apart", async (store) => {
    await add(store, ALICE, PATIENT, 15);
    await add(store, ALICE, PATIENT, 8);
    const third = await add(store, ALICE, PATIENT, 12);
    assert.deepEqual((await store.admissions.list(ALICE, PATIENT)).map((a) => a.admission_id), [
      2,
      3,
      1,
    ]);
    await store.admissions.delete(ALICE, PATIENT, 3, third.revision, {
      next: newAdmissionRevision(),
      by: ALICE,
    });
    assert.deepEqual((await store.admissions.list(ALICE, PATIENT)).map((a) => a.admission_id), [
      2,
      1,
    ]);
    const deleted = await store.admissions.list(ALICE, PATIENT, "deleted");
    assert.deepEqual(deleted.map((a) => [a.admission_id, a.deleted_by]), [[3, ALICE]]);
    assert.ok(deleted[0]!.deleted_at instanceof Date);
    // A deleted number is not given again while it can be restored.
    assert.equal((await add(store, ALICE)).admission_id, 4);
  });

  test("update() writes at the revision read, else AdmissionStaleError; a gone one is a 404", async (store) => {
    const made = await add(store, ALICE);
    const next = newAdmissionRevision();
    const changed = await store.admissions.update(
      ALICE,
      PATIENT,
      1,
      { nihss_arrival: 20, imaging_at: null },
      made.revision,
      next,
    );
    assert.equal(changed.revision, next);
    assert.equal(changed.nihss_arrival, 20);
    assert.equal(changed.imaging_at, null);
    assert.ok(changed.updated_at.getTime() >= made.updated_at.getTime());
    await assert.rejects(
      store.admissions.update(ALICE, PATIENT, 1, { nihss_arrival: 1 }, made.revision, "x"),
      AdmissionStaleError,
    );
    await assert.rejects(
      store.admissions.update(ALICE, PATIENT, 2, { nihss_arrival: 1 }, made.revision, "x"),
      AdmissionNotFoundError,
    );
    await assert.rejects(
      store.admissions.update(BOB, PATIENT, 1, { nihss_arrival: 1 }, next, "x"),
      AdmissionNotFoundError,
    );
    assert.equal((await store.admissions.get(ALICE, PATIENT, 1))!.nihss_arrival, 20);
  });

  test("delete() and restore() move an admission out and back, by revision", async (store) => {
    const made = await add(store, ALICE);
    const deletedAs = newAdmissionRevision();
    await store.admissions.delete(ALICE, PATIENT, 1, made.revision, { next: deletedAs, by: 5 });
    // A deleted admission is not changed, nor deleted again.
    await assert.rejects(
      store.admissions.update(ALICE, PATIENT, 1, { nihss_arrival: 1 }, deletedAs, "x"),
      AdmissionNotFoundError,
    );
    assert.deepEqual(
      (await store.admissions.findRevision(ALICE, deletedAs))?.place,
      "deleted",
    );
    await assert.rejects(
      store.admissions.restore(ALICE, PATIENT, 1, made.revision, "x"),
      AdmissionStaleError,
    );
    const back = await store.admissions.restore(ALICE, PATIENT, 1, deletedAs, "restored");
    assert.equal(back.deleted_at, null);
    assert.equal(back.revision, "restored");
    assert.equal((await store.admissions.findRevision(ALICE, "restored"))?.place, "live");
    assert.equal(await store.admissions.findRevision(ALICE, made.revision), null);
  });

  test("expiredDeleted() and purge() remove deleted admissions for good", async (store) => {
    const made = await add(store, ALICE);
    const live = await add(store, ALICE);
    await store.admissions.delete(ALICE, PATIENT, 1, made.revision, { next: "gone", by: 1 });
    const expired = await store.admissions.expiredDeleted(new Date(Date.now() + 1000), 10);
    assert.deepEqual(expired.map((e) => [e.scope, e.admission.admission_id]), [[ALICE, 1]]);
    assert.equal(await store.admissions.purge(ALICE, live.revision), false, "a live one stays");
    assert.equal(await store.admissions.purge(ALICE, "gone"), true);
    assert.equal(await store.admissions.purge(ALICE, "gone"), false);
    assert.equal(await store.admissions.get(ALICE, PATIENT, 1), null);
    assert.equal((await store.admissions.list(ALICE, PATIENT)).length, 1);
  });

  test("iterate() streams the live admissions arriving in [from, to), of the scope only", async (store) => {
    const day = (d: number, h = 0) => new Date(Date.UTC(2025, 0, d, h));
    const made: StoredAdmission[] = [];
    // 2,500 admissions over 25 days: more than two of the store's read batches.
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      patient_id: 1 + (i % 50),
      patient_created_at: null,
      fields: sampleAdmission({
        last_known_well_at: null,
        arrival_at: day(1 + (i % 25), i % 24),
        imaging_at: null,
        thrombolysis_at: null,
        discharge_at: null,
        discharge_destination: null,
        mrs_discharge: null,
        mrs_90d: null,
      }),
      revision: newAdmissionRevision(),
    }));
    const { stored, taken } = await store.admissions.insertMany(ALICE, rows);
    assert.equal(taken.length, 0);
    made.push(...stored);
    await add(store, BOB, 1, 3);
    const gone = made[0]!;
    await store.admissions.delete(ALICE, gone.patient_id, gone.admission_id, gone.revision, {
      next: newAdmissionRevision(),
      by: null,
    });
    const expected = (from: number, to: number) =>
      made.slice(1).filter((a) => a.arrival_at.getTime() >= from && a.arrival_at.getTime() < to)
        .map((a) => `${a.patient_id}/${a.admission_id}`).sort();
    const read = async (from: Date | null, to: Date | null) => {
      const out: string[] = [];
      for await (const a of store.admissions.iterate(ALICE, from, to)) {
        out.push(`${a.patient_id}/${a.admission_id}`);
      }
      return out.sort();
    };
    assert.deepEqual(await read(null, null), expected(-Infinity, Infinity));
    assert.equal((await read(null, null)).length, 2499);
    assert.deepEqual(await read(day(5), day(9)), expected(day(5).getTime(), day(9).getTime()));
    assert.deepEqual(await read(day(20), null), expected(day(20).getTime(), Infinity));
    assert.deepEqual(await read(day(30), null), []);
  });

  test("exportAll() streams every live admission by patient then number", async (store) => {
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      patient_id: 1 + (i % 7),
      patient_created_at: null,
      fields: sampleAdmission(),
      revision: newAdmissionRevision(),
    }));
    await store.admissions.insertMany(ALICE, rows);
    await add(store, BOB, 1);
    const keys: [number, number][] = [];
    for await (const a of store.admissions.exportAll(ALICE)) {
      keys.push([a.patient_id, a.admission_id]);
    }
    assert.equal(keys.length, 1203);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(keys, sorted);
  });

  test("insertMany() keeps given numbers, reports taken ones and numbers the rest", async (store) => {
    await add(store, ALICE); // 1
    const row = (admission_id?: number, patient_id = PATIENT) => ({
      patient_id,
      patient_created_at: null,
      fields: sampleAdmission(),
      revision: newAdmissionRevision(),
      ...(admission_id !== undefined ? { admission_id } : {}),
    });
    const result = await store.admissions.insertMany(ALICE, [
      row(),
      row(1),
      row(5),
      row(),
      row(2, 77),
    ]);
    assert.deepEqual(result.taken, [1]);
    const numbers = result.stored.map((a) => `${a.patient_id}/${a.admission_id}`).sort();
    // The number given (5) is kept; the others follow the highest taken at that point.
    assert.equal(numbers.length, 4);
    assert.ok(numbers.includes(`${PATIENT}/5`));
    assert.ok(numbers.includes("77/2"));
    const mine = (await store.admissions.list(ALICE, PATIENT)).map((a) => a.admission_id);
    assert.equal(new Set(mine).size, mine.length);
    assert.equal(mine.length, 4);
  });

  test(
    "a patient holds at most MAX_ADMISSIONS_PER_PATIENT admissions, deleted ones counted",
    async (store) => {
      const row = (patient_id = PATIENT) => ({
        patient_id,
        patient_created_at: null,
        fields: sampleAdmission(),
        revision: newAdmissionRevision(),
      });
      const first = await store.admissions.insertMany(
        ALICE,
        Array.from({ length: MAX_ADMISSIONS_PER_PATIENT - 2 }, () => row()),
      );
      assert.equal(first.stored.length, MAX_ADMISSIONS_PER_PATIENT - 2);
      const gone = first.stored[0]!;
      await store.admissions.delete(ALICE, PATIENT, gone.admission_id, gone.revision, {
        next: newAdmissionRevision(),
        by: null,
      });
      // Two places left: the third and fourth rows of the patient are refused, another patient's
      // row is stored.
      const more = await store.admissions.insertMany(ALICE, [row(), row(), row(), row(5), row()]);
      assert.deepEqual(more.full, [2, 4]);
      assert.deepEqual(more.taken, []);
      assert.equal(more.stored.length, 3);
      assert.deepEqual(
        await store.admissions.countOf(ALICE, [PATIENT, 5, 6]),
        new Map([[PATIENT, MAX_ADMISSIONS_PER_PATIENT], [5, 1]]),
      );
      await assert.rejects(add(store, ALICE), (error: unknown) => {
        assert.ok(error instanceof AdmissionLimitError);
        assert.deepEqual(error.errors.map((e) => e.field), ["admission_id"]);
        assert.match(error.errors[0]!.message, /1,000 admissions, the most one patient may have/);
        return true;
      });
      // Another scope's patient of the same id, and another patient, are not affected.
      assert.equal((await add(store, BOB)).admission_id, 1);
      assert.equal((await add(store, ALICE, 5)).admission_id, 2);
      const live = await store.admissions.list(ALICE, PATIENT);
      assert.equal(live.length, MAX_ADMISSIONS_PER_PATIENT - 1);
    },
  );

  test("deleting all of a scope's records (account deletion) removes its admissions", async (store) => {
    await store.create(ALICE, FIRST_ROW);
    await add(store, ALICE);
    await add(store, BOB);
    await store.deleteAllOf(ALICE);
    assert.deepEqual(await store.admissions.list(ALICE, PATIENT), []);
    assert.equal((await store.admissions.list(BOB, PATIENT)).length, 1);
  });

  if (backend.name === "mongodb") {
    test(
      "admissions live in a collection of their own: the patient documents keep their fields",
      async (store, opened) => {
        await opened.insertRaw(ALICE, [{ ...FIRST_ROW }]);
        await add(store, ALICE);
        const raw = await opened.rawDocument(ALICE, PATIENT);
        assert.deepEqual(Object.keys(raw ?? {}).sort(), Object.keys(FIRST_ROW).sort());
        const uri = Deno.env.get("MONGO_URI")!;
        const client = new MongoClient(uri);
        try {
          const db = client.db((store.description.split("/").pop() ?? "").split(".")[0]);
          const names = (await db.listCollections().toArray()).map((c) => c.name);
          assert.ok(names.includes("Patient_data_admissions"), names.join(", "));
          const indexes = await db.collection("Patient_data_admissions").indexes();
          const unique = indexes.find((i) => i.name === "user_id_1_patient_id_1_admission_id_1");
          assert.equal(unique?.unique, true);
        } finally {
          await client.close();
        }
      },
    );
  }
}
