/**
 * The ids and the de-identified form a registry's viewers receive: no record id anywhere, other
 * ids than the plain form's (stable all the same, so a receiver updates rather than duplicates),
 * every date moved back by the patient's own shift (intervals kept), and ids readable back only
 * by this server, in this registry and form.
 */
import assert from "node:assert/strict";
import type { Encounter, Observation, Patient } from "@medplum/fhirtypes";
import {
  dateShiftDays,
  FhirKeys,
  MAX_DATE_SHIFT_DAYS,
  patientToken,
  readFhirId,
} from "../lib/fhir/ids.ts";
import {
  admissionObservations,
  encounterResource,
  patientResource,
  recordResources,
} from "../lib/fhir/resources.ts";
import { readStoredPatient } from "../lib/stored_patient.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import {
  byType,
  EDGE_ADMISSIONS,
  REGISTRY,
  scopeOf,
  storedRecord,
  TEST_KEYS,
  TEST_SECRET,
} from "./helpers/fhir_fixtures.ts";
import { assertValidFhir } from "./helpers/fhir_validator.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const PLAIN = scopeOf("plain");
const DEID = scopeOf("deidentified");
const DAY = 24 * 60 * 60 * 1000;

Deno.test("the de-identified form names no record id and no record time, and says it is pseudonymised", () => {
  const record = readStoredPatient({
    ...FIRST_ROW,
    id: 31112,
    avg_glucose_level: "patient 31112's",
    created_at: new Date("2025-01-02T03:04:05Z"),
    updated_at: new Date("2025-01-02T03:04:05Z"),
    revision: "r1",
  });
  const resources = recordResources(record, EDGE_ADMISSIONS, DEID);
  resources.forEach(assertValidFhir);
  const text = JSON.stringify(resources);
  assert.doesNotMatch(text, /31112/, "neither as an identifier nor in a note");
  assert.doesNotMatch(text, /2025-01-02/, "no record time");
  const patient = resources[0] as Patient;
  assert.equal(patient.identifier, undefined);
  for (const resource of resources) {
    assert.deepEqual(resource.meta?.security?.map((s) => s.code), ["PSEUDED"]);
    assert.equal(resource.meta?.lastUpdated, undefined);
  }
  // The values stay: a viewer may read them through the API too.
  assert.equal(patient.gender, "male");
  const age = byType<Observation>(resources, "Observation").find((o) =>
    o.code.coding?.[0]?.code === "30525-0"
  );
  assert.equal(age?.valueQuantity?.value, 67);
});

Deno.test("de-identified ids are stable, unlike the plain ones, and depend on the server's secret", () => {
  const record = storedRecord(FIRST_ROW);
  const plain = recordResources(record, EDGE_ADMISSIONS, PLAIN).map((r) => r.id!);
  const deid = recordResources(record, EDGE_ADMISSIONS, DEID).map((r) => r.id!);
  const again = recordResources(
    record,
    EDGE_ADMISSIONS,
    scopeOf("deidentified", REGISTRY, new FhirKeys(TEST_SECRET)),
  )
    .map((r) => r.id!);
  assert.deepEqual(again, deid, "another instance with the same secret gives the same ids");
  assert.equal(plain.length, deid.length);
  assert.ok(plain.every((id) => !deid.includes(id)), "no id is shared by the two forms");
  const tokens = (ids: string[]) => new Set(ids.map((id) => id.split("-")[0]));
  assert.ok([...tokens(plain)].every((t) => !tokens(deid).has(t)));

  const otherSecret = new FhirKeys("another server's secret, also long");
  assert.notEqual(patientToken(otherSecret, REGISTRY, 9046, "deidentified"), deid[0]);
  assert.notEqual(patientToken(TEST_KEYS, "reg-other", 9046, "deidentified"), deid[0]);
  assert.throws(() => new FhirKeys("short"), /at least 16/);
});

Deno.test("every date of a de-identified patient moves back by the same whole number of days", () => {
  const recordId = 9046;
  const shift = dateShiftDays(TEST_KEYS, REGISTRY, recordId);
  assert.ok(Number.isInteger(shift) && shift >= 1 && shift <= MAX_DATE_SHIFT_DAYS, `${shift}`);
  for (const admission of EDGE_ADMISSIONS) {
    const plain: Encounter = encounterResource(admission, recordId, PLAIN);
    const deid: Encounter = encounterResource(admission, recordId, DEID);
    assertValidFhir(deid);
    const ms = (t: string | undefined) => (t === undefined ? null : Date.parse(t));
    assert.equal(ms(plain.period!.start)! - ms(deid.period!.start)!, shift * DAY);
    if (plain.period!.end !== undefined) {
      assert.equal(ms(plain.period!.end)! - ms(deid.period!.end)!, shift * DAY);
    }
    const plainObs = admissionObservations(admission, recordId, PLAIN);
    const deidObs = admissionObservations(admission, recordId, DEID);
    assert.deepEqual(deidObs.map((o) => o.valueInteger), plainObs.map((o) => o.valueInteger));
    plainObs.forEach((o, i) => {
      if (o.effectiveDateTime === undefined) return;
      assert.equal(ms(o.effectiveDateTime)! - ms(deidObs[i]!.effectiveDateTime)!, shift * DAY);
    });
    assert.equal(
      deid.subject?.reference,
      `Patient/${patientResource(storedRecord(FIRST_ROW), DEID).id}`,
    );
  }
  assert.equal(dateShiftDays(new FhirKeys(TEST_SECRET), REGISTRY, recordId), shift, "stable");
});

Deno.test("date shifts differ between the dataset's patients, and never move a date forward", () => {
  if (skipWithoutData(DATASET)) return;
  const shifts = loadDataset()!.patients.map((p) => dateShiftDays(TEST_KEYS, REGISTRY, p.id));
  assert.ok(shifts.every((s) => s >= 1 && s <= MAX_DATE_SHIFT_DAYS));
  const distinct = new Set(shifts).size;
  assert.ok(distinct > 350, `${distinct} distinct shifts among 5,110 patients`);
});

Deno.test("an id is read back only in its own registry and form; a made-up or altered one names nothing", () => {
  const record = storedRecord(FIRST_ROW);
  for (const scope of [PLAIN, DEID]) {
    const resources = recordResources(record, EDGE_ADMISSIONS, scope);
    const patient = resources[0]!.id!;
    assert.deepEqual(readFhirId(TEST_KEYS, REGISTRY, patient, scope.form), {
      kind: "patient",
      recordId: 9046,
      part: null,
    });
    const encounter = byType<Encounter>(resources, "Encounter")[2]!.id!;
    assert.deepEqual(readFhirId(TEST_KEYS, REGISTRY, encounter, scope.form), {
      kind: "admission",
      recordId: 9046,
      admissionId: 3,
      part: null,
    });
    const bmi = byType<Observation>(resources, "Observation").find((o) =>
      o.code.coding?.[0]?.code === "39156-5"
    )!.id!;
    assert.deepEqual(readFhirId(TEST_KEYS, REGISTRY, bmi, scope.form), {
      kind: "patient",
      recordId: 9046,
      part: "bmi",
    });
    const other = scope.form === "plain" ? "deidentified" : "plain";
    assert.equal(readFhirId(TEST_KEYS, REGISTRY, patient, other), null, "the other form's");
    assert.equal(
      readFhirId(TEST_KEYS, "reg-other", patient, scope.form),
      null,
      "another registry's",
    );
    assert.equal(
      readFhirId(new FhirKeys("another server's secret, also long"), REGISTRY, patient, scope.form),
      null,
    );
    const altered = (patient[0] === "a" ? "b" : "a") + patient.slice(1);
    assert.equal(readFhirId(TEST_KEYS, REGISTRY, altered, scope.form), null);
  }
  for (
    const junk of [
      "",
      "9046",
      "Patient/9046",
      "a".repeat(26),
      "A".repeat(26),
      "x".repeat(200),
      "aaaa-Bmi",
    ]
  ) {
    assert.equal(readFhirId(TEST_KEYS, REGISTRY, junk, "plain"), null, junk);
  }
});
