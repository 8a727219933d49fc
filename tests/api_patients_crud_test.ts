/** The JSON API's create, read, replace, patch and delete rows, on every patient backend. */
import assert from "node:assert/strict";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { apiTest, assertIsoUtc, errorFields } from "./helpers/api.ts";
import { samplePatient } from "./helpers/fixtures.ts";

const URL = "/api/patient_data";
const KEYS = [...PATIENT_FIELDS, "created_at", "updated_at"].sort();

apiTest(
  "POST /api/patient_data answers 201 with Location, ETag and the stored record",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 46136 }));
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("Location"), `${URL}/46136`);
    assert.deepEqual({ ...created.body, created_at: 0, updated_at: 0 }, {
      ...samplePatient({ id: 46136 }),
      created_at: 0,
      updated_at: 0,
    });
    const read = await user.api("GET", created.headers.get("Location")!);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
    assert.equal(read.headers.get("ETag"), created.headers.get("ETag"));
  },
);

apiTest("POST /api/patient_data without an id assigns a free one", async ({ user }) => {
  assert.equal((await user.api("POST", URL, samplePatient({ id: 7 }))).status, 201);
  const first = await user.api("POST", URL, samplePatient());
  const second = await user.api("POST", URL, samplePatient({ gender: "Female" }));
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  const ids = [7, first.body.id, second.body.id];
  assert.equal(new Set(ids).size, 3, `assigned ids are distinct: ${ids}`);
  for (const res of [first, second]) {
    assert.ok(Number.isInteger(res.body.id) && res.body.id >= 1);
    assert.equal(res.headers.get("Location"), `${URL}/${res.body.id}`);
  }
  assert.equal((await user.api("GET", `${URL}/${second.body.id}`)).body.gender, "Female");
});

apiTest(
  "POST /api/patient_data with a taken id answers 409 and keeps the first record",
  async ({ user }) => {
    const first = await user.api("POST", URL, samplePatient({ id: 5 }));
    const again = await user.api("POST", URL, samplePatient({ id: 5, gender: "Other" }));
    assert.equal(again.status, 409);
    assert.deepEqual(errorFields(again), ["id"]);
    const read = await user.api("GET", `${URL}/5`);
    assert.deepEqual(read.body, first.body);
  },
);

apiTest("the same id may belong to two users", async ({ user, newUser }) => {
  const other = await newUser();
  assert.equal((await user.api("POST", URL, samplePatient({ id: 1 }))).status, 201);
  const theirs = await other.api("POST", URL, samplePatient({ id: 1, gender: "Other" }));
  assert.equal(theirs.status, 201);
  assert.equal((await user.api("GET", `${URL}/1`)).body.gender, "Male");
  assert.equal((await other.api("GET", `${URL}/1`)).body.gender, "Other");
});

apiTest(
  "a record's JSON has exactly the twelve fields plus created_at and updated_at",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 3, bmi: null }));
    const listed = await user.api("GET", URL);
    for (
      const body of [created.body, (await user.api("GET", `${URL}/3`)).body, listed.body.items[0]]
    ) {
      assert.deepEqual(Object.keys(body).sort(), KEYS);
      assert.equal(body.bmi, null);
      assertIsoUtc(body.created_at, "created_at");
      assertIsoUtc(body.updated_at, "updated_at");
    }
    assert.ok(!/"(_id|user_id|revision)"/.test(created.text + listed.text));
  },
);

apiTest(
  "GET /api/patient_data/{id} answers 304 to an If-None-Match of its ETag",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 9 }));
    const etag = created.headers.get("ETag")!;
    const same = await user.api("GET", `${URL}/9`, undefined, { "If-None-Match": etag });
    assert.equal(same.status, 304);
    assert.equal(same.headers.get("ETag"), etag);
    const old = await user.api("GET", `${URL}/9`, undefined, { "If-None-Match": '"old"' });
    assert.equal(old.status, 200);
  },
);

apiTest(
  "GET answers 304 to If-None-Match by the weak comparison: a weak tag, a list holding the tag, or *",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 10 }));
    const etag = created.headers.get("ETag")!;
    for (
      const header of [`W/${etag}`, `"other", ${etag}`, `W/"other", W/${etag}`, "*", ` ${etag} `]
    ) {
      const res = await user.api("GET", `${URL}/10`, undefined, { "If-None-Match": header });
      assert.equal(res.status, 304, `If-None-Match: ${header}`);
      assert.equal(res.headers.get("ETag"), etag);
    }
    for (const header of ['"other"', 'W/"other"', `"other", W/"else"`, etag.slice(1, -1), ""]) {
      const res = await user.api("GET", `${URL}/10`, undefined, { "If-None-Match": header });
      assert.equal(res.status, 200, `If-None-Match: ${header}`);
    }
  },
);

apiTest(
  "If-Match uses the strong comparison: a weak tag never matches; a list holding the tag, or *, does",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 22 }));
    const etag = created.headers.get("ETag")!;
    const weak = { "If-Match": `W/${etag}` };
    assert.equal((await user.api("PATCH", `${URL}/22`, { age: 30 }, weak)).status, 412);
    assert.equal(
      (await user.api("PUT", `${URL}/22`, samplePatient({ age: 30 }), weak)).status,
      412,
    );
    assert.equal((await user.api("DELETE", `${URL}/22`, undefined, weak)).status, 412);
    const mixed = { "If-Match": `W/${etag}, "old"` };
    assert.equal((await user.api("PATCH", `${URL}/22`, { age: 30 }, mixed)).status, 412);
    assert.deepEqual((await user.api("GET", `${URL}/22`)).body, created.body, "nothing changed");

    const listed = await user.api("PATCH", `${URL}/22`, { age: 31 }, {
      "If-Match": `"old", W/"older", ${etag}`,
    });
    assert.equal(listed.status, 200);
    const put = await user.api("PUT", `${URL}/22`, samplePatient({ age: 32 }), {
      "If-Match": `${listed.headers.get("ETag")},"old"`,
    });
    assert.equal(put.status, 200);
    const any = await user.api("DELETE", `${URL}/22`, undefined, { "If-Match": "*" });
    assert.equal(any.status, 204);
  },
);

apiTest(
  "GET /api/patient_data/{id} answers 404 for ids nobody has or that cannot be ids",
  async ({ user }) => {
    await user.api("POST", URL, samplePatient({ id: 1 }));
    for (const id of ["2", "0", "-1", "abc", "1.0", "2147483648", "99999999999"]) {
      const res = await user.api("GET", `${URL}/${id}`);
      assert.equal(res.status, 404, `GET ${URL}/${id}`);
      assert.equal(res.headers.get("Content-Type"), "application/problem+json");
    }
  },
);

apiTest("PUT replaces every field and answers 200 with a new ETag", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 11 }));
  const replacement = samplePatient({ gender: "Female", age: 0.08, bmi: null, stroke: 0 });
  const put = await user.api("PUT", `${URL}/11`, replacement);
  assert.equal(put.status, 200);
  assert.deepEqual({ ...put.body, created_at: 0, updated_at: 0 }, {
    ...replacement,
    id: 11,
    created_at: 0,
    updated_at: 0,
  });
  assert.equal(put.body.created_at, created.body.created_at);
  assert.notEqual(put.headers.get("ETag"), created.headers.get("ETag"));
  const read = await user.api("GET", `${URL}/11`);
  assert.deepEqual(read.body, put.body);
  assert.equal(read.headers.get("ETag"), put.headers.get("ETag"));
});

apiTest(
  "PUT without every field answers 422 naming the missing ones and changes nothing",
  async ({ user }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 12 }));
    const { bmi: _bmi, stroke: _stroke, ...partial } = samplePatient();
    const put = await user.api("PUT", `${URL}/12`, partial);
    assert.equal(put.status, 422);
    assert.deepEqual(errorFields(put), ["bmi", "stroke"]);
    assert.deepEqual((await user.api("GET", `${URL}/12`)).body, created.body);
  },
);

apiTest("PUT and PATCH may repeat the id but answer 422 when they change it", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 13 }));
  const put = await user.api("PUT", `${URL}/13`, samplePatient({ id: 14, age: 50 }));
  const patch = await user.api("PATCH", `${URL}/13`, { id: 14, age: 50 });
  for (const res of [put, patch]) {
    assert.equal(res.status, 422);
    assert.deepEqual(errorFields(res), ["id"]);
  }
  assert.deepEqual((await user.api("GET", `${URL}/13`)).body, created.body);
  assert.equal((await user.api("GET", `${URL}/14`)).status, 404);
  assert.equal((await user.api("PUT", `${URL}/13`, samplePatient({ id: 13 }))).status, 200);
  assert.equal((await user.api("PATCH", `${URL}/13`, { id: 13, age: 51 })).body.age, 51);
});

apiTest("PATCH changes only the fields it names and keeps created_at", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 15 }));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const patch = await user.api("PATCH", `${URL}/15`, { smoking_status: "smokes", bmi: null });
  assert.equal(patch.status, 200);
  const { updated_at: before, ...rest } = created.body;
  assert.deepEqual({ ...patch.body, updated_at: before }, {
    ...rest,
    smoking_status: "smokes",
    bmi: null,
    updated_at: before,
  });
  assert.ok(patch.body.updated_at > before, "updated_at moves forward");
  assert.equal((await user.api("GET", `${URL}/15`)).headers.get("ETag"), patch.headers.get("ETag"));
});

apiTest("PATCH with no fields answers 422", async ({ user }) => {
  await user.api("POST", URL, samplePatient({ id: 16 }));
  assert.equal((await user.api("PATCH", `${URL}/16`, {})).status, 422);
  assert.equal((await user.api("PATCH", `${URL}/16`, { id: 16 })).status, 422);
});

apiTest("PUT and PATCH with a stale If-Match answer 412 and change nothing", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 17 }));
  const stale = created.headers.get("ETag")!;
  const moved = await user.api("PATCH", `${URL}/17`, { age: 68 });
  for (const etag of [stale, '"nonsense"', "not-quoted", `${stale}, ${stale}`]) {
    const headers = { "If-Match": etag };
    const put = await user.api("PUT", `${URL}/17`, samplePatient({ age: 1 }), headers);
    const patch = await user.api("PATCH", `${URL}/17`, { age: 2 }, headers);
    assert.equal(put.status, 412, `PUT with If-Match: ${etag}`);
    assert.equal(patch.status, 412, `PATCH with If-Match: ${etag}`);
  }
  const read = await user.api("GET", `${URL}/17`);
  assert.deepEqual(read.body, moved.body);
  assert.equal(read.headers.get("ETag"), moved.headers.get("ETag"));
});

apiTest("PUT and PATCH with the current If-Match (or *) answer 200", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 18 }));
  const put = await user.api("PUT", `${URL}/18`, samplePatient({ age: 70 }), {
    "If-Match": created.headers.get("ETag")!,
  });
  assert.equal(put.status, 200);
  const patch = await user.api("PATCH", `${URL}/18`, { age: 71 }, {
    "If-Match": put.headers.get("ETag")!,
  });
  assert.equal(patch.status, 200);
  assert.equal(patch.body.age, 71);
  const any = await user.api("PATCH", `${URL}/18`, { age: 72 }, { "If-Match": "*" });
  assert.equal(any.status, 200);
});

apiTest(
  "PUT and PATCH of a record that does not exist answer 404, whatever the body",
  async ({ user }) => {
    for (const [method, body] of [["PUT", samplePatient()], ["PATCH", { age: 3 }], ["PATCH", {}]]) {
      for (const id of ["404", "abc"]) {
        const res = await user.api(method as string, `${URL}/${id}`, body);
        assert.equal(res.status, 404, `${method} ${URL}/${id}`);
      }
    }
    assert.equal((await user.api("GET", URL)).body.total, 0);
  },
);

apiTest("DELETE answers 204, and the record is then 404 everywhere", async ({ user }) => {
  await user.api("POST", URL, samplePatient({ id: 19 }));
  const deleted = await user.api("DELETE", `${URL}/19`);
  assert.equal(deleted.status, 204);
  assert.equal(deleted.text, "");
  assert.equal((await user.api("GET", `${URL}/19`)).status, 404);
  assert.equal((await user.api("PUT", `${URL}/19`, samplePatient())).status, 404);
  assert.equal((await user.api("PATCH", `${URL}/19`, { age: 5 })).status, 404);
  assert.equal((await user.api("DELETE", `${URL}/19`)).status, 404);
  assert.equal((await user.api("GET", URL)).body.total, 0);
});

apiTest("DELETE with a stale If-Match answers 412 and keeps the record", async ({ user }) => {
  const created = await user.api("POST", URL, samplePatient({ id: 20 }));
  await user.api("PATCH", `${URL}/20`, { age: 30 });
  const stale = { "If-Match": created.headers.get("ETag")! };
  assert.equal((await user.api("DELETE", `${URL}/20`, undefined, stale)).status, 412);
  const read = await user.api("GET", `${URL}/20`);
  assert.equal(read.status, 200);
  const current = { "If-Match": read.headers.get("ETag")! };
  assert.equal((await user.api("DELETE", `${URL}/20`, undefined, current)).status, 204);
});

apiTest(
  "another user's record is 404 for GET, PUT, PATCH and DELETE and not in their list",
  async ({ user, newUser }) => {
    const created = await user.api("POST", URL, samplePatient({ id: 21 }));
    const other = await newUser();
    assert.equal((await other.api("GET", `${URL}/21`)).status, 404);
    assert.equal((await other.api("PUT", `${URL}/21`, samplePatient({ age: 9 }))).status, 404);
    assert.equal((await other.api("PATCH", `${URL}/21`, { age: 9 })).status, 404);
    assert.equal((await other.api("PATCH", `${URL}/21`, { age: "bad" })).status, 404);
    assert.equal((await other.api("DELETE", `${URL}/21`)).status, 404);
    const theirs = await other.api("GET", URL);
    assert.deepEqual([theirs.body.items, theirs.body.total], [[], 0]);
    assert.equal((await other.api("GET", `${URL}?q=21`)).body.total, 0);
    const mine = await user.api("GET", `${URL}/21`);
    assert.deepEqual(mine.body, created.body);
    assert.equal(mine.headers.get("ETag"), created.headers.get("ETag"));
  },
);

apiTest("simultaneous POSTs without an id each get a free id, never 409", async ({ user }) => {
  const created = await Promise.all(
    Array.from({ length: 10 }, () => user.api("POST", URL, samplePatient())),
  );
  assert.deepEqual(created.map((res) => res.status), Array(10).fill(201));
  assert.equal(new Set(created.map((res) => res.body.id)).size, 10);
});
