/** The embedded store serves repeated lists from memory, and never a stale one. */
import assert from "node:assert/strict";
import { DEFAULT_LIST_QUERY } from "../lib/patient_query.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { ReadCache } from "../db/read_cache.ts";
import { samplePatient } from "./helpers/fixtures.ts";

Deno.test("the embedded store's list sees a write made through another connection to the file", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-cache-" });
  const app = openSqlitePatientStore(dir);
  const other = openSqlitePatientStore(dir); // another process on the same file, as far as SQLite knows
  try {
    await app.create(1, samplePatient({ id: 1 }));
    assert.equal((await app.list(1, DEFAULT_LIST_QUERY)).total, 1);
    assert.equal(await app.count(1), 1);
    await other.create(1, samplePatient({ id: 2 }));
    await other.patch(1, 1, { age: 30 });
    const page = await app.list(1, DEFAULT_LIST_QUERY);
    assert.deepEqual(page.items.map((p) => [p.id, p.age]), [[1, 30], [2, 67]]);
    assert.equal(await app.count(1), 2);
  } finally {
    await app.close();
    await other.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the embedded store's list sees every kind of write through its own connection", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "spm-cache-" });
  const store = openSqlitePatientStore(dir);
  const ids = async () => (await store.list(1, DEFAULT_LIST_QUERY)).items.map((p) => p.id);
  try {
    await store.create(1, samplePatient({ id: 1 }));
    assert.deepEqual(await ids(), [1]);
    await store.insertMany(1, [{ ...samplePatient(), id: 2 }]);
    assert.deepEqual(await ids(), [1, 2]);
    await store.replace(1, 2, samplePatient({ age: 3 }));
    assert.equal((await store.list(1, DEFAULT_LIST_QUERY)).items[1]?.age, 3);
    await store.patch(1, 2, { age: 4 });
    assert.equal((await store.list(1, DEFAULT_LIST_QUERY)).items[1]?.age, 4);
    await store.delete(1, 1);
    assert.deepEqual(await ids(), [2]);
    await store.deleteAllOf(1);
    assert.deepEqual(await ids(), []);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ReadCache keeps no value read while a write cleared it, and forgets the oldest", async () => {
  let version = 1;
  const cache = new ReadCache(() => version, 2);
  let loads = 0;
  const load = (value: string) => () => Promise.resolve((loads++, value));
  assert.equal(await cache.get("a", load("a1")), "a1");
  assert.equal(await cache.get("a", load("a2")), "a1", "served from memory");
  version = 2;
  assert.equal(await cache.get("a", load("a3")), "a3", "another connection wrote");
  const racing = cache.get("b", () => {
    cache.clear(); // a write lands while the read runs
    return Promise.resolve("stale");
  });
  assert.equal(await racing, "stale");
  assert.equal(await cache.get("b", load("b2")), "b2", "the raced value was not kept");
  await cache.get("c", load("c1"));
  await cache.get("d", load("d1")); // limit 2: "b" (least recently used) goes
  assert.equal(await cache.get("b", load("b3")), "b3");
  assert.equal(loads, 6);
});
