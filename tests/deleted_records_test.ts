/**
 * Deletes move a record to "recently deleted": gone from every read at once, restorable (409
 * when its id was taken meanwhile), purged after the retention period; and a move that a crash
 * cut in half is finished or undone from the audit log's pending entry, never lost.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { newEntryId } from "../lib/audit.ts";
import { settlePending } from "../lib/audit_trail.ts";
import { newRevision, type PatientStore } from "../lib/patient_store.ts";
import { keepRecords } from "../lib/record_keeping.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { apiTest, samplePatient } from "./helpers/api.ts";
import { dropMongoDatabase, mongoServer, uniqueName } from "./helpers/backends.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const P = "/api/patient_data";
const DAY = 86_400_000;
const RETENTION = 30 * DAY;

apiTest(
  "a deleted record leaves the list, counts, reads, exports and group counts at once and is listed as recently deleted",
  async ({ user, patients }) => {
    for (const id of [1, 2, 3]) await user.api("POST", P, samplePatient({ id }));
    assert.equal((await user.api("DELETE", `${P}/2`)).status, 204);
    const list = await user.api("GET", P);
    assert.deepEqual(list.body.items.map((p: { id: number }) => p.id), [1, 3]);
    assert.equal(list.body.total, 2);
    assert.equal((await user.api("GET", `${P}/2`)).status, 404);
    assert.equal((await user.api("PATCH", `${P}/2`, { age: 5 })).status, 404);
    const csv = await user.api("GET", `${P}/export?format=csv`);
    assert.deepEqual(csv.text.trim().split("\r\n").slice(1).map((l) => l.split(",")[0]), [
      "1",
      "3",
    ]);
    const groups = await patients.countGroups(user.id, {}, ["gender"]);
    assert.deepEqual(groups.map((g) => g.total), [2], "what the statistics count");
    const deleted = await user.api("GET", `${P}/deleted`);
    assert.equal(deleted.status, 200);
    assert.deepEqual([deleted.body.total, deleted.body.page, deleted.body.per_page], [1, 1, 50]);
    assert.equal(deleted.body.items[0].id, 2);
    assert.equal(deleted.body.items[0].age, FIRST_ROW.age);
    assert.ok(Date.now() - Date.parse(deleted.body.items[0].deleted_at) < 60_000);
  },
);

apiTest(
  "restore brings the record back as it was, created_at kept; a second restore is 404",
  async ({ user, newUser }) => {
    const created = await user.api("POST", P, samplePatient({ id: 4, bmi: null }));
    await user.api("DELETE", `${P}/4`);
    const other = await newUser();
    assert.equal((await other.api("POST", `${P}/4/restore`)).status, 404, "not theirs");
    const restored = await user.api("POST", `${P}/4/restore`);
    assert.equal(restored.status, 200);
    const { updated_at: _u, ...kept } = created.body;
    assert.deepEqual({ ...restored.body, updated_at: undefined }, {
      ...kept,
      updated_at: undefined,
    });
    assert.notEqual(restored.headers.get("ETag"), created.headers.get("ETag"));
    assert.deepEqual((await user.api("GET", `${P}/4`)).body, restored.body);
    assert.equal((await user.api("GET", `${P}/deleted`)).body.total, 0);
    const again = await user.api("POST", `${P}/4/restore`);
    assert.equal(again.status, 404);
    assert.match(again.body.detail, /not among your recently deleted/);
  },
);

apiTest(
  "restore answers 409 when the id was taken meanwhile, and the deleted copy waits",
  async ({ user }) => {
    await user.api("POST", P, samplePatient({ id: 5, age: 50 }));
    await user.api("DELETE", `${P}/5`);
    await user.api("POST", P, samplePatient({ id: 5, age: 20 }));
    const refused = await user.api("POST", `${P}/5/restore`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, /already have a patient with ID 5/);
    assert.equal((await user.api("GET", `${P}/5`)).body.age, 20, "the new record is untouched");
    const waiting = await user.api("GET", `${P}/deleted`);
    assert.deepEqual(waiting.body.items.map((p: { age: number }) => p.age), [50]);
    await user.api("DELETE", `${P}/5`);
    assert.equal((await user.api("POST", `${P}/5/restore`)).body.age, 20, "the latest copy");
  },
);

apiTest(
  "the housekeeping purges deleted records only after the retention period, and logs each purge",
  async ({ user, patients }) => {
    for (const id of [1, 2]) await user.api("POST", P, samplePatient({ id }));
    await user.api("DELETE", `${P}/1`);
    await user.api("DELETE", `${P}/2`);
    const now = Date.now();
    assert.deepEqual(await keepRecords(patients, new Date(now + 29 * DAY), RETENTION), {
      purged: 0,
      settled: 0,
    });
    assert.equal((await user.api("GET", `${P}/deleted`)).body.total, 2);
    const later = await keepRecords(patients, new Date(now + 31 * DAY), RETENTION);
    assert.equal(later.purged, 2);
    assert.equal((await user.api("GET", `${P}/deleted`)).body.total, 0);
    assert.equal((await user.api("POST", `${P}/1/restore`)).status, 404);
    const history = await user.api("GET", `${P}/1/history`);
    assert.deepEqual(history.body.map((e: { action: string }) => e.action), [
      "purge",
      "delete",
      "create",
    ]);
    assert.equal(history.body[0].user_id, null, "done by the app, not by a user");
  },
);

/** A pending entry as a request that died after writing it would leave it, an hour ago. */
async function pendingEntry(
  store: PatientStore,
  userId: number,
  entry: { action: "create" | "delete" | "restore"; before: string | null; after: string },
): Promise<string> {
  const at = new Date(Date.now() - 60 * 60_000);
  const id = newEntryId(at);
  await store.audit.begin({
    id,
    at,
    owner_id: userId,
    user_id: userId,
    action: entry.action,
    patient_id: entry.action === "create" ? null : 1,
    changes: {},
    reason: null,
    client: null,
    request_id: null,
    details: null,
    status: "pending",
    revision_before: entry.before,
    revision_after: entry.after,
  });
  return id;
}

async function statusOf(store: PatientStore, id: string): Promise<string | undefined> {
  return (await store.audit.get(id))?.status;
}

apiTest(
  "entries left pending by a crash are settled from the revisions the changes wrote",
  async ({ patients: store }) => {
    const made = newRevision();
    const created = await store.create(9, samplePatient({ id: 1 }), made);
    const madeEntry = await pendingEntry(store, 9, { action: "create", before: null, after: made });
    const lostEntry = await pendingEntry(store, 9, {
      action: "create",
      before: null,
      after: newRevision(),
    });
    const moved = newRevision();
    await store.delete(9, 1, created.revision, { next: moved });
    const deleteEntry = await pendingEntry(store, 9, {
      action: "delete",
      before: created.revision,
      after: moved,
    });
    assert.equal(await settlePending(store, new Date()), 3);
    assert.equal(await statusOf(store, madeEntry), "done");
    assert.equal(await statusOf(store, lostEntry), "failed");
    assert.equal(await statusOf(store, deleteEntry), "done");
    const history = await store.audit.history(9, 1);
    assert.deepEqual(history.map((e) => e.action), ["delete", "create"], "the create got its id");
    assert.equal(await settlePending(store, new Date()), 0, "settled once");
  },
);

const mongo = mongoServer();

Deno.test({
  name:
    "[mongodb] a delete cut between its copy and its removal is undone, a restore cut likewise finished",
  ignore: mongo === null,
  async fn() {
    const database = uniqueName("spm_test");
    const store = openMongoPatientStore({ uri: mongo!.uri, database, collection: "Patient_data" });
    const client = new MongoClient(mongo!.uri);
    try {
      const deleted = client.db(database).collection("Patient_data_deleted");
      const live = client.db(database).collection("Patient_data");
      // A delete that died after its first step: the copy exists, the record is still live.
      const record = await store.create(9, samplePatient({ id: 1 }));
      const copy = newRevision();
      const { _id, ...fields } = (await live.findOne({ user_id: 9, id: 1 }))!;
      await deleted.insertOne({
        ...fields,
        revision: copy,
        from_revision: record.revision,
        deleted_at: new Date(),
        deleted_by: 9,
      });
      const cutDelete = await pendingEntry(store, 9, {
        action: "delete",
        before: record.revision,
        after: copy,
      });
      // A restore that died after its first step: the record is live again, the copy remains.
      const second = await store.create(9, samplePatient({ id: 2 }));
      const secondCopy = newRevision();
      await store.delete(9, 2, second.revision, { next: secondCopy });
      const back = newRevision();
      const { _id: _c, from_revision: _f, deleted_at: _a, deleted_by: _b, ...copied } =
        (await deleted.findOne({ user_id: 9, revision: secondCopy }))!;
      await live.insertOne({ ...copied, revision: back });
      const cutRestore = await pendingEntry(store, 9, {
        action: "restore",
        before: secondCopy,
        after: back,
      });

      assert.equal(await settlePending(store, new Date()), 2);
      assert.equal(await statusOf(store, cutDelete), "failed");
      assert.equal(await statusOf(store, cutRestore), "done");
      assert.deepEqual((await store.listDeleted(9, { page: 1, perPage: 10 })).items, []);
      assert.equal((await store.get(9, 1))?.revision, record.revision, "still live, unchanged");
      assert.equal((await store.get(9, 2))?.revision, back);
    } finally {
      await client.close();
      await store.close();
      await dropMongoDatabase(mongo!.uri, database);
    }
  },
});
