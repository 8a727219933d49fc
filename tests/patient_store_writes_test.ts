/**
 * Every write of the patient store is seen by the reads after it, on every backend: the embedded
 * store forgets its cached lists, counts and totals, and a live write moves the data version that
 * summaries are kept under. The writes are enumerated from `lib/patient_store.ts`, so a write
 * added to the store without a case here fails.
 */
import assert from "node:assert/strict";
import type { PatientFields } from "../lib/patient_fields.ts";
import { DEFAULT_LIST_QUERY, type PatientFilter } from "../lib/patient_query.ts";
import {
  LIVE_WRITES,
  type PatientStore,
  STORE_WRITES,
  type StoreWrite,
} from "../lib/patient_store.ts";
import { patientBackends } from "./helpers/backends.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

/** The dataset's first row (a stroke at 67) under another id, with overrides. */
const row = (id: number, overrides: Partial<PatientFields> = {}): PatientFields => ({
  ...FIRST_ROW,
  id,
  ...overrides,
});

const WITH_STROKE: PatientFilter = { stroke: 1 };

/** What a user sees through the reads the embedded store caches, and the deleted list. */
async function view(store: PatientStore, userId: number) {
  const page = await store.list(userId, DEFAULT_LIST_QUERY);
  const strokes = await store.list(userId, { ...DEFAULT_LIST_QUERY, filter: WITH_STROKE });
  return {
    records: page.items.map(({ id, age, stroke }) => ({ id, age, stroke })),
    total: page.total,
    count: await store.count(userId),
    withStroke: await store.count(userId, WITH_STROKE),
    strokeIds: strokes.items.map((p) => p.id),
    strokeTotal: strokes.total,
    deleted: (await store.listDeleted(userId, { page: 1, perPage: 50 })).items.map((p) => p.id),
    version: await store.dataVersion(userId),
  };
}

interface WriteCase {
  /** Records the user has before the write; the revision of a deleted copy when one is needed. */
  seed(store: PatientStore, userId: number): Promise<string | void>;
  write(store: PatientStore, userId: number, revision: string | void): Promise<unknown>;
  /** The live records (id, age, stroke) and deleted ids after the write. */
  after: { records: [number, number, number][]; deleted: number[] };
}

/** Stores records 1 and 2, deletes record 1 and gives its deleted copy's revision. */
async function withDeletedCopy(store: PatientStore, userId: number): Promise<string> {
  await store.insertMany(userId, [row(1), row(2)]);
  await store.delete(userId, 1);
  return (await store.getDeleted(userId, 1))!.revision;
}

/** One case per write: the compiler asks for a new one when a write is added to the store. */
const CASES: Record<StoreWrite, WriteCase> = {
  create: {
    seed: (store, userId) => store.create(userId, row(1)).then(() => {}),
    write: (store, userId) => store.create(userId, row(2, { stroke: 0 })),
    after: { records: [[1, 67, 1], [2, 67, 0]], deleted: [] },
  },
  insertMany: {
    seed: (store, userId) => store.create(userId, row(1)).then(() => {}),
    write: (store, userId) => store.insertMany(userId, [row(2), row(3, { stroke: 0 })]),
    after: { records: [[1, 67, 1], [2, 67, 1], [3, 67, 0]], deleted: [] },
  },
  updateMany: {
    seed: (store, userId) => store.create(userId, row(1)).then(() => {}),
    write: (store, userId) => store.updateMany(userId, [row(1, { age: 50, stroke: 0 })]),
    after: { records: [[1, 50, 0]], deleted: [] },
  },
  replace: {
    seed: (store, userId) => store.create(userId, row(1)).then(() => {}),
    write: (store, userId) => {
      const { id: _, ...fields } = row(1, { age: 40, stroke: 0 });
      return store.replace(userId, 1, fields);
    },
    after: { records: [[1, 40, 0]], deleted: [] },
  },
  patch: {
    seed: (store, userId) => store.create(userId, row(1)).then(() => {}),
    write: (store, userId) => store.patch(userId, 1, { stroke: 0 }),
    after: { records: [[1, 67, 0]], deleted: [] },
  },
  delete: {
    seed: (store, userId) => store.insertMany(userId, [row(1), row(2)]).then(() => {}),
    write: (store, userId) => store.delete(userId, 1),
    after: { records: [[2, 67, 1]], deleted: [1] },
  },
  restore: {
    seed: withDeletedCopy,
    write: (store, userId, revision) => store.restore(userId, 1, revision!),
    after: { records: [[1, 67, 1], [2, 67, 1]], deleted: [] },
  },
  purge: {
    seed: withDeletedCopy,
    write: (store, userId, revision) => store.purge(userId, revision!),
    after: { records: [[2, 67, 1]], deleted: [] },
  },
  deleteAllOf: {
    seed: withDeletedCopy,
    write: (store, userId) => store.deleteAllOf(userId),
    after: { records: [], deleted: [] },
  },
};

Deno.test("every write of the patient store has a case here", () => {
  assert.deepEqual(Object.keys(CASES).sort(), [...STORE_WRITES].sort());
});

for (const backend of patientBackends({ sqlPlans: true })) {
  Deno.test(`[${backend.name}] the reads after each write of the store see it`, async (t) => {
    const opened = await backend.open();
    const fresh = opened.another(); // a store that never read these users' records before
    try {
      for (const [index, name] of STORE_WRITES.entries()) {
        await t.step(name, async () => {
          const userId = index + 1;
          const { seed, write, after } = CASES[name];
          const revision = await seed(opened.value, userId);
          const before = await view(opened.value, userId); // fills the caches
          await write(opened.value, userId, revision);
          const seen = await view(opened.value, userId);
          assert.deepEqual(seen, await view(fresh, userId));
          assert.deepEqual(
            seen.records,
            after.records.map(([id, age, stroke]) => ({ id, age, stroke })),
          );
          assert.deepEqual(seen.deleted, after.deleted);
          const live = (LIVE_WRITES as readonly string[]).includes(name);
          assert.equal(
            seen.version !== before.version,
            live,
            "a live write moves the data version",
          );
        });
      }
    } finally {
      await opened.cleanup();
    }
  });
}
