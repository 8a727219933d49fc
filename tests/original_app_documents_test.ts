/**
 * Documents the original Flask app wrote — only the seed's fields and `user_id`, no timestamps
 * or revision, numbers as text, a field missing, a value that cannot be read — inserted straight
 * into the database (MongoDB/FerretDB, or the embedded store's file), then walked through every
 * page and endpoint: nothing answers 5xx, readable values read as their type, the others show as
 * stored and the data-quality check lists them, and the first change writes the app's shape.
 */
import assert from "node:assert/strict";
import { type ApiResponse, type ApiUser, withApiApp } from "./helpers/api.ts";
import { type OpenedPatients, patientBackends } from "./helpers/backends.ts";
import { samplePatient } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { htmxHeaders } from "./helpers/patients_pages.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const URL = "/api/patient_data";

/** As the original app's form stored a record: the seed's fields, numbers typed. */
const FROM_FORM = {
  id: 31112,
  gender: "Male",
  age: 80,
  hypertension: 0,
  heart_disease: 1,
  ever_married: "Yes",
  work_type: "Private",
  Residence_type: "Rural",
  avg_glucose_level: 105.92,
  bmi: 32.5,
  smoking_status: "never smoked",
  stroke: 1,
};

/** As its `POST /api/patient_data` stored a JSON body: everything as text, BMI `N/A`. */
const AS_TEXT = {
  id: "51676",
  gender: "Female",
  age: "61",
  hypertension: "0",
  heart_disease: "0",
  ever_married: "Yes",
  work_type: "Self-employed",
  Residence_type: "Rural",
  avg_glucose_level: "202.21",
  bmi: "N/A",
  smoking_status: "never smoked",
  stroke: "1",
};

/** `AS_TEXT` as read: every value in its type. */
const AS_TEXT_READ = {
  ...AS_TEXT,
  id: 51676,
  age: 61,
  hypertension: 0,
  heart_disease: 0,
  avg_glucose_level: 202.21,
  bmi: null,
  stroke: 1,
};

/** An age that cannot be read and no smoking status at all. */
const UNREADABLE = {
  id: 60182,
  gender: "Female",
  age: "sixty",
  hypertension: 0,
  heart_disease: 0,
  ever_married: "Yes",
  work_type: "Private",
  Residence_type: "Urban",
  avg_glucose_level: 171.23,
  bmi: 34.4,
  stroke: 1,
};

/** One more, to be deleted and restored. */
const TO_DELETE = { ...FROM_FORM, id: 1665, age: "79", bmi: "24" };

const LEGACY_IDS = [31112, 51676, 60182, 1665];

/** Asserts an answer that is not a server error (and lets the caller look at it). */
function fine(res: { status: number; text?: string }, what: string) {
  assert.ok(res.status < 500, `${what} answered ${res.status}: ${res.text?.slice(0, 300)}`);
}

async function page(browser: TestBrowser, path: string, headers: HeadersInit = {}) {
  const res = await browser.get(path, headers);
  const text = await res.text();
  fine({ status: res.status, text }, `GET ${path}`);
  return { status: res.status, text };
}

const byId = (res: ApiResponse, id: number) =>
  (res.body.items as { id: number }[]).find((item) => item.id === id) as
    | Record<string, unknown>
    | undefined;

/** Every read of the API, with the documents stored as the original app left them. */
async function readsOfTheApi(user: ApiUser, backend: string) {
  const list = await user.api("GET", `${URL}?per_page=500`);
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 6);
  assert.deepEqual(
    { ...byId(list, 31112) },
    { ...FROM_FORM, created_at: null, updated_at: null },
    "a document of the original app's form reads as it is, its times unknown",
  );
  assert.deepEqual(
    { ...byId(list, 51676) },
    { ...AS_TEXT_READ, created_at: null, updated_at: null },
    "numbers stored as text read as numbers, N/A as an unknown BMI",
  );
  const unreadable = byId(list, 60182)!;
  assert.equal(unreadable.age, "sixty", "a value that cannot be read is shown as stored");
  assert.equal(unreadable.smoking_status, null, "a missing field is null");

  for (
    const query of [
      "sort=age",
      "sort=-age",
      "sort=-id",
      "sort=smoking_status",
      "sort=-bmi",
      "age_min=60",
      "age_max=70",
      "age_min=1&age_max=120",
      "stroke=1",
      "hypertension=0&smoking_status=never+smoked",
      "gender=Female",
      "q=51676",
      "q=60182",
    ]
  ) {
    const res = await user.api("GET", `${URL}?${query}&per_page=500`);
    assert.equal(res.status, 200, `GET ${URL}?${query}`);
    const ids = (res.body.items as { id: number }[]).map((item) => item.id);
    assert.equal(new Set(ids).size, ids.length, `${query}: each record once`);
    assert.equal(res.body.total, ids.length, `${query}: the total counts the items`);
  }
  const found = await user.api("GET", `${URL}?q=51676`);
  assert.deepEqual(
    found.body.items.map((i: { id: number }) => i.id),
    [51676],
    "the id stored as text",
  );
  const strokes = await user.api("GET", `${URL}?stroke=1&per_page=500`);
  const strokeIds = strokes.body.items.map((i: { id: number }) => i.id);
  assert.ok(strokeIds.includes(51676), `a stroke stored as "1" is a stroke: ${strokeIds}`);
  const ranged = await user.api("GET", `${URL}?age_min=1&per_page=500`);
  const rangedIds = ranged.body.items.map((i: { id: number }) => i.id);
  assert.ok(!rangedIds.includes(60182), "an age that cannot be read is in no age range");
  assert.ok(rangedIds.includes(31112));
  if (backend !== "mongodb") {
    assert.ok(rangedIds.includes(51676), "the embedded store keeps a number as a number");
  }

  for (const id of LEGACY_IDS) {
    const one = await user.api("GET", `${URL}/${id}`);
    assert.equal(one.status, 200, `GET ${URL}/${id}`);
    assert.equal(one.body.id, id);
    const etag = one.headers.get("ETag")!;
    assert.match(etag, /^"c-[\w-]+"$/, "an ETag derived from the content");
    const again = await user.api("GET", `${URL}/${id}`, undefined, { "If-None-Match": etag });
    assert.equal(again.status, 304);
    assert.equal((await user.api("GET", `${URL}/${id}/history`)).status, 200);
  }

  const stats = await user.api("GET", `${URL}/stats?compare=reference`);
  assert.equal(stats.status, 200);
  assert.equal(stats.body.total, 6);
  assert.equal(stats.body.by.stroke["1"].total, 5, "every stroke, those stored as text too");
  assert.equal(stats.body.by.age_band["60-79"].total, 3, "67, and 61 and 79 stored as text");
  assert.equal(stats.body.by.bmi_band.unknown.total, 1, "N/A is unknown");
  assert.equal(
    Object.values(stats.body.by.smoking_status as Record<string, { total: number }>)
      .reduce((sum, t) => sum + t.total, 0),
    5,
    "a missing smoking status is counted under no value",
  );

  const quality = await user.api("GET", `${URL}/quality`);
  assert.equal(quality.status, 200);
  const listed = quality.body.unreadable.values as {
    id: number;
    field: string;
    value: unknown;
    problem: string;
  }[];
  assert.deepEqual(
    listed.filter((v) => v.id === 60182),
    [
      { id: 60182, field: "age", value: "sixty", problem: "unreadable" },
      { id: 60182, field: "smoking_status", value: null, problem: "missing" },
    ],
  );
  assert.ok(
    listed.some((v) => v.id === 51676 && v.field === "bmi" && v.problem === "text"),
    "N/A stored as text is listed",
  );
  if (backend === "mongodb") {
    assert.ok(listed.some((v) => v.id === 51676 && v.field === "age" && v.value === "61"));
  }

  const risk = await user.api("GET", `${URL}/risk`);
  assert.ok([200, 422].includes(risk.status), `risk answered ${risk.status}`);

  for (const format of ["csv", "json"]) {
    for (const deidentify of ["false", "true"]) {
      const res = await user.api(
        "GET",
        `${URL}/export?format=${format}&deidentify=${deidentify}`,
      );
      assert.equal(res.status, 200, `export ${format} deidentify=${deidentify}`);
      if (deidentify === "false") assert.match(res.text, /sixty/, "shown as stored");
    }
  }
}

/** Every page, with the documents stored as the original app left them. */
async function pagesOfTheBrowser(browser: TestBrowser) {
  const list = await page(browser, "/patients?per_page=100");
  assert.equal(list.status, 200);
  const rows = parseDom(list.text).all(`tbody tr[id^="patient-"]`);
  assert.equal(rows.length, 6);
  assert.match(parseDom(list.text).text("#patient-60182"), /sixty/);
  for (
    const path of [
      "/patients?sort=age",
      "/patients?sort=-age&age_min=50",
      "/patients?sort=-id&stroke=1",
      "/patients?q=51676",
      "/dashboard",
      "/patients/31112",
      "/patients/51676",
      "/patients/60182",
      "/patients/60182/edit",
      "/patients/51676/delete",
      "/patients/export/anonymity?deidentify=true&k_min=2",
    ]
  ) {
    assert.equal((await page(browser, path)).status, 200, path);
  }
  const detail = await page(browser, "/patients/31112");
  assert.match(parseDom(detail.text).text(".details"), /Created\s*Unknown/);
  const dashboard = await page(browser, "/dashboard");
  assert.match(parseDom(dashboard.text).text(".quality-grid"), /sixty/);
  const row = await page(browser, "/patients/60182/row", htmxHeaders(browser, "patient-60182"));
  assert.match(row.text, /sixty/);
}

/** The first change of each document, through every way of changing one. */
async function changes(user: ApiUser, browser: TestBrowser, opened: OpenedPatients) {
  // Patient 51676 (stored with the id "51676") already exists: another one is refused.
  const twin = await user.api("POST", URL, samplePatient({ id: 51676 }));
  assert.equal(twin.status, 409);

  // Its ETag follows its content: changed by another program, it is another ETag.
  const before = (await user.api("GET", `${URL}/31112`)).headers.get("ETag")!;
  await opened.updateRaw(user.id, 31112, { bmi: 33.1 });
  const after = await user.api("GET", `${URL}/31112`);
  assert.notEqual(after.headers.get("ETag"), before);
  assert.equal(after.body.bmi, 33.1);
  const stale = await user.api("PATCH", `${URL}/31112`, { age: 81 }, { "If-Match": before });
  assert.equal(stale.status, 412, "a write from the content read before the change is stale");

  // The first change writes the app's shape: readable values in their type, times and revision.
  // Of simultaneous first changes naming the content's ETag exactly one is made.
  const etag = (await user.api("GET", `${URL}/51676`)).headers.get("ETag")!;
  const burst = await Promise.all(
    ["Other", "Male", "Female", "Other"].map((gender) =>
      user.api("PATCH", `${URL}/51676`, { gender }, { "If-Match": etag })
    ),
  );
  assert.deepEqual(burst.map((res) => res.status).sort(), [200, 412, 412, 412]);
  const patched = burst.find((res) => res.status === 200)!;
  if (patched.body.gender !== "Other") {
    const again = await user.api("PATCH", `${URL}/51676`, { gender: "Other" }, {
      "If-Match": patched.headers.get("ETag")!,
    });
    assert.equal(again.status, 200);
  }
  assert.equal(patched.body.created_at, null, "created_at stays unknown");
  assert.ok(patched.body.updated_at, "updated_at is set");
  assert.doesNotMatch(patched.headers.get("ETag")!, /^"c-/, "a revision of the app's own");
  const stored = await opened.rawDocument(user.id, 51676);
  assert.deepEqual(
    {
      ...stored,
      created_at: stored?.created_at ?? null,
      updated_at: typeof stored?.updated_at,
      revision: typeof stored?.revision,
    },
    {
      ...AS_TEXT_READ,
      gender: "Other",
      created_at: null,
      updated_at: stored?.updated_at instanceof Date ? "object" : "string",
      revision: "string",
    },
    "stored in the app's shape",
  );
  const twice = await user.api("PATCH", `${URL}/51676`, { gender: "Female" }, {
    "If-Match": etag,
  });
  assert.equal(twice.status, 412, "the content ETag no longer matches");

  // A value that cannot be read is left as it is by a change of another field...
  const unreadable = await user.api("PATCH", `${URL}/60182`, { smoking_status: "smokes" });
  assert.equal(unreadable.status, 200, unreadable.text);
  assert.equal(unreadable.body.age, "sixty");
  assert.equal((await opened.rawDocument(user.id, 60182))?.age, "sixty");
  // ...and corrected by one that replaces it; the history says from what.
  const corrected = await user.api("PUT", `${URL}/60182`, samplePatient({ age: 60 }));
  assert.equal(corrected.status, 200, corrected.text);
  const history = await user.api("GET", `${URL}/60182/history`);
  assert.deepEqual(history.body[0].changes.age, ["sixty", 60]);
  assert.deepEqual(history.body[1].changes, { smoking_status: [null, "smokes"] });

  // The browser's inline edit of a document of the original app.
  const edit = await browser.get("/patients/31112/edit", htmxHeaders(browser, "patient-31112"));
  const form = parseDom(await edit.text());
  const revision = form.find('input[name="revision"]')?.getAttribute("value");
  assert.match(revision ?? "", /^c-/);
  const values = Object.fromEntries(
    Object.entries({ ...FROM_FORM, bmi: 33.1, age: 82 }).map(([k, v]) => [k, String(v)]),
  );
  const saved = await browser.request("/patients/31112", {
    method: "PUT",
    headers: htmxHeaders(browser, "patient-31112"),
    body: new URLSearchParams({ ...values, revision: revision! }),
  });
  assert.equal(saved.status, 200, await saved.clone().text());
  assert.equal((await user.api("GET", `${URL}/31112`)).body.age, 82);

  // Delete (with its content ETag), "Recently deleted", restore.
  const deleting = (await user.api("GET", `${URL}/1665`)).headers.get("ETag")!;
  const deleted = await user.api("DELETE", `${URL}/1665`, undefined, { "If-Match": deleting });
  assert.equal(deleted.status, 204);
  const bin = await user.api("GET", `${URL}/deleted`);
  assert.equal(bin.status, 200);
  assert.deepEqual(
    { ...bin.body.items[0], deleted_at: 0 },
    { ...FROM_FORM, id: 1665, age: 79, bmi: 24, created_at: null, updated_at: null, deleted_at: 0 },
  );
  assert.equal((await page(browser, "/patients/deleted")).status, 200);
  const restored = await user.api("POST", `${URL}/1665/restore`);
  assert.equal(restored.status, 200, restored.text);
  assert.equal(restored.body.age, 79);
  assert.equal((await opened.rawDocument(user.id, 1665))?.age, 79, "restored in the app's shape");
  assert.equal((await user.api("GET", `${URL}/1665`)).status, 200);
}

// The embedded store lists from memory or through SQL plans: both ways are walked.
for (const backend of patientBackends({ sqlPlans: true })) {
  Deno.test(
    `[${backend.name}] documents written by the original app work on every page and endpoint, and their first change writes the app's shape`,
    () =>
      withApiApp(backend, async ({ user, browser, opened }) => {
        await opened.insertRaw(user.id, [FROM_FORM, AS_TEXT, UNREADABLE, TO_DELETE]);
        assert.equal((await user.api("POST", URL, samplePatient({ id: 1 }))).status, 201);
        const young = samplePatient({ id: 2, age: 30, stroke: 0, gender: "Male" });
        assert.equal((await user.api("POST", URL, young)).status, 201);
        await readsOfTheApi(user, backend.name);
        const session = await browser();
        await pagesOfTheBrowser(session);
        await changes(user, session, opened);
      }),
  );
}

// Only MongoDB can hold a document without an id (the embedded store's key is the id).
for (const backend of patientBackends().filter((b) => b.name === "mongodb")) {
  Deno.test(
    `[${backend.name}] a document of the original app whose id cannot be read is listed and reported, never a server error`,
    () =>
      withApiApp(backend, async ({ user, browser, opened }) => {
        await opened.insertRaw(user.id, [
          { gender: "Male", age: 40 },
          { ...FROM_FORM, id: "abc" },
          FROM_FORM,
        ]);
        const list = await user.api("GET", URL);
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.items.map((item: { id: unknown }) => item.id),
          [null, 31112, "abc"],
          "a missing id (shown as null) sorts first, numbers before text",
        );
        for (
          const path of ["stats", "quality", "risk", "export?format=csv", "export?format=json"]
        ) {
          fine(await user.api("GET", `${URL}/${path}`), path);
        }
        const quality = await user.api("GET", `${URL}/quality`);
        const unreadableIds = quality.body.unreadable.values
          .filter((v: { field: string }) => v.field === "id")
          .map((v: { id: unknown; value: unknown }) => [v.id, v.value]);
        assert.deepEqual(unreadableIds, [[null, null], [null, "abc"]]);
        const session = await browser();
        for (const path of ["/patients", "/patients?sort=-id", "/dashboard"]) {
          assert.equal((await page(session, path)).status, 200, path);
        }
      }),
  );
}
