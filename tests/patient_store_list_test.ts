/** Contract suite for list() and count() on the real dataset, checked against plain TypeScript. */
import assert from "node:assert/strict";
import type { PatientFilter, PatientListQuery, PatientSort } from "../lib/patient_query.ts";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  PATIENT_FIELDS,
  type PatientFields,
} from "../lib/patient_fields.ts";
import { patientBackends } from "./helpers/backends.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";

const USER = 1;
const OTHER_USER = 2;
const NO_DATA = skipWithoutData(DATASET);

/** Does a patient pass the filter, as the spec describes it? */
function matches(patient: PatientFields, filter: PatientFilter): boolean {
  for (const field of CATEGORICAL_FIELDS) {
    if (filter[field] !== undefined && patient[field] !== filter[field]) return false;
  }
  if (filter.q !== undefined && patient.id !== filter.q) return false;
  if (filter.age_min !== undefined && patient.age < filter.age_min) return false;
  if (filter.age_max !== undefined && patient.age > filter.age_max) return false;
  return true;
}

/** The list's order: null first, ties broken by id in the same direction. */
function order(sort: PatientSort) {
  const sign = sort.direction === "asc" ? 1 : -1;
  return (a: PatientFields, b: PatientFields): number => {
    const x = a[sort.field];
    const y = b[sort.field];
    const byField = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    return sign * (byField || a.id - b.id);
  };
}

/** The page the spec expects: ids of the matching patients, and how many match. */
function expected(patients: PatientFields[], query: PatientListQuery) {
  const all = patients.filter((p) => matches(p, query.filter)).sort(order(query.sort));
  const start = (query.page - 1) * query.perPage;
  return { total: all.length, ids: all.slice(start, start + query.perPage).map((p) => p.id) };
}

function fieldsOf(record: object): PatientFields {
  const r = record as Record<string, unknown>;
  return Object.fromEntries(PATIENT_FIELDS.map((f) => [f, r[f]])) as unknown as PatientFields;
}

const BY_ID: PatientSort = { field: "id", direction: "asc" };

/** A few records of the other user: one shares an id with user 1's, one is their own. */
const OTHER_USERS: PatientFields[] = [
  {
    id: 9046,
    gender: "Other",
    age: 1,
    hypertension: 0,
    heart_disease: 0,
    ever_married: "No",
    work_type: "children",
    Residence_type: "Rural",
    avg_glucose_level: 90,
    bmi: null,
    smoking_status: "Unknown",
    stroke: 0,
  },
];
OTHER_USERS.push({ ...OTHER_USERS[0]!, id: 56156, gender: "Male" });
OTHER_USERS.push({ ...OTHER_USERS[0]!, id: 2 ** 31 - 1, stroke: 1 });

/** Each backend's answers by query, to compare the backends with each other. */
const answers = new Map<string, Map<string, unknown>>();

for (const backend of patientBackends({ sqlPlans: true })) {
  Deno.test({
    name: `[${backend.name}] list() and count() filter, sort and page the dataset as the spec says`,
    ignore: NO_DATA,
    async fn(t) {
      const { patients } = loadDataset()!;
      const seen = new Map<string, unknown>();
      answers.set(backend.name, seen);
      const { value: store, cleanup } = await backend.open();

      /** Checks one page and its total against the dataset, for `user`'s records. */
      async function check(query: Partial<PatientListQuery>, rows = patients, user = USER) {
        const full = { filter: {}, sort: BY_ID, page: 1, perPage: 20, ...query };
        const page = await store.list(user, full);
        const actual = { total: page.total, ids: page.items.map((p) => p.id) };
        const shown = `user ${user} ${JSON.stringify(full)}`;
        assert.deepEqual(actual, expected(rows, full), shown);
        seen.set(shown, actual);
        return { ...actual, items: page.items };
      }

      try {
        assert.deepEqual(await store.insertMany(USER, patients), {
          inserted: 5110,
          duplicateIds: [],
        });
        const otherInsert = await store.insertMany(OTHER_USER, OTHER_USERS);
        assert.equal(otherInsert.inserted, OTHER_USERS.length);

        await t.step("every dataset patient is stored and listed with its values", async () => {
          assert.equal(await store.count(USER), 5110);
          const all = await check({ perPage: 6000 });
          const byId = [...patients].sort(order(BY_ID));
          assert.deepEqual(all.items.map(fieldsOf), byId);
        });

        await t.step("each categorical filter alone matches the dataset", async () => {
          for (const field of CATEGORICAL_FIELDS) {
            for (const value of CATEGORICAL_VALUES[field]) {
              await check({ filter: { [field]: value } });
            }
          }
        });

        await t.step("categorical filters combine with AND", async () => {
          const combos: PatientFilter[] = [
            { gender: "Female", stroke: 1 },
            { gender: "Female", ever_married: "Yes", smoking_status: "smokes", stroke: 1 },
            { work_type: "Self-employed", Residence_type: "Rural", hypertension: 1 },
            { heart_disease: 1, hypertension: 1, ever_married: "Yes", Residence_type: "Urban" },
            { work_type: "children", smoking_status: "Unknown", stroke: 0, gender: "Male" },
            { gender: "Other", stroke: 1 },
          ];
          for (const filter of combos) await check({ filter });
          assert.equal((await check({ filter: combos.at(-1)! })).total, 0);
        });

        await t.step("count() gives the dataset's totals, filtered or not", async () => {
          const filters: PatientFilter[] = [
            {},
            ...CATEGORICAL_FIELDS.map((field) => ({ [field]: CATEGORICAL_VALUES[field][0] })),
            { gender: "Female", ever_married: "Yes", smoking_status: "smokes", stroke: 1 },
            { age_min: 67, age_max: 80, hypertension: 1 },
            { q: 9046 },
            { q: 1 },
          ];
          for (const filter of filters) {
            const total = patients.filter((p) => matches(p, filter)).length;
            assert.equal(await store.count(USER, filter), total, JSON.stringify(filter));
            seen.set(`count ${JSON.stringify(filter)}`, total);
          }
          assert.equal(await store.count(OTHER_USER), OTHER_USERS.length);
        });

        await t.step("age_min and age_max are inclusive bounds", async () => {
          const exactly67 = patients.filter((p) => p.age === 67).length;
          assert.ok(exactly67 > 0);
          assert.equal((await check({ filter: { age_min: 67, age_max: 67 } })).total, exactly67);
          assert.equal((await check({ filter: { age_min: 0.08, age_max: 0.08 } })).total, 2);
          const ranges: PatientFilter[] = [
            { age_min: 67 },
            { age_max: 0.08 },
            { age_min: 80, age_max: 82, stroke: 1 },
            { age_min: 18, age_max: 39.99, gender: "Female", smoking_status: "smokes" },
            { age_max: 82 },
            { age_min: 82 },
          ];
          for (const filter of ranges) await check({ filter });
          assert.equal((await check({ filter: { age_min: 50, age_max: 40 } })).total, 0);
        });

        await t.step("q matches exactly one id", async () => {
          for (const id of [9046, 56156, 67, 72940]) {
            const page = await check({ filter: { q: id } });
            assert.deepEqual(page.ids, [id]);
          }
          assert.equal((await check({ filter: { q: 1 } })).total, 0);
          assert.equal((await check({ filter: { q: 9046, gender: "Female" } })).total, 0);
          assert.equal((await check({ filter: { q: 9046, age_min: 67, stroke: 1 } })).total, 1);
        });

        await t.step(
          "sorting by every field, both ways, breaks ties by id in the same direction",
          async () => {
            for (const field of PATIENT_FIELDS) {
              for (const direction of ["asc", "desc"] as const) {
                await check({ sort: { field, direction } });
              }
            }
            const sort: PatientSort = { field: "avg_glucose_level", direction: "desc" };
            await check({ sort, filter: { smoking_status: "smokes", stroke: 1 }, perPage: 7 });
          },
        );

        await t.step("a null bmi sorts first ascending and last descending", async () => {
          const unknown = patients.filter((p) => p.bmi === null).length;
          assert.equal(unknown, 201);
          const first = await check({ sort: { field: "bmi", direction: "asc" }, perPage: 201 });
          assert.ok(first.items.every((p) => p.bmi === null));
          const last = await check({
            sort: { field: "bmi", direction: "desc" },
            page: 2,
            perPage: 5110 - 201,
          });
          assert.ok(last.items.every((p) => p.bmi === null) && last.items.length === 201);
          const top = await check({ sort: { field: "bmi", direction: "desc" }, perPage: 1 });
          assert.equal(top.items[0]?.bmi, Math.max(...patients.map((p) => p.bmi ?? 0)));
        });

        await t.step(
          "pages are slices of the whole list, and past the end a page is empty",
          async () => {
            const byId = patients.map((p) => p.id).sort((a, b) => a - b);
            assert.deepEqual((await check({ page: 3, perPage: 50 })).ids, byId.slice(100, 150));
            assert.equal((await check({ page: 103, perPage: 50 })).ids.length, 10);
            assert.deepEqual(await check({ page: 104, perPage: 50 }), {
              total: 5110,
              ids: [],
              items: [],
            });
            assert.deepEqual((await check({ page: 1000, perPage: 500 })).ids, []);
            await check({ filter: { stroke: 1 }, page: 5, perPage: 11 });
            await check({ filter: { stroke: 1 }, page: 100, perPage: 11 });
          },
        );

        await t.step("one user never sees the other's records", async () => {
          assert.equal(await store.count(OTHER_USER), OTHER_USERS.length);
          const theirs = await check({ perPage: 50 }, OTHER_USERS, OTHER_USER);
          assert.deepEqual(theirs.items.map(fieldsOf), OTHER_USERS);
          await check({ filter: { q: 9046 } }, OTHER_USERS, OTHER_USER);
          assert.equal((await check({ filter: { q: 67 } }, OTHER_USERS, OTHER_USER)).total, 0);
          await check({ filter: { gender: "Other" } }, OTHER_USERS, OTHER_USER);
          await check({ sort: { field: "age", direction: "desc" } }, OTHER_USERS, OTHER_USER);
          const mine = await check({ filter: { q: 9046 } });
          assert.equal(mine.items[0]?.age, 67);
          assert.equal((await check({ filter: { q: 2 ** 31 - 1 } })).total, 0);
          assert.equal((await check({ filter: { gender: "Other" } })).total, 1);
          assert.equal(await store.count(3), 0);
          assert.deepEqual(await store.list(3, { filter: {}, sort: BY_ID, page: 1, perPage: 50 }), {
            items: [],
            total: 0,
          });
        });
      } finally {
        await cleanup();
      }
    },
  });
}

Deno.test({
  name: "the embedded and mongodb backends give identical list results",
  ignore: NO_DATA || patientBackends().length < 2,
  fn() {
    const [embedded, mongodb] = [answers.get("embedded"), answers.get("mongodb")];
    assert.ok(embedded && mongodb, "both backend suites must have run first");
    assert.ok(embedded.size > 50);
    assert.deepEqual(mongodb, embedded);
  },
});
