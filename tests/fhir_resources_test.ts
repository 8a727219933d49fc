/**
 * Records and admissions as FHIR R4 resources: every resource built from the real dataset (5,110
 * patients) and from synthetic admissions passes the R4 validator, and a patient's resources carry
 * the codes and values the mapping table names — BMI unknown as `dataAbsentReason`, a Condition
 * only for a 1, a document of the original app read as the app reads it.
 */
import assert from "node:assert/strict";
import type { Condition, Encounter, Observation, Patient, Resource } from "@medplum/fhirtypes";
import { ADMISSION_MAPPING, PATIENT_MAPPING, SYSTEM } from "../lib/fhir/codes.ts";
import {
  admissionObservations,
  conditionResources,
  encounterResource,
  FhirMappingError,
  observationResources,
  patientResource,
  recordIdOf,
  recordResources,
} from "../lib/fhir/resources.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import { readStoredPatient } from "../lib/stored_patient.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import {
  byType,
  EDGE_ADMISSIONS,
  IDENTIFIER_SYSTEM,
  scopeOf,
  storedRecord,
  syntheticAdmissions,
  UPDATED_AT,
} from "./helpers/fhir_fixtures.ts";
import { assertValidFhir } from "./helpers/fhir_validator.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const PLAIN = scopeOf("plain");

function observation(resources: readonly Resource[], loincOrField: string): Observation {
  const found = byType<Observation>(resources, "Observation").find((o) =>
    o.code.coding?.some((c) => c.code === loincOrField)
  );
  assert.ok(found, `an Observation coded ${loincOrField}`);
  return found;
}

function codesOf(resource: { code?: { coding?: { system?: string; code?: string }[] } }) {
  return (resource.code?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

Deno.test("every resource of the 5,110 dataset patients and their admissions is valid R4, in both forms", () => {
  if (skipWithoutData(DATASET)) return;
  const { patients } = loadDataset()!;
  assert.equal(patients.length, 5110);
  const counts = new Map<string, number>();
  let admissions = 0;
  let scores = 0;
  let flags = 0;
  const started = performance.now();
  for (const fields of patients) {
    const record = storedRecord(fields);
    // Every patient who had a stroke has admissions, and one in ten of the others.
    const own = fields.stroke === 1 || fields.id % 10 === 0
      ? syntheticAdmissions(fields.id, 1 + (fields.id % 3))
      : [];
    admissions += own.length;
    scores += own.flatMap((a) => [a.nihss_arrival, a.mrs_discharge, a.mrs_90d])
      .filter((v) => v !== null).length;
    flags += fields.hypertension + fields.heart_disease + fields.stroke;
    for (const scope of [PLAIN, scopeOf("deidentified")]) {
      for (const resource of recordResources(record, own, scope)) {
        assertValidFhir(resource);
        const key = `${scope.form} ${resource.resourceType}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  for (const form of ["plain", "deidentified"]) {
    assert.equal(counts.get(`${form} Patient`), 5110);
    assert.equal(counts.get(`${form} Observation`), 5110 * 7 + scores);
    assert.equal(counts.get(`${form} Condition`), flags);
    assert.equal(counts.get(`${form} Encounter`), admissions);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(
    `Validated ${total} resources (${admissions} admissions per form) in ${seconds.toFixed(1)} s`,
  );
});

Deno.test("a patient's resources carry the mapping's codes and values", () => {
  const record = storedRecord(FIRST_ROW);
  const resources = recordResources(record, [], PLAIN);
  resources.forEach(assertValidFhir);

  const patient = resources[0] as Patient;
  assert.equal(patient.gender, "male");
  assert.deepEqual(patient.identifier?.map((i) => [i.system, i.value]), [
    [IDENTIFIER_SYSTEM, "9046"],
  ]);
  assert.equal(patient.meta?.lastUpdated, UPDATED_AT.toISOString());

  const age = observation(resources, "30525-0");
  assert.deepEqual(age.valueQuantity, {
    value: 67,
    unit: "years",
    system: SYSTEM.ucum,
    code: "a",
  });
  assert.equal(age.subject?.reference, `Patient/${patient.id}`);
  assert.equal(observation(resources, "39156-5").valueQuantity?.value, 36.6);
  assert.equal(observation(resources, "39156-5").valueQuantity?.code, "kg/m2");
  const glucose = observation(resources, "2339-0");
  assert.deepEqual([glucose.valueQuantity?.value, glucose.valueQuantity?.code], [228.69, "mg/dL"]);
  const answered = (code: string) =>
    observation(resources, code).valueCodeableConcept?.coding?.map((c) => c.code);
  assert.deepEqual(
    ["72166-2", "work_type", "Residence_type", "ever_married"].map(answered),
    [["8517006"], ["Private"], ["Urban"], ["Y"]],
  );
  assert.equal(patient.maritalStatus, undefined, "ever married says nothing of the status now");

  // Heart disease and stroke are 1, hypertension 0: two Conditions.
  const conditions = byType<Condition>(resources, "Condition");
  assert.deepEqual(conditions.map(codesOf), [
    [`${SYSTEM.snomed}|56265001`, `${SYSTEM.icd10}|I51.9`],
    [`${SYSTEM.snomed}|230690007`, `${SYSTEM.icd10}|I64`],
  ]);
  assert.ok(conditions.every((c) => c.clinicalStatus?.coding?.[0]?.code === "active"));
});

Deno.test("an unknown BMI is a dataAbsentReason, a never-married patient's status is S, each smoking status its SNOMED CT code", () => {
  const base = { ...FIRST_ROW, hypertension: 1, heart_disease: 0, stroke: 0 } as PatientFields;
  const unknown = recordResources(storedRecord({ ...base, bmi: null }), [], PLAIN);
  unknown.forEach(assertValidFhir);
  const bmi = observation(unknown, "39156-5");
  assert.equal(bmi.valueQuantity, undefined);
  assert.deepEqual(bmi.dataAbsentReason?.coding?.map((c) => [c.system, c.code]), [
    [SYSTEM.dataAbsentReason, "unknown"],
  ]);
  assert.deepEqual(byType<Condition>(unknown, "Condition").map((c) => c.code?.coding?.[0]?.code), [
    "38341003",
  ]);

  const single = patientResource(storedRecord({ ...base, ever_married: "No" }), PLAIN);
  assert.equal(single.maritalStatus?.coding?.[0]?.code, "S");

  const answers = PATIENT_MAPPING.smoking_status.value.answers;
  for (const status of ["never smoked", "formerly smoked", "smokes", "Unknown"] as const) {
    const obs = observation(
      observationResources(storedRecord({ ...base, smoking_status: status }), PLAIN),
      "72166-2",
    );
    assertValidFhir(obs);
    assert.deepEqual(obs.valueCodeableConcept?.coding?.map((c) => c.code), [
      answers[status][0]!.code,
    ]);
  }
  for (const gender of ["Female", "Other"] as const) {
    assert.equal(
      patientResource(storedRecord({ ...base, gender }), PLAIN).gender,
      gender.toLowerCase(),
    );
  }
  assert.deepEqual(conditionResources(storedRecord({ ...base, hypertension: 0 }), PLAIN), []);
});

Deno.test("a document of the original app is written as the app reads it; what cannot be read is an error, never a guess", () => {
  const record = readStoredPatient({
    id: "31112",
    gender: "Male",
    age: "80",
    hypertension: "0",
    heart_disease: "1",
    ever_married: "Yes",
    Residence_type: "Rural",
    avg_glucose_level: "high\u0007",
    bmi: "N/A",
    smoking_status: "sometimes",
    stroke: 1,
  });
  const resources = recordResources(record, [], PLAIN);
  resources.forEach(assertValidFhir);
  assert.equal((resources[0] as Patient).identifier?.[0]?.value, "31112");
  assert.equal((resources[0] as Patient).meta, undefined, "no time is known");
  assert.equal(observation(resources, "30525-0").valueQuantity?.value, 80);
  assert.equal(
    observation(resources, "39156-5").dataAbsentReason?.coding?.[0]?.code,
    "unknown",
  );
  const glucose = observation(resources, "2339-0");
  assert.equal(glucose.dataAbsentReason?.coding?.[0]?.code, "error");
  assert.match(glucose.note?.[0]?.text ?? "", /Stored as "high\\u0007"/);
  assert.equal(observation(resources, "72166-2").dataAbsentReason?.coding?.[0]?.code, "error");
  // A field the document does not have is unknown, not an error.
  const work = observation(resources, "work_type");
  assert.equal(work.dataAbsentReason?.coding?.[0]?.code, "unknown");
  assert.equal(work.note, undefined);
  assert.deepEqual(
    byType<Condition>(resources, "Condition").map((c) => c.code?.coding?.[0]?.code),
    ["56265001", "230690007"],
  );

  const nameless = readStoredPatient({ ...FIRST_ROW, id: "thirty" });
  assert.throws(() => recordIdOf(nameless), FhirMappingError);
  assert.throws(() => patientResource(nameless, PLAIN), /stored as "thirty"/);
});

Deno.test("an admission is an Encounter from arrival to discharge with its NIHSS and mRS Observations", () => {
  const recordId = 9046;
  const patientId = patientResource(storedRecord(FIRST_ROW), PLAIN).id;
  const [rehab, mimic, died, open] = EDGE_ADMISSIONS.map((a) => ({
    encounter: encounterResource(a, recordId, PLAIN),
    observations: admissionObservations(a, recordId, PLAIN),
  }));
  for (const { encounter, observations } of [rehab!, mimic!, died!, open!]) {
    assertValidFhir(encounter);
    observations.forEach(assertValidFhir);
    assert.equal(encounter.subject?.reference, `Patient/${patientId}`);
    for (const o of observations) {
      assert.equal(o.encounter?.reference, `Encounter/${encounter.id}`);
      assert.equal(o.subject?.reference, `Patient/${patientId}`);
    }
  }

  const e: Encounter = rehab!.encounter;
  assert.equal(e.status, "finished");
  assert.deepEqual([e.class.code, e.class.system], ["IMP", SYSTEM.actCode]);
  assert.deepEqual(e.period, {
    start: "2024-03-01T08:30:00.000Z",
    end: "2024-03-12T13:00:00.000Z",
  });
  assert.deepEqual(e.reasonCode?.[0]?.coding?.map((c) => c.code), ["ischaemic", "422504002"]);
  assert.equal(e.hospitalization?.dischargeDisposition?.coding?.[0]?.code, "rehab");
  const [nihss, mrsDischarge, mrs90] = rehab!.observations;
  assert.deepEqual(codesOf(nihss!), [
    `${SYSTEM.loinc}|72089-6`,
    `${ADMISSION_MAPPING.nihss_arrival.code[1].system}|nihss_arrival`,
  ]);
  assert.deepEqual([nihss!.valueInteger, nihss!.effectiveDateTime], [
    14,
    "2024-03-01T08:30:00.000Z",
  ]);
  assert.deepEqual(codesOf(mrsDischarge!)[0], `${SYSTEM.loinc}|75859-9`);
  assert.deepEqual([mrsDischarge!.valueInteger, mrsDischarge!.effectiveDateTime], [
    3,
    "2024-03-12T13:00:00.000Z",
  ]);
  assert.deepEqual([mrs90!.valueInteger, mrs90!.effectiveDateTime], [2, undefined]);
  assert.equal(mrs90!.code.coding?.[1]?.code, "mrs_90d");

  // Discharged home eight hours after arrival: an emergency encounter, and nothing was scored.
  assert.equal(mimic!.encounter.class.code, "EMER");
  assert.deepEqual(mimic!.encounter.reasonCode?.[0]?.coding?.map((c) => c.code), ["mimic"]);
  assert.deepEqual(mimic!.observations, []);

  assert.equal(died!.encounter.hospitalization?.dischargeDisposition?.coding?.[0]?.code, "exp");
  assert.deepEqual(died!.observations.map((o) => o.valueInteger), [31, 6, 6]);

  // Still in hospital: in progress, no end, no disposition; an NIHSS of 0 is a score.
  assert.equal(open!.encounter.status, "in-progress");
  assert.equal(open!.encounter.class.code, "IMP");
  assert.equal(open!.encounter.period?.end, undefined);
  assert.equal(open!.encounter.hospitalization, undefined);
  assert.deepEqual(open!.observations.map((o) => o.valueInteger), [0]);

  // Ids differ per admission and per score, and say nothing of the ids behind them.
  const ids = [rehab, mimic, died, open].flatMap((a) => [
    a!.encounter.id,
    ...a!.observations.map((o) => o.id),
  ]);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => !id!.includes("9046")));
});

Deno.test("every stroke type and discharge destination of synthetic admissions maps to a valid Encounter", () => {
  const seen = { types: new Set<string>(), dispositions: new Set<string>(), classes: new Set() };
  for (let seed = 1; seed <= 60; seed++) {
    for (const admission of syntheticAdmissions(seed, 5)) {
      const encounter = encounterResource(admission, seed, PLAIN);
      assertValidFhir(encounter);
      admissionObservations(admission, seed, PLAIN).forEach(assertValidFhir);
      seen.types.add(encounter.reasonCode![0]!.coding![0]!.code!);
      seen.classes.add(encounter.class.code);
      const disposition = encounter.hospitalization?.dischargeDisposition?.coding?.[0]?.code;
      if (disposition) seen.dispositions.add(disposition);
    }
  }
  assert.deepEqual([...seen.types].sort(), ["TIA", "haemorrhagic", "ischaemic", "mimic"]);
  assert.deepEqual([...seen.dispositions].sort(), ["exp", "home", "long", "other-hcf", "rehab"]);
  assert.deepEqual([...seen.classes].sort(), ["EMER", "IMP"]);
});
