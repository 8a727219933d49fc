/** GET /api/patient_data: pagination, sorting, `q` and the field filters, and 400 for a bad query. */
import assert from "node:assert/strict";
import type { PatientFields } from "../lib/patient_fields.ts";
import { apiTest, errorFields, withApiApp } from "./helpers/api.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { patientBackends } from "./helpers/backends.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";

const URL = "/api/patient_data";
const NO_DATA = skipWithoutData(DATASET);

type Row = PatientFields & Record<string, unknown>;

/** The page the spec expects for `query`, computed from the dataset in plain TypeScript. */
function expected(patients: PatientFields[], query: string) {
  const params = new URLSearchParams(query);
  let rows = patients as Row[];
  for (const [name, value] of params) {
    if (name === "age_min") rows = rows.filter((p) => p.age >= Number(value));
    else if (name === "age_max") rows = rows.filter((p) => p.age <= Number(value));
    else if (name === "q") rows = rows.filter((p) => p.id === Number(value));
    else if (!["page", "per_page", "sort"].includes(name)) {
      rows = rows.filter((p) => String(p[name]) === value);
    }
  }
  const sort = params.get("sort") ?? "id";
  const field = sort.replace(/^-/, "");
  const sign = sort.startsWith("-") ? -1 : 1;
  rows = [...rows].sort((a, b) => {
    const [x, y] = [a[field] as number | string | null, b[field] as number | string | null];
    const byField = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
    return sign * (byField || a.id - b.id);
  });
  const page = Number(params.get("page") ?? 1);
  const perPage = Number(params.get("per_page") ?? 50);
  const ids = rows.slice((page - 1) * perPage, page * perPage).map((p) => p.id);
  return { total: rows.length, page, per_page: perPage, ids };
}

/**
 * Views of the dataset, each compared with the expectation above. Every backend answers the
 * first list; the second, which takes FerretDB about a second per query on 5,110 records,
 * runs on the embedded store only (the store suite covers the rest on MongoDB).
 */
const QUERIES = [
  "",
  "per_page=500&page=11",
  "sort=-bmi&page=3&per_page=20",
  "sort=gender&page=40",
  "smoking_status=never+smoked&Residence_type=Rural&per_page=7&page=9",
  "age_min=40&age_max=59.9&gender=Male&stroke=1&sort=-avg_glucose_level",
  "work_type=children&hypertension=0&heart_disease=0&ever_married=No&sort=-age",
  "q=9046&gender=Male",
];
const MORE_QUERIES = [
  "page=3&per_page=20",
  "per_page=500&page=12",
  "per_page=1&page=5110",
  "sort=-id",
  "sort=-age&per_page=100",
  "sort=avg_glucose_level&page=2",
  "sort=bmi",
  "sort=-smoking_status&per_page=200&page=3",
  "gender=Female",
  "gender=Other",
  "hypertension=1",
  "heart_disease=1&sort=-age",
  "ever_married=No&page=4",
  "work_type=Self-employed",
  "smoking_status=Unknown&stroke=1",
  "stroke=1&per_page=500",
  "stroke=0&page=97",
  "age_min=80",
  "age_max=1",
  "age_min=0.5&age_max=2&sort=age",
  "q=1",
  "q=9046&gender=Female",
];

for (const backend of patientBackends()) {
  Deno.test({
    name:
      `[${backend.name}] the list pages, sorts and filters the 5,110 dataset records as the spec says`,
    ignore: NO_DATA,
    fn: (t) =>
      withApiApp(backend, async ({ user, newUser, patients }) => {
        const dataset = loadDataset()!.patients;
        const stored = await patients.insertMany(user.id, dataset);
        assert.deepEqual(stored, { inserted: 5110, duplicateIds: [] });
        const queries = backend.name === "embedded" ? [...QUERIES, ...MORE_QUERIES] : QUERIES;
        for (const query of queries) {
          await t.step(`GET ${URL}?${query} answers the expected page`, async () => {
            const res = await user.api("GET", `${URL}?${query}`);
            assert.equal(res.status, 200);
            const want = expected(dataset, query);
            const { items, ...rest } = res.body;
            assert.deepEqual({ ...rest, ids: items.map((p: PatientFields) => p.id) }, want);
          });
        }
        await t.step("items carry every field as stored", async () => {
          const res = await user.api("GET", `${URL}?per_page=500`);
          const byId = new Map(dataset.map((p) => [p.id, p]));
          for (const item of res.body.items) {
            const { created_at: _c, updated_at: _u, ...fields } = item;
            assert.deepEqual(fields, byId.get(item.id));
          }
        });
        await t.step("another user's list holds none of these records", async () => {
          const other = await newUser();
          const res = await other.api("GET", `${URL}?per_page=500`);
          assert.deepEqual([res.body.items, res.body.total], [[], 0]);
        });
      }),
  });
}

apiTest("the list of a new user is empty, with the default page and per_page", async ({ user }) => {
  const res = await user.api("GET", URL);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { items: [], total: 0, page: 1, per_page: 50 });
});

apiTest("the list counts every match and returns only the requested page", async ({ user }) => {
  for (let id = 1; id <= 7; id++) {
    const gender = id % 2 ? "Female" : "Male";
    assert.equal(
      (await user.api("POST", URL, samplePatient({ id, gender, age: 10 * id }))).status,
      201,
    );
  }
  const page = await user.api("GET", `${URL}?gender=Female&per_page=2&page=2&sort=-age`);
  assert.deepEqual(page.body.items.map((p: PatientFields) => p.id), [3, 1]);
  assert.deepEqual([page.body.total, page.body.page, page.body.per_page], [4, 2, 2]);
  const past = await user.api("GET", `${URL}?page=9&per_page=5`);
  assert.deepEqual([past.body.items, past.body.total], [[], 7]);
});

/** Query strings the list refuses, and the parameter each must name. */
const BAD_QUERIES: [string, string][] = [
  ["foo=1", "foo"],
  ["name=Ann", "name"],
  ["user_id=1", "user_id"],
  ["page=0", "page"],
  ["page=abc", "page"],
  ["page=-1", "page"],
  ["page=1.5", "page"],
  ["page=", "page"],
  ["per_page=0", "per_page"],
  ["per_page=501", "per_page"],
  ["per_page=ten", "per_page"],
  ["sort=name", "sort"],
  ["sort=-", "sort"],
  ["sort=created_at", "sort"],
  ["q=abc", "q"],
  ["q=0", "q"],
  ["q=2147483648", "q"],
  ["gender=male", "gender"],
  ["gender=", "gender"],
  ["hypertension=yes", "hypertension"],
  ["heart_disease=2", "heart_disease"],
  ["ever_married=true", "ever_married"],
  ["work_type=private", "work_type"],
  ["Residence_type=urban", "Residence_type"],
  ["residence_type=Urban", "residence_type"],
  ["smoking_status=never", "smoking_status"],
  ["stroke=1.0", "stroke"],
  ["age_min=abc", "age_min"],
  ["age_min=-1", "age_min"],
  ["age_max=1e2", "age_max"],
  ["age_max=201", "age_max"],
  ["age_min=60&age_max=40", "age_min"],
  ["page=1&page=2", "page"],
  ["gender[$ne]=Male", "gender[$ne]"],
  ["q[$gt]=0", "q[$gt]"],
];

apiTest("an unknown or ill-typed list parameter answers 400 naming it", async ({ user }) => {
  for (const [query, field] of BAD_QUERIES) {
    const res = await user.api("GET", `${URL}?${query}`);
    assert.equal(res.status, 400, `?${query}`);
    assert.deepEqual(errorFields(res), [field], `?${query} names ${field}`);
  }
});

apiTest("a list query with several bad parameters answers 400 naming each", async ({ user }) => {
  const res = await user.api("GET", `${URL}?page=0&per_page=0&sort=x&stroke=3&colour=red`);
  assert.equal(res.status, 400);
  assert.deepEqual(errorFields(res), ["colour", "page", "per_page", "sort", "stroke"]);
});
