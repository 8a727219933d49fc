/**
 * The embedded store's list index (`db/patients/sqlite/list_index.ts`): a big registry's lists,
 * read from the index built in a worker, are the lists SQL gives for any filter, sort and page;
 * a write — by this store or by another process on the same file — shows at once; a registry
 * the index cannot hold (an id the original app stored as text) is listed through SQL.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  PATIENT_FIELDS,
  type PatientField,
} from "../lib/patient_fields.ts";
import type { PatientFilter, PatientListQuery } from "../lib/patient_query.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { loadSeedDistribution, syntheticPatients } from "../scripts/synthetic_patients.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const BIG = 1;
const OTHER = 2;
const ODD = 3;
const TEXT_ID = 4;

/** Ages at and between the records' (fractions included) and beyond them. */
const AGE_BOUNDS = [0, 0.08, 0.5, 1, 12.5, 18, 30, 44.5, 45, 60, 79.99, 82, 120];

/** Each filter's values. */
const FILTER_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  ...Object.fromEntries(
    CATEGORICAL_FIELDS.map((f) => [f, fc.constantFrom(...CATEGORICAL_VALUES[f])]),
  ),
  age_min: fc.constantFrom(...AGE_BOUNDS),
  age_max: fc.constantFrom(...AGE_BOUNDS),
  q: fc.integer({ min: 1, max: 2_100 }),
  ids: fc.uniqueArray(fc.integer({ min: 1, max: 2_100 }), { maxLength: 40 })
    .map((ids) => ids.sort((a, b) => a - b)),
};

/** Up to three filters at once, as lists are asked for (more rarely match anything). */
const filterArbitrary = fc.subarray(Object.keys(FILTER_VALUES), { maxLength: 3 })
  .chain((names) =>
    fc.record(Object.fromEntries(names.map((name) => [name, FILTER_VALUES[name]!])))
  )
  .map((f) => f as PatientFilter)
  .filter((f) => f.age_min === undefined || f.age_max === undefined || f.age_min <= f.age_max);

const queryArbitrary: fc.Arbitrary<PatientListQuery> = fc.record({
  filter: filterArbitrary,
  sort: fc.record({
    field: fc.constantFrom(...PATIENT_FIELDS),
    direction: fc.constantFrom("asc" as const, "desc" as const),
  }),
  page: fc.integer({ min: 1, max: 30 }),
  perPage: fc.constantFrom(1, 7, 50, 200),
});

/** What a list shows: the ids in order and the total. */
async function shown(store: PatientStore, userId: number, query: PatientListQuery) {
  const page = await store.list(userId, query);
  return { ids: page.items.map((r) => r.id), total: page.total };
}

interface Setup {
  dir: string;
  /** Lists of every registry through the index once built (quiet: 60 s after a write). */
  indexed: PatientStore;
  /** The same file, lists always planned in SQL. */
  sql: PatientStore;
  /** Index parts made, as `user part`. */
  built: string[];
  close(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "spm-list-index-" });
  const built: string[] = [];
  const indexed = openSqlitePatientStore(dir, {
    snapshotMaxRows: 0,
    listIndexMinRows: 0,
    listIndexQuietMs: 60_000,
    listIndexBuilt: (userId, part) => built.push(`${userId} ${part}`),
  });
  const sql = openSqlitePatientStore(dir, { snapshotMaxRows: 0 });
  const distribution = await loadSeedDistribution();
  await sql.insertMany(BIG, [...syntheticPatients(distribution, { firstId: 1, count: 2_000 })]);
  await sql.insertMany(OTHER, [...syntheticPatients(distribution, { firstId: 1, count: 300 })]);
  return {
    dir,
    indexed,
    sql,
    built,
    async close() {
      await indexed.close();
      await sql.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Rows written straight into the file, as the original app's documents may hold them. */
function insertRows(dir: string, userId: number, rows: Record<string, unknown>[]) {
  const database = new DatabaseSync(join(dir, "patients.db"));
  try {
    for (const row of rows) {
      const columns = ["user_id", ...Object.keys(row)];
      database.prepare(
        `INSERT INTO patients (${columns.join(", ")}) VALUES (${
          columns.map(() => "?").join(", ")
        })`,
      ).run(userId, ...Object.values(row) as (string | number | null)[]);
    }
  } finally {
    database.close();
  }
}

Deno.test("a big registry's lists from its index are the lists SQL plans give, for any query", async () => {
  const s = await setup();
  try {
    await fc.assert(
      fc.asyncProperty(queryArbitrary, async (query) => {
        assert.deepEqual(await shown(s.indexed, BIG, query), await shown(s.sql, BIG, query));
        assert.equal(
          await s.indexed.count(BIG, query.filter),
          await s.sql.count(BIG, query.filter),
        );
      }),
      { numRuns: 300 },
    );
    // The lists were the index's: it was built once, with an order per field sorted on.
    assert.equal(s.built.filter((b) => b === `${BIG} columns`).length, 1);
    assert.ok(s.built.includes(`${BIG} bmi`) && s.built.includes(`${BIG} work_type`));
    // The other registry's records never appear.
    const all = await s.indexed.list(OTHER, {
      filter: {},
      sort: { field: "id", direction: "desc" },
      page: 1,
      perPage: 500,
    });
    assert.equal(all.total, 300);
    assert.deepEqual(all.items.map((r) => r.id).slice(0, 3), [300, 299, 298]);
  } finally {
    await s.close();
  }
});

Deno.test("a write shows in the next list at once, whether this store or another process made it", async () => {
  const s = await setup();
  const byAge: PatientListQuery = {
    filter: { gender: "Female" },
    sort: { field: "age", direction: "desc" },
    page: 1,
    perPage: 5,
  };
  try {
    const before = await shown(s.indexed, BIG, byAge);
    assert.ok(s.built.includes(`${BIG} age`));
    // This store makes the oldest woman a man: the index is of an older version now.
    const oldest = before.ids[0]!;
    await s.indexed.patch(BIG, oldest, { gender: "Male" });
    const afterOwn = await shown(s.indexed, BIG, byAge);
    assert.equal(afterOwn.total, before.total - 1);
    assert.ok(!afterOwn.ids.includes(oldest));
    assert.deepEqual(afterOwn, await shown(s.sql, BIG, byAge));
    // Another connection (another process on the same file) adds the oldest patient of all.
    await s.sql.create(BIG, samplePatient({ id: 5_000, gender: "Female", age: 119 }));
    const afterOther = await shown(s.indexed, BIG, byAge);
    assert.equal(afterOther.ids[0], 5_000);
    assert.equal(afterOther.total, before.total);
    assert.equal(await s.indexed.count(BIG, { gender: "Female" }), before.total);
    // Within the quiet minute after the writes no new index was built: SQL answered.
    assert.equal(s.built.filter((b) => b === `${BIG} columns`).length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("once the data has stood still, the index is built again and lists from it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spm-list-index-" });
  const built: string[] = [];
  const store = openSqlitePatientStore(dir, {
    snapshotMaxRows: 0,
    listIndexMinRows: 0,
    listIndexQuietMs: 50,
    listIndexBuilt: (userId, part) => built.push(`${userId} ${part}`),
  });
  const sql = openSqlitePatientStore(dir, { snapshotMaxRows: 0 });
  const query: PatientListQuery = {
    filter: { stroke: 1 },
    sort: { field: "bmi", direction: "asc" },
    page: 2,
    perPage: 10,
  };
  try {
    const distribution = await loadSeedDistribution();
    await store.insertMany(BIG, [...syntheticPatients(distribution, { firstId: 1, count: 800 })]);
    await shown(store, BIG, query);
    assert.deepEqual(built, [`${BIG} columns`, `${BIG} bmi`]);
    await store.delete(BIG, (await store.list(BIG, query)).items[0]!.id);
    // The first list after the write sees the change: SQL answers, and the quiet time starts.
    assert.deepEqual(await shown(store, BIG, query), await shown(sql, BIG, query));
    assert.equal(built.length, 2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // The next, after the quiet time, waits for the new index (and its order).
    const next = { ...query, page: 3 };
    assert.deepEqual(await shown(store, BIG, next), await shown(sql, BIG, next));
    assert.deepEqual(built.slice(2), [`${BIG} columns`, `${BIG} bmi`]);
  } finally {
    await store.close();
    await sql.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("values the original app stored, and ids it stored as text, list as SQL lists them", async () => {
  const s = await setup();
  const odd: Record<string, unknown>[] = [
    { id: 1, gender: "male", age: "sixty", hypertension: "yes", stroke: 1, revision: "r1" },
    { id: 2, gender: "Female", age: 45, hypertension: 1, work_type: null, revision: "r2" },
    { id: 3, gender: null, age: 0.5, smoking_status: "Unknown", bmi: "N/A", revision: "r3" },
    { id: 4, gender: "Other", age: 130, ever_married: "Yes", stroke: "1", revision: "r4" },
  ];
  try {
    const distribution = await loadSeedDistribution();
    const rest = [...syntheticPatients(distribution, { firstId: 5, count: 200 })];
    await s.sql.insertMany(ODD, rest);
    insertRows(s.dir, ODD, odd);
    await s.sql.insertMany(TEXT_ID, rest);
    insertRows(s.dir, TEXT_ID, [{ ...odd[1], id: "31112a" }]);
    for (const userId of [ODD, TEXT_ID]) {
      for (const field of ["id", "gender", "age", "hypertension", "stroke", "bmi"] as const) {
        for (const filter of [{}, { age_min: 0.5 }, { hypertension: 1 }, { gender: "Female" }]) {
          const query: PatientListQuery = {
            filter: filter as PatientFilter,
            sort: { field: field as PatientField, direction: "asc" },
            page: 1,
            perPage: 20,
          };
          assert.deepEqual(
            await shown(s.indexed, userId, query),
            await shown(s.sql, userId, query),
            `${userId} ${field} ${JSON.stringify(filter)}`,
          );
        }
      }
    }
    assert.ok(s.built.includes(`${ODD} columns`));
    assert.ok(!s.built.some((b) => b.startsWith(`${TEXT_ID} `)));
  } finally {
    await s.close();
  }
});
