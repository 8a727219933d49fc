/** Contract suite for the patient store's writes and reads, run against every backend. */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { NotFoundError, PatientIdTakenError, StaleRevisionError } from "../lib/errors.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import {
  type NewPatient,
  PATIENT_FIELDS,
  type PatientChanges,
  type PatientFields,
  type PatientRecord,
} from "../lib/patient_fields.ts";
import { dropMongoDatabase, mongoServer, patientBackends, uniqueName } from "./helpers/backends.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const ALICE = 1;
const BOB = 2;

const ROW: PatientFields = { ...FIRST_ROW };
const { id: _, ...FIELDS } = ROW;
/** Every field but the id changed. */
const OTHER: Omit<PatientFields, "id"> = {
  gender: "Female",
  age: 0.08,
  hypertension: 1,
  heart_disease: 0,
  ever_married: "No",
  work_type: "children",
  Residence_type: "Rural",
  avg_glucose_level: 85.5,
  bmi: null,
  smoking_status: "Unknown",
  stroke: 0,
};

/** The dataset's twelve fields of a record, without what the server keeps. */
function fieldsOf(record: object): PatientFields {
  const r = record as Record<string, unknown>;
  return Object.fromEntries(PATIENT_FIELDS.map((f) => [f, r[f]])) as unknown as PatientFields;
}

/** The keys of a stored record: the twelve fields and what the server keeps, sorted. */
const RECORD_KEYS = [...PATIENT_FIELDS, "created_at", "updated_at", "revision"].sort();

/** Lets the clock move on, so that a later write gets a later timestamp. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

for (const backend of patientBackends()) {
  /** A test on a fresh, empty store of this backend, closed and dropped afterwards. */
  const test = (name: string, fn: (store: PatientStore) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const { value, cleanup } = await backend.open();
      try {
        await fn(value);
      } finally {
        await cleanup();
      }
    });

  test("create() stores a record under the id it is given", async (store) => {
    const created = await store.create(ALICE, ROW);
    assert.deepEqual(fieldsOf(created), ROW);
    assert.deepEqual(fieldsOf(await store.get(ALICE, 9046) ?? {}), ROW);
  });

  test("create() assigns the next free id when none is given", async (store) => {
    const [first, second] = [await store.create(ALICE, FIELDS), await store.create(ALICE, FIELDS)];
    assert.deepEqual([first.id, second.id], [1, 2]);
    assert.notEqual(first.revision, second.revision);
    await store.create(ALICE, { ...FIELDS, id: 40 });
    assert.equal((await store.create(ALICE, FIELDS)).id, 41);
    assert.equal((await store.create(BOB, FIELDS)).id, 1);
    assert.equal(await store.count(ALICE), 4);
  });

  test("create() throws PatientIdTakenError for an id the user already has", async (store) => {
    const first = await store.create(ALICE, ROW);
    await assert.rejects(store.create(ALICE, { ...ROW, ...OTHER }), (error) => {
      assert.ok(error instanceof PatientIdTakenError);
      assert.equal(error.id, 9046);
      return true;
    });
    assert.deepEqual(await store.get(ALICE, 9046), first);
    assert.equal(await store.count(ALICE), 1);
  });

  test("create() accepts the same id for another user", async (store) => {
    await store.create(ALICE, ROW);
    const bobs = await store.create(BOB, { ...OTHER, id: 9046 });
    assert.deepEqual(fieldsOf(bobs), { ...OTHER, id: 9046 });
    assert.deepEqual(fieldsOf(await store.get(ALICE, 9046) ?? {}), ROW);
    assert.deepEqual(fieldsOf(await store.get(BOB, 9046) ?? {}), { ...OTHER, id: 9046 });
  });

  test("get() returns the twelve fields, Date timestamps and a revision, no _id or user_id", async (store) => {
    const created = await store.create(ALICE, ROW);
    const got = await store.get(ALICE, 9046);
    assert.ok(got);
    assert.deepEqual(Object.keys(got).sort(), RECORD_KEYS);
    assert.ok(got.created_at instanceof Date && got.updated_at instanceof Date);
    assert.equal(got.created_at!.getTime(), got.updated_at!.getTime());
    assert.ok(Math.abs(got.created_at!.getTime() - Date.now()) < 60_000);
    assert.equal(typeof got.revision, "string");
    assert.ok(got.revision.length > 0);
    assert.deepEqual(got, created);
  });

  test("get() returns null for a missing id and for another user's record", async (store) => {
    await store.create(ALICE, ROW);
    assert.equal(await store.get(ALICE, 1), null);
    assert.equal(await store.get(BOB, 9046), null);
  });

  test("replace() changes every field, the revision and updated_at, never id or created_at", async (store) => {
    const before = await store.create(ALICE, ROW);
    await tick();
    const after = await store.replace(ALICE, 9046, OTHER);
    assert.deepEqual(fieldsOf(after), { ...OTHER, id: 9046 });
    assert.equal(after.created_at!.getTime(), before.created_at!.getTime());
    assert.ok(after.updated_at! > before.updated_at!);
    assert.notEqual(after.revision, before.revision);
    assert.deepEqual(await store.get(ALICE, 9046), after);
  });

  test("patch() changes only the given fields, the revision and updated_at", async (store) => {
    const before = await store.create(ALICE, ROW);
    await tick();
    const after = await store.patch(ALICE, 9046, { age: 68, smoking_status: "smokes" });
    assert.deepEqual(fieldsOf(after), { ...ROW, age: 68, smoking_status: "smokes" });
    assert.equal(after.created_at!.getTime(), before.created_at!.getTime());
    assert.ok(after.updated_at! > before.updated_at!);
    assert.notEqual(after.revision, before.revision);
    assert.deepEqual(await store.get(ALICE, 9046), after);
  });

  test("patch() and replace() never change the id or created_at, even when named", async (store) => {
    const before = await store.create(ALICE, ROW);
    const sneaky = { id: 7, created_at: new Date(0), age: 70 } as PatientChanges;
    await store.patch(ALICE, 9046, sneaky);
    await store.replace(ALICE, 9046, { ...OTHER, ...sneaky } as Omit<PatientFields, "id">);
    const after = await store.get(ALICE, 9046);
    assert.equal(after?.id, 9046);
    assert.equal(after?.age, 70);
    assert.equal(after?.created_at?.getTime(), before.created_at!.getTime());
    assert.equal(await store.get(ALICE, 7), null);
  });

  test("patch(), replace() and delete() with a stale revision throw StaleRevisionError and change nothing", async (store) => {
    const first = await store.create(ALICE, ROW);
    const current = await store.patch(ALICE, 9046, { age: 68 });
    const stale = first.revision;
    const isStale = (error: unknown) => error instanceof StaleRevisionError && error.id === 9046;
    await assert.rejects(store.patch(ALICE, 9046, { age: 99 }, stale), isStale);
    await assert.rejects(store.replace(ALICE, 9046, OTHER, stale), isStale);
    await assert.rejects(store.delete(ALICE, 9046, stale), isStale);
    assert.deepEqual(await store.get(ALICE, 9046), current);
  });

  test("patch(), replace() and delete() with the current revision succeed", async (store) => {
    const created = await store.create(ALICE, ROW);
    const patched = await store.patch(ALICE, 9046, { bmi: 30 }, created.revision);
    assert.equal(patched.bmi, 30);
    const replaced = await store.replace(ALICE, 9046, OTHER, patched.revision);
    assert.deepEqual(fieldsOf(replaced), { ...OTHER, id: 9046 });
    await store.delete(ALICE, 9046, replaced.revision);
    assert.equal(await store.get(ALICE, 9046), null);
  });

  test("patch(), replace() and delete() throw NotFoundError for a missing id or another user's", async (store) => {
    const bobs = await store.create(BOB, ROW);
    for (const id of [1, 9046]) {
      await assert.rejects(store.patch(ALICE, id, { age: 1 }), NotFoundError);
      await assert.rejects(store.replace(ALICE, id, OTHER), NotFoundError);
      await assert.rejects(store.delete(ALICE, id), NotFoundError);
      await assert.rejects(store.patch(ALICE, id, { age: 1 }, bobs.revision), NotFoundError);
      await assert.rejects(store.delete(ALICE, id, bobs.revision), NotFoundError);
    }
    assert.deepEqual(await store.get(BOB, 9046), bobs);
    assert.equal(await store.count(ALICE), 0);
  });

  test("delete() removes the record so that get() returns null", async (store) => {
    await store.create(ALICE, ROW);
    await store.create(ALICE, FIELDS);
    await store.delete(ALICE, 9046);
    assert.equal(await store.get(ALICE, 9046), null);
    assert.equal(await store.count(ALICE), 1);
    await assert.rejects(store.delete(ALICE, 9046), NotFoundError);
  });

  test("deleteAllOf() removes only that user's records and says how many", async (store) => {
    await store.create(ALICE, ROW);
    await store.create(ALICE, FIELDS);
    await store.create(BOB, ROW);
    assert.equal(await store.deleteAllOf(ALICE), 2);
    assert.equal(await store.count(ALICE), 0);
    assert.equal(await store.count(BOB), 1);
    assert.deepEqual(fieldsOf(await store.get(BOB, 9046) ?? {}), ROW);
    assert.equal(await store.deleteAllOf(ALICE), 0);
  });

  test("insertMany() stores new ids and reports the taken ones without storing them", async (store) => {
    const existing = await store.create(ALICE, ROW);
    await store.create(BOB, { ...ROW, id: 5 });
    const batch = [5, 9046, 6, 7, 6].map((id) => ({ ...OTHER, id }));
    const result = await store.insertMany(ALICE, batch);
    assert.equal(result.inserted, 3);
    assert.deepEqual([...result.duplicateIds].sort((a, b) => a - b), [6, 9046]);
    assert.deepEqual(await store.get(ALICE, 9046), existing);
    for (const id of [5, 6, 7]) {
      assert.deepEqual(fieldsOf(await store.get(ALICE, id) ?? {}), { ...OTHER, id });
    }
    assert.equal(await store.count(ALICE), 4);
    assert.deepEqual(fieldsOf(await store.get(BOB, 5) ?? {}), { ...ROW, id: 5 });
    assert.deepEqual(await store.insertMany(ALICE, []), { inserted: 0, duplicateIds: [] });
  });

  test("create() and insertMany() keep only the dataset's fields, whatever else is passed", async (store) => {
    const extra = { notes: "x", user_id: BOB, created_at: new Date(0), revision: "mine" };
    await store.create(ALICE, { ...ROW, ...extra } as NewPatient);
    await store.insertMany(ALICE, [{ ...ROW, id: 2, ...extra } as PatientFields]);
    for (const id of [9046, 2]) {
      const got = await store.get(ALICE, id);
      assert.deepEqual(Object.keys(got ?? {}).sort(), RECORD_KEYS);
      assert.notEqual(got?.revision, "mine");
      assert.ok(got!.created_at!.getTime() > 0);
    }
    assert.equal(await store.count(BOB), 0);
  });

  test("a null bmi round-trips as null", async (store) => {
    const created = await store.create(ALICE, { ...ROW, bmi: null });
    assert.equal(created.bmi, null);
    assert.equal((await store.get(ALICE, 9046))?.bmi, null);
    assert.equal((await store.patch(ALICE, 9046, { bmi: 22.5 })).bmi, 22.5);
    assert.equal((await store.patch(ALICE, 9046, { bmi: null })).bmi, null);
    assert.equal((await store.get(ALICE, 9046))?.bmi, null);
  });

  test("a fractional age of 0.08 and a glucose of 228.69 round-trip exactly", async (store) => {
    const patient: NewPatient = { ...FIELDS, age: 0.08, avg_glucose_level: 228.69, bmi: 13.4 };
    const created = await store.create(ALICE, patient);
    await store.insertMany(ALICE, [{ ...patient, id: 2, age: 1.32 }]);
    const got = await store.get(ALICE, created.id);
    assert.equal(got?.age, 0.08);
    assert.equal(got?.avg_glucose_level, 228.69);
    assert.equal(got?.bmi, 13.4);
    assert.equal((await store.get(ALICE, 2))?.age, 1.32);
  });
}

/** Writes through one store, closes it, then reads and writes through a second one. */
async function assertSurvivesReopening(open: () => PatientStore): Promise<void> {
  const first = open();
  let created: PatientRecord;
  try {
    created = await first.create(ALICE, ROW);
    await first.create(BOB, { ...OTHER, id: 3 });
  } finally {
    await first.close();
  }
  const second = open();
  try {
    assert.deepEqual(await second.get(ALICE, 9046), created);
    assert.equal(await second.count(BOB), 1);
    assert.equal((await second.create(ALICE, FIELDS)).id, 9047);
  } finally {
    await second.close();
  }
}

Deno.test("[embedded] the records survive closing and reopening the store", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-patients-reopen-" });
  try {
    await assertSurvivesReopening(() => openSqlitePatientStore(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const server = mongoServer();
/** A fresh database on the MongoDB server of the environment. */
const mongoConfig = () => ({
  uri: server!.uri,
  database: uniqueName("spm_test"),
  collection: "Patient_data",
});

Deno.test({
  name: "[mongodb] the records survive closing and reopening the store",
  ignore: !server,
  async fn() {
    const config = mongoConfig();
    try {
      await assertSurvivesReopening(() => openMongoPatientStore(config));
    } finally {
      await dropMongoDatabase(config.uri, config.database);
    }
  },
});

Deno.test({
  name: "[mongodb] the store creates the unique index on {user_id: 1, id: 1}",
  ignore: !server,
  async fn() {
    const config = mongoConfig();
    const store = openMongoPatientStore(config);
    const client = new MongoClient(Deno.env.get("MONGO_URI")!, { serverSelectionTimeoutMS: 5000 });
    try {
      await store.create(ALICE, ROW);
      const indexes = await client.db(config.database).collection(config.collection).listIndexes()
        .toArray();
      const unique = indexes.filter((index) => index.unique === true);
      const keys = unique.map((index) => Object.entries(index.key));
      assert.deepEqual(keys, [[["user_id", 1], ["id", 1]]], JSON.stringify(indexes));
    } finally {
      await client.close();
      await store.close();
      await dropMongoDatabase(config.uri, config.database);
    }
  },
});
