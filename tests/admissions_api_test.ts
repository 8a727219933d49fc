/**
 * `/api/patient_data/{id}/admissions` through the JSON API, on every patient backend: create,
 * read, list, replace, patch and delete with ETags, `If-Match` and 412; another user's patient
 * is a 404; delete and restore; a deleted patient's admissions are hidden and come back with it;
 * the patient's history names each admission's changes field by field.
 */
import assert from "node:assert/strict";
import { ADMISSION_FIELDS } from "../lib/stroke/admission_fields.ts";
import { apiTest, type ApiUser, samplePatient, withApiApp } from "./helpers/api.ts";
import { patientBackends } from "./helpers/backends.ts";
import { admissionBody, instantOf } from "./helpers/admissions.ts";

const PATIENT = 31112;
const BASE = `/api/patient_data/${PATIENT}/admissions`;

async function withPatient(user: ApiUser, id = PATIENT): Promise<void> {
  const res = await user.api("POST", "/api/patient_data", samplePatient({ id }));
  assert.equal(res.status, 201, res.text);
}

apiTest(
  "POST answers 201 with Location, ETag and the admission; GET reads it back",
  async ({ user }) => {
    await withPatient(user);
    const created = await user.api("POST", BASE, admissionBody());
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get("Location"), `${BASE}/1`);
    assert.match(created.headers.get("ETag") ?? "", /^"[^"]+"$/);
    assert.deepEqual(Object.keys(created.body), [...ADMISSION_FIELDS]);
    assert.equal(created.body.admission_id, 1);
    assert.equal(created.body.stroke_type, "ischaemic");
    // Stored in UTC, written with the offset of the user's zone (UTC here).
    assert.equal(created.body.arrival_at, "2025-03-10T09:00:00+00:00");
    assert.equal(created.body.thrombectomy_at, null);
    const read = await user.api("GET", `${BASE}/1`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created.body);
    assert.equal(read.headers.get("ETag"), created.headers.get("ETag"));
    const again = await user.api("GET", `${BASE}/1`, undefined, {
      "If-None-Match": created.headers.get("ETag")!,
    });
    assert.equal(again.status, 304);
  },
);

apiTest("the list is the patient's admissions, oldest arrival first", async ({ user }) => {
  await withPatient(user);
  await withPatient(user, 7);
  const late = admissionBody({
    last_known_well_at: null,
    arrival_at: "2025-06-01T10:00:00+02:00",
    imaging_at: null,
    thrombolysis_at: null,
    discharge_at: null,
    discharge_destination: null,
    mrs_discharge: null,
    mrs_90d: null,
  });
  assert.equal((await user.api("POST", BASE, late)).status, 201);
  assert.equal((await user.api("POST", BASE, admissionBody())).status, 201);
  assert.equal((await user.api("POST", "/api/patient_data/7/admissions", late)).status, 201);
  const list = await user.api("GET", BASE);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.map((a: { admission_id: number }) => a.admission_id), [2, 1]);
  assert.equal(instantOf(list.body[1].arrival_at), Date.UTC(2025, 5, 1, 8));
  assert.deepEqual((await user.api("GET", "/api/patient_data/7/admissions")).body.length, 1);
});

apiTest("another user's patient, and an unknown admission, are 404", async ({ user, newUser }) => {
  await withPatient(user);
  assert.equal((await user.api("POST", BASE, admissionBody())).status, 201);
  const other = await newUser();
  for (
    const [method, path, body] of [
      ["GET", BASE],
      ["POST", BASE, admissionBody()],
      ["GET", `${BASE}/1`],
      ["PUT", `${BASE}/1`, admissionBody()],
      ["PATCH", `${BASE}/1`, { nihss_arrival: 3 }],
      ["DELETE", `${BASE}/1`],
      ["POST", `${BASE}/1/restore`],
      ["GET", `${BASE}/deleted`],
    ] as const
  ) {
    const res = await other.api(method, path, body);
    assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
    assert.match(res.body.detail, new RegExp(`${PATIENT}`));
  }
  // Nothing of theirs changed, and the owner still has it.
  assert.equal((await user.api("GET", `${BASE}/1`)).body.nihss_arrival, 8);
  for (const path of [`${BASE}/2`, `${BASE}/0`, `${BASE}/abc`, `${BASE}/99999999999`]) {
    assert.equal((await user.api("GET", path)).status, 404, path);
  }
  assert.equal((await user.api("GET", "/api/patient_data/5/admissions")).status, 404);
});

apiTest("PUT replaces every field; PATCH changes only those sent", async ({ user }) => {
  await withPatient(user);
  await user.api("POST", BASE, admissionBody());
  const replaced = await user.api(
    "PUT",
    `${BASE}/1`,
    admissionBody({ admission_id: 1, stroke_type: "haemorrhagic", nihss_arrival: 15 }),
  );
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.body.stroke_type, "haemorrhagic");
  // Left out of a PUT is unknown.
  const bare = await user.api("PUT", `${BASE}/1`, {
    stroke_type: "TIA",
    arrival_at: "2025-03-10T09:00:00Z",
  });
  assert.equal(bare.status, 200, bare.text);
  assert.equal(bare.body.nihss_arrival, null);
  assert.equal(bare.body.discharge_destination, null);
  const patched = await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 4 });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.nihss_arrival, 4);
  assert.equal(patched.body.stroke_type, "TIA");
  assert.notEqual(patched.headers.get("ETag"), bare.headers.get("ETag"));
});

apiTest(
  "If-Match: the current ETag writes, a stale one is 412 and writes nothing",
  async ({ user }) => {
    await withPatient(user);
    const created = await user.api("POST", BASE, admissionBody());
    const first = created.headers.get("ETag")!;
    const ok = await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 10 }, { "If-Match": first });
    assert.equal(ok.status, 200);
    for (
      const [method, body] of [
        ["PATCH", { nihss_arrival: 11 }],
        ["PUT", admissionBody({ nihss_arrival: 12 })],
        ["DELETE", undefined],
      ] as const
    ) {
      const stale = await user.api(method, `${BASE}/1`, body, { "If-Match": first });
      assert.equal(stale.status, 412, `${method}: ${stale.text}`);
      assert.match(stale.body.detail, /Admission 1 of patient 31112 has changed/);
    }
    // A weak tag never matches; a list with the current tag and `*` do.
    const current = ok.headers.get("ETag")!;
    assert.equal(
      (await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 13 }, { "If-Match": `W/${current}` }))
        .status,
      412,
    );
    const listed = await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 14 }, {
      "If-Match": `"nope", ${current}`,
    });
    assert.equal(listed.status, 200);
    assert.equal(
      (await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 15 }, { "If-Match": "*" })).status,
      200,
    );
    assert.equal((await user.api("GET", `${BASE}/1`)).body.nihss_arrival, 15);
  },
);

apiTest(
  "DELETE moves an admission to the deleted ones; restore brings it back",
  async ({ user }) => {
    await withPatient(user);
    await user.api("POST", BASE, admissionBody());
    await user.api("POST", BASE, admissionBody({ nihss_arrival: 2 }));
    assert.equal((await user.api("DELETE", `${BASE}/1`)).status, 204);
    assert.equal((await user.api("GET", `${BASE}/1`)).status, 404);
    assert.equal((await user.api("DELETE", `${BASE}/1`)).status, 404);
    assert.deepEqual(
      (await user.api("GET", BASE)).body.map((a: { admission_id: number }) => a.admission_id),
      [2],
    );
    const deleted = await user.api("GET", `${BASE}/deleted`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body.map((a: { admission_id: number }) => a.admission_id), [1]);
    assert.match(deleted.body[0].deleted_at, /Z$/);
    // A new admission does not take the deleted one's number.
    assert.equal((await user.api("POST", BASE, admissionBody())).body.admission_id, 3);
    const restored = await user.api("POST", `${BASE}/1/restore`);
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.body.nihss_arrival, 8);
    assert.ok(restored.headers.get("ETag"));
    assert.equal((await user.api("POST", `${BASE}/1/restore`)).status, 404);
    assert.deepEqual((await user.api("GET", `${BASE}/deleted`)).body, []);
    assert.equal((await user.api("GET", BASE)).body.length, 3);
  },
);

apiTest(
  "deleting the patient hides its admissions; restoring the patient brings them back",
  async ({ user }) => {
    await withPatient(user);
    await user.api("POST", BASE, admissionBody());
    assert.equal((await user.api("DELETE", `/api/patient_data/${PATIENT}`)).status, 204);
    assert.equal((await user.api("GET", BASE)).status, 404);
    assert.equal((await user.api("GET", `${BASE}/1`)).status, 404);
    assert.equal((await user.api("POST", BASE, admissionBody())).status, 404);
    const export_ = await user.api("GET", "/api/admissions/export");
    assert.equal(export_.text.trim().split("\r\n").length, 1, "only the header is exported");
    assert.equal((await user.api("POST", `/api/patient_data/${PATIENT}/restore`)).status, 200);
    const back = await user.api("GET", BASE);
    assert.equal(back.status, 200);
    assert.deepEqual(back.body.map((a: { admission_id: number }) => a.admission_id), [1]);
  },
);

apiTest(
  "a new patient given a deleted patient's id starts without its admissions",
  async ({ user }) => {
    await withPatient(user);
    await user.api("POST", BASE, admissionBody());
    assert.equal((await user.api("DELETE", `/api/patient_data/${PATIENT}`)).status, 204);
    await withPatient(user); // the same id, another patient
    assert.deepEqual((await user.api("GET", BASE)).body, []);
    const mine = await user.api("POST", BASE, admissionBody({ nihss_arrival: 30 }));
    assert.equal(mine.status, 201);
    assert.equal(mine.body.admission_id, 2, "the earlier patient's number is not reused");
    const indicators = await user.api("GET", "/api/quality_indicators");
    assert.equal(indicators.body.admissions, 1);
  },
);

apiTest(
  "the patient's history names each admission's create, change, delete and restore",
  async ({ user }) => {
    await withPatient(user);
    await user.api("POST", BASE, admissionBody());
    await user.api("PATCH", `${BASE}/1`, { nihss_arrival: 9, mrs_90d: null }, {
      "X-Change-Reason": "NIHSS re-scored",
    });
    await user.api("DELETE", `${BASE}/1`);
    await user.api("POST", `${BASE}/1/restore`);
    const history = await user.api("GET", `/api/patient_data/${PATIENT}/history`);
    assert.equal(history.status, 200, history.text);
    const ofAdmission = history.body.filter((e: { admission_id?: number }) => e.admission_id === 1);
    const actions = ofAdmission.map((e: { action: string }) => e.action);
    assert.deepEqual(
      actions.filter((a: string) => a !== "view"),
      ["restore", "delete", "update", "create"],
    );
    const update = ofAdmission.find((e: { action: string }) => e.action === "update");
    assert.deepEqual(update.changes, { nihss_arrival: [8, 9], mrs_90d: [1, null] });
    assert.equal(update.reason, "NIHSS re-scored");
    assert.equal(update.user_id, user.id);
    const create = ofAdmission.find((e: { action: string }) => e.action === "create");
    assert.deepEqual(create.changes.arrival_at, [null, "2025-03-10T09:00:00.000Z"]);
    assert.deepEqual(create.changes.stroke_type, [null, "ischaemic"]);
    // The patient's own create is there too, without an admission.
    assert.ok(
      history.body.some((e: { action: string; admission_id?: number }) =>
        e.action === "create" && e.admission_id === undefined
      ),
    );
  },
);

apiTest("each read of an admission is audited as a view", async ({ user }) => {
  await withPatient(user);
  await user.api("POST", BASE, admissionBody());
  await user.api("GET", `${BASE}/1`);
  const history = await user.api("GET", `/api/patient_data/${PATIENT}/history`);
  const views = history.body.filter((e: { action: string; admission_id?: number }) =>
    e.action === "view" && e.admission_id === 1
  );
  assert.equal(views.length, 1);
});

apiTest("the API needs credentials", async ({ app }) => {
  for (const path of [BASE, `${BASE}/1`, "/api/quality_indicators", "/api/admissions/export"]) {
    const res = await app.request(path);
    assert.equal(res.status, 401, path);
    assert.match(res.headers.get("WWW-Authenticate") ?? "", /Bearer/);
  }
});

for (const backend of patientBackends()) {
  Deno.test(
    `[${backend.name}] a document of the original app (id stored as text, no times) has admissions too`,
    () =>
      withApiApp(backend, async ({ user, opened }) => {
        const { id: _, ...fields } = samplePatient();
        await opened.insertRaw(user.id, [{ ...fields, id: "31112", age: "67" }]);
        const before = await opened.rawDocument(user.id, PATIENT);
        const created = await user.api("POST", BASE, admissionBody());
        assert.equal(created.status, 201, created.text);
        assert.equal((await user.api("GET", BASE)).body.length, 1);
        const indicators = await user.api("GET", "/api/quality_indicators");
        assert.equal(indicators.body.admissions, 1);
        const exported = await user.api("GET", "/api/admissions/export");
        assert.match(exported.text, /\r\n31112,1,ischaemic,/);
        // The original document is left exactly as it was.
        assert.deepEqual(await opened.rawDocument(user.id, PATIENT), before);
      }),
  );
}
