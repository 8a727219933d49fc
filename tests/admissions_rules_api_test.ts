/**
 * Every admission rule refused through the API with a 422 naming the field, and nothing stored:
 * shapes (required fields, values, ranges, date-times with an offset), no time in the future,
 * the order of the times, died ⇔ mRS 6 at discharge, only mRS 6 at 90 days after a death in
 * hospital, and what the server keeps. A 404 comes before a 422.
 */
import assert from "node:assert/strict";
import { apiTest, errorFields, samplePatient } from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";

const BASE = "/api/patient_data/1/admissions";

/** A body and the fields its 422 names. */
const REFUSED: [string, Record<string, unknown>, string[]][] = [
  ["stroke type missing", admissionBody({ stroke_type: undefined }), ["stroke_type"]],
  ["stroke type unknown", admissionBody({ stroke_type: "stroke" }), ["stroke_type"]],
  ["arrival missing", admissionBody({ arrival_at: undefined }), ["arrival_at"]],
  ["arrival null", admissionBody({ arrival_at: null }), ["arrival_at"]],
  [
    "a time without an offset",
    admissionBody({ arrival_at: "2025-03-10T09:00:00" }),
    ["arrival_at"],
  ],
  ["a time that is not one", admissionBody({ imaging_at: "soon" }), ["imaging_at"]],
  ["a day that is not real", admissionBody({ discharge_at: "2025-02-30T10:00:00Z" }), [
    "discharge_at",
  ]],
  ["a time before 1900", admissionBody({ last_known_well_at: "1899-12-31T23:00:00Z" }), [
    "last_known_well_at",
  ]],
  ["a time as a number", admissionBody({ arrival_at: 1741597200000 }), ["arrival_at"]],
  ["a time in the future", admissionBody({ discharge_at: "2999-01-01T00:00:00Z" }), [
    "discharge_at",
  ]],
  ["onset after arrival", admissionBody({ last_known_well_at: "2025-03-10T09:30:00Z" }), [
    "last_known_well_at",
  ]],
  ["imaging before arrival", admissionBody({ imaging_at: "2025-03-10T08:59:00Z" }), [
    "imaging_at",
  ]],
  ["needle before arrival", admissionBody({ thrombolysis_at: "2025-03-10T08:00:00+00:00" }), [
    "thrombolysis_at",
  ]],
  ["puncture before arrival", admissionBody({ thrombectomy_at: "2025-03-10T09:30:00+01:00" }), [
    "thrombectomy_at",
  ]],
  ["discharge before arrival", admissionBody({ discharge_at: "2025-03-09T12:00:00Z" }), [
    "discharge_at",
  ]],
  ["NIHSS above 42", admissionBody({ nihss_arrival: 43 }), ["nihss_arrival"]],
  ["NIHSS below 0", admissionBody({ nihss_arrival: -1 }), ["nihss_arrival"]],
  ["NIHSS not whole", admissionBody({ nihss_arrival: 4.5 }), ["nihss_arrival"]],
  ["NIHSS as text", admissionBody({ nihss_arrival: "8" }), ["nihss_arrival"]],
  ["destination unknown", admissionBody({ discharge_destination: "hospice" }), [
    "discharge_destination",
  ]],
  ["mRS at discharge above 6", admissionBody({ mrs_discharge: 7 }), ["mrs_discharge"]],
  ["mRS at 90 days above 6", admissionBody({ mrs_90d: 7 }), ["mrs_90d"]],
  [
    "died but mRS 3 at discharge",
    admissionBody({ discharge_destination: "died", mrs_discharge: 3, mrs_90d: null }),
    ["mrs_discharge"],
  ],
  [
    "mRS 6 at discharge but gone home",
    admissionBody({ discharge_destination: "home", mrs_discharge: 6, mrs_90d: 6 }),
    ["discharge_destination"],
  ],
  [
    "died in hospital, then mRS 4 at 90 days",
    admissionBody({ discharge_destination: "died", mrs_discharge: 6, mrs_90d: 4 }),
    ["mrs_90d"],
  ],
  ["an unknown field", admissionBody({ door_to_needle: 45 }), ["door_to_needle"]],
  ["the number, which the app assigns", admissionBody({ admission_id: 3 }), ["admission_id"]],
  ["a field the server keeps", admissionBody({ patient_id: 1, revision: "x" }), [
    "patient_id",
    "revision",
  ]],
  ["an operator", admissionBody({ $set: { mrs_90d: 0 } }), ["$set"]],
  [
    "several at once",
    admissionBody({ nihss_arrival: 50, stroke_type: "x", imaging_at: "2025-03-10T08:00:00Z" }),
    ["imaging_at", "nihss_arrival", "stroke_type"],
  ],
];

apiTest(
  "POST refuses each broken rule with a 422 naming its field, storing nothing",
  async ({ user }) => {
    assert.equal(
      (await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }))).status,
      201,
    );
    for (const [what, body, fields] of REFUSED) {
      const res = await user.api("POST", BASE, body);
      assert.equal(res.status, 422, `${what}: ${res.text}`);
      assert.deepEqual(errorFields(res), fields, what);
      for (const error of res.body.errors) assert.ok(error.message.length > 5, what);
    }
    assert.deepEqual((await user.api("GET", BASE)).body, []);
  },
);

apiTest("PUT and PATCH refuse broken rules, naming the field sent", async ({ user }) => {
  await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
  const created = await user.api("POST", BASE, admissionBody());
  assert.equal(created.status, 201);
  const cases: [string, "PUT" | "PATCH", Record<string, unknown>, string[]][] = [
    ["another number", "PUT", admissionBody({ admission_id: 2 }), ["admission_id"]],
    ["PUT without arrival", "PUT", { stroke_type: "TIA" }, ["arrival_at"]],
    ["an empty patch", "PATCH", {}, [""]],
    ["a patch of the number", "PATCH", { admission_id: 2, nihss_arrival: 3 }, ["admission_id"]],
    // The number may be repeated, but it changes nothing.
    ["a patch repeating the number only", "PATCH", { admission_id: 1 }, [""]],
    // Arrival moved after imaging: told about arrival, the field that was sent.
    ["arrival moved after imaging", "PATCH", { arrival_at: "2025-03-10T09:25:00Z" }, [
      "arrival_at",
    ]],
    ["died, keeping mRS 2", "PATCH", { discharge_destination: "died" }, ["discharge_destination"]],
    ["a patch to the future", "PATCH", { discharge_at: "2999-01-01T00:00:00Z" }, [
      "discharge_at",
    ]],
  ];
  for (const [what, method, body, fields] of cases) {
    const res = await user.api(method, `${BASE}/1`, body);
    assert.equal(res.status, 422, `${what}: ${res.text}`);
    assert.deepEqual(errorFields(res), fields, what);
  }
  const read = await user.api("GET", `${BASE}/1`);
  assert.equal(read.headers.get("ETag"), created.headers.get("ETag"), "nothing was written");
  // Both sides of the died ⇔ mRS 6 rule at once are fine, as is a repeated number.
  const died = await user.api("PATCH", `${BASE}/1`, {
    discharge_destination: "died",
    mrs_discharge: 6,
    mrs_90d: 6,
  });
  assert.equal(died.status, 200, died.text);
  const replaced = await user.api("PUT", `${BASE}/1`, admissionBody({ admission_id: 1 }));
  assert.equal(replaced.status, 200, replaced.text);
});

apiTest(
  "thrombolysis of a haemorrhagic stroke is accepted (the quality check flags it)",
  async ({ user }) => {
    await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
    const res = await user.api("POST", BASE, admissionBody({ stroke_type: "haemorrhagic" }));
    assert.equal(res.status, 201, res.text);
    // A patient discharged alive may die later: mRS 6 at 90 days is no contradiction.
    const later = await user.api("POST", BASE, admissionBody({ mrs_90d: 6 }));
    assert.equal(later.status, 201, later.text);
  },
);

apiTest("a patient that is not there is a 404 even for a broken body", async ({ user }) => {
  const res = await user.api("POST", BASE, { stroke_type: "nonsense" });
  assert.equal(res.status, 404);
  await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
  assert.equal((await user.api("PATCH", `${BASE}/9`, { stroke_type: "nonsense" })).status, 404);
});

apiTest("a body that is not JSON is a 415 or a 400", async ({ user }) => {
  await user.api("POST", "/api/patient_data", samplePatient({ id: 1 }));
  assert.equal(
    (await user.api("POST", BASE, "{", { "Content-Type": "application/json" })).status,
    400,
  );
  assert.equal(
    (await user.api("POST", BASE, "stroke_type=TIA", {
      "Content-Type": "application/x-www-form-urlencoded",
    })).status,
    415,
  );
  assert.equal((await user.api("POST", BASE, [1, 2])).status, 422);
});
