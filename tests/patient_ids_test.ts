/**
 * The id a new record gets, and the ids a write refuses, whatever the stored documents hold:
 * documents another program (the original app) wrote straight into the database, with the id as
 * text in any form, below 1 or a fraction, and records a second app instance writes meanwhile.
 * Run against every patient backend.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { MARK_MAX_AGE_MS } from "../db/patients/mongo/highest_ids.ts";
import { PatientIdTakenError } from "../lib/errors.ts";
import { MAX_PATIENT_ID, PATIENT_FIELDS, type PatientFields } from "../lib/patient_fields.ts";
import { csvLine } from "../lib/csv_writer.ts";
import { withApiApp } from "./helpers/api.ts";
import { type OpenedPatients, patientBackends } from "./helpers/backends.ts";
import { FIRST_ROW, samplePatient } from "./helpers/fixtures.ts";

const ALICE = 1;

/** A document of the original app: the dataset's first row under `id`, stored as given. */
const stored = (id: unknown) => ({ ...FIRST_ROW, id });

/** A complete record under `id`. */
const record = (id: number): PatientFields => ({ ...FIRST_ROW, id });

/** Alice's ids as read, in ascending order (MongoDB lists ids stored as text after numbers). */
async function idsOf(opened: OpenedPatients): Promise<unknown[]> {
  const page = await opened.value.list(ALICE, {
    filter: {},
    sort: { field: "id", direction: "asc" },
    page: 1,
    perPage: 100,
  });
  return page.items.map((item) => item.id).sort((a, b) => Number(a) - Number(b));
}

for (const backend of patientBackends()) {
  /** A test on a fresh store of this backend, dropped afterwards. */
  const test = (name: string, fn: (opened: OpenedPatients) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      try {
        await fn(opened);
      } finally {
        await opened.cleanup();
      }
    });

  test("stored ids below 1 never give a new record an id below 1", async (opened) => {
    await opened.insertRaw(ALICE, [stored(-5), stored(-2)]);
    const store = opened.value;
    assert.equal((await store.create(ALICE, samplePatient())).id, 1);
    assert.equal((await store.create(ALICE, samplePatient())).id, 2);
  });

  test("a fractional stored id gives the next whole id", async (opened) => {
    await opened.insertRaw(ALICE, [stored(7.5)]);
    assert.equal((await opened.value.create(ALICE, samplePatient())).id, 8);
  });

  test("at the largest id, the lowest free id passes ids stored as text or below 1", async (opened) => {
    await opened.insertRaw(ALICE, [
      stored(-5),
      stored(0),
      stored(1),
      stored("2"),
      stored(" 3"),
      stored("04"),
      stored(MAX_PATIENT_ID),
    ]);
    const store = opened.value;
    assert.equal((await store.create(ALICE, samplePatient())).id, 5);
    assert.equal((await store.create(ALICE, samplePatient())).id, 6);
    assert.equal(await store.highestId(ALICE), MAX_PATIENT_ID);
  });

  test("highestId() reads ids stored as text and leaves out what cannot be an id", async (opened) => {
    const store = opened.value;
    await opened.insertRaw(ALICE, [stored("12"), stored(5), stored("abc"), stored(2 ** 31)]);
    assert.equal(await store.highestId(ALICE + 1), 0, "none");
    assert.equal(await store.highestId(ALICE), 12);
    assert.equal((await store.create(ALICE, samplePatient())).id, 13);
    assert.equal(await store.highestId(ALICE), 13);
  });

  test("create() refuses an id stored as text, in any form", async (opened) => {
    await opened.insertRaw(ALICE, [stored("07"), stored(" 8 ")]);
    const store = opened.value;
    for (const id of [7, 8]) {
      await assert.rejects(store.create(ALICE, record(id)), PatientIdTakenError);
    }
    assert.equal((await store.create(ALICE, samplePatient())).id, 9);
    assert.deepEqual(await idsOf(opened), [7, 8, 9]);
  });

  test("insertMany() reports ids stored as text as taken and stores only the others", async (opened) => {
    await opened.insertRaw(ALICE, [stored("8"), stored(" 9")]);
    const result = await opened.value.insertMany(ALICE, [8, 9, 10].map(record));
    assert.equal(result.inserted, 1);
    assert.deepEqual([...result.duplicateIds].sort((a, b) => a - b), [8, 9]);
    assert.deepEqual(await idsOf(opened), [8, 9, 10]);
  });

  test("restore() refuses an id another program stored as text meanwhile", async (opened) => {
    const store = opened.value;
    await store.create(ALICE, record(5));
    await store.delete(ALICE, 5);
    const [copy] = (await store.listDeleted(ALICE, { page: 1, perPage: 10 })).items;
    await opened.insertRaw(ALICE, [stored("5")]);
    await assert.rejects(store.restore(ALICE, 5, copy!.revision), PatientIdTakenError);
    assert.deepEqual(await idsOf(opened), [5]);
  });

  test("after the highest record is deleted, a new record takes its id again", async (opened) => {
    const store = opened.value;
    for (let i = 0; i < 3; i++) await store.create(ALICE, samplePatient());
    await store.delete(ALICE, 3);
    assert.equal((await store.create(ALICE, samplePatient())).id, 3);
    assert.equal(await store.highestId(ALICE), 3);
  });

  test("records another program stores above ours are stepped over", async (opened) => {
    const store = opened.value;
    assert.equal((await store.create(ALICE, samplePatient())).id, 1);
    await opened.insertRaw(ALICE, [stored(2), stored(3)]);
    assert.equal((await store.create(ALICE, samplePatient())).id, 4);
  });

  test("two app instances creating at once never give one id twice", async (opened) => {
    const one = opened.value;
    await one.ping(); // the first instance has made its tables or indexes
    const two = opened.another();
    const created = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).create(ALICE, samplePatient())),
    );
    const ids = created.map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 16 }, (_, i) => i + 1));
    assert.equal((await two.create(ALICE, samplePatient())).id, 17);
  });

  const CSV = { "Content-Type": "text/csv" };
  /** A CSV of the dataset's first row once per id given ("" for none). */
  const csvOf = (ids: string[]) =>
    [
      csvLine(PATIENT_FIELDS),
      ...ids.map((id) =>
        csvLine(PATIENT_FIELDS.map((f) => (f === "id" ? id : String(FIRST_ROW[f] ?? "N/A"))))
      ),
    ].join("");

  Deno.test(
    `[${backend.name}] an import numbers rows without an id after the highest id, text ids included, never below 1`,
    () =>
      withApiApp(backend, async ({ user, newUser, opened }) => {
        const upload = async (who: typeof user, ids: string[]) => {
          const res = await who.api("POST", "/api/patient_data/import", csvOf(ids), CSV);
          assert.equal(res.status, 200, res.text);
          return res.body.assigned_ids;
        };
        await opened.insertRaw(user.id, [stored(-5), stored("9"), stored("10")]);
        assert.deepEqual(await upload(user, ["", ""]), [{ line: 2, id: 11 }, { line: 3, id: 12 }]);
        const other = await newUser();
        await opened.insertRaw(other.id, [stored(-5)]);
        assert.deepEqual(await upload(other, [""]), [{ line: 2, id: 1 }]);
      }),
  );
}

// The keyed `_id` exists only on MongoDB.
for (const backend of patientBackends().filter((b) => b.name === "mongodb")) {
  Deno.test(
    `[${backend.name}] new, imported and restored records are stored under the _id "<user>:<id>"; the original app's keep theirs`,
    async () => {
      const opened = await backend.open();
      const client = new MongoClient(Deno.env.get("MONGO_URI")!);
      try {
        const store = opened.value;
        await opened.insertRaw(ALICE, [stored(31112), stored("51676")]);
        await store.create(ALICE, samplePatient());
        await store.insertMany(ALICE, [record(60000)]);
        await store.delete(ALICE, 31112);
        const [copy] = (await store.listDeleted(ALICE, { page: 1, perPage: 10 })).items;
        await store.restore(ALICE, 31112, copy!.revision);
        const database = store.description.split("/").pop()!.split(".")[0]!;
        const docs = await client.db(database).collection("Patient_data")
          .find({}, { projection: { _id: 1, id: 1 } }).sort({ id: 1 }).toArray();
        const keys = docs.map((doc) => [doc.id, typeof doc._id === "string" ? doc._id : "other"]);
        assert.deepEqual(keys, [
          [31112, "1:31112"],
          [51677, "1:51677"],
          [60000, "1:60000"],
          ["51676", "other"],
        ]);
        assert.equal((await store.get(ALICE, 51676))?.id, 51676, "the original app's, by id");
        assert.equal((await store.get(ALICE, 51677))?.id, 51677);
      } finally {
        await client.close();
        await opened.cleanup();
      }
    },
  );

  Deno.test(
    `[${backend.name}] an id another program stores as text after the highest id was kept is seen once that is old`,
    async () => {
      const opened = await backend.open();
      const client = new MongoClient(Deno.env.get("MONGO_URI")!);
      try {
        const store = opened.value;
        assert.equal((await store.create(ALICE, samplePatient())).id, 1);
        await opened.insertRaw(ALICE, [stored("2")]);
        const database = store.description.split("/").pop()!.split(".")[0]!;
        const kept = client.db(database).collection("Patient_data_highest_ids");
        assert.deepEqual(
          await kept.findOne({ _id: ALICE as never }, { projection: { _id: 0, highest: 1 } }),
          { highest: 1 },
        );
        const old = new Date(Date.now() - MARK_MAX_AGE_MS - 1000);
        await kept.updateOne({ _id: ALICE as never }, { $set: { derived_at: old } });
        await assert.rejects(store.create(ALICE, record(2)), PatientIdTakenError);
        assert.equal((await store.create(ALICE, samplePatient())).id, 3);
        assert.deepEqual(await idsOf(opened), [1, 2, 3]);
      } finally {
        await client.close();
        await opened.cleanup();
      }
    },
  );
}
