/**
 * The FHIR documents around the resources: the CapabilityStatement a client reads first, a page of
 * search results, the OperationOutcome of every error status, and the mapping table with the app's
 * own code systems — each valid R4, each saying what a client relies on.
 */
import assert from "node:assert/strict";
import type { Bundle, CodeSystem } from "@medplum/fhirtypes";
import { CURSOR_PARAM, searchsetBundle } from "../lib/fhir/bundle.ts";
import { capabilityStatement } from "../lib/fhir/capability.ts";
import { appCodeSystems, mappingRows } from "../lib/fhir/codebook.ts";
import { ADMISSION_MAPPING, APP_SYSTEM, PATIENT_MAPPING, SYSTEM } from "../lib/fhir/codes.ts";
import {
  informationOutcome,
  ISSUE_OF_STATUS,
  operationOutcome,
  OUTCOME_STATUSES,
} from "../lib/fhir/outcome.ts";
import {
  admissionObservations,
  encounterResource,
  observationResources,
  patientResource,
} from "../lib/fhir/resources.ts";
import { PATIENT_FIELDS } from "../lib/patient_fields.ts";
import { EDGE_ADMISSIONS, scopeOf, storedRecord } from "./helpers/fhir_fixtures.ts";
import { assertValidFhir } from "./helpers/fhir_validator.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const BASE = "https://stroke.example.org/fhir";

Deno.test("the CapabilityStatement lists R4 JSON, Patient read and search, searches by patient and the Bulk Data exports", () => {
  const statement = capabilityStatement({ base: `${BASE}/`, version: "2.4.0", date: "2025-11-01" });
  assertValidFhir(statement);
  assert.equal(statement.fhirVersion, "4.0.1");
  assert.deepEqual(statement.format, ["application/fhir+json"]);
  assert.equal(statement.kind, "instance");
  assert.equal(statement.implementation?.url, BASE);
  assert.ok(
    statement.instantiates?.includes(
      "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data",
    ),
  );
  const rest = statement.rest![0]!;
  const resources = new Map(rest.resource!.map((r) => [r.type, r]));
  assert.deepEqual([...resources.keys()], ["Patient", "Observation", "Condition", "Encounter"]);
  assert.deepEqual(resources.get("Patient")!.interaction!.map((i) => i.code), [
    "read",
    "search-type",
  ]);
  assert.deepEqual(
    resources.get("Patient")!.operation!.map((o) => [o.name, o.definition]),
    [["export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"]],
  );
  for (const type of ["Observation", "Condition", "Encounter"] as const) {
    const resource = resources.get(type)!;
    assert.deepEqual(resource.interaction!.map((i) => i.code), ["search-type"], type);
    assert.deepEqual(resource.searchParam!.map((p) => [p.name, p.type]), [[
      "patient",
      "reference",
    ]]);
  }
  assert.deepEqual(rest.operation!.map((o) => [o.name, o.definition]), [
    ["export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"],
  ]);
});

Deno.test("a searchset Bundle gives the total, every entry's full URL, and a next link while more pages follow", () => {
  const scope = scopeOf("plain");
  const page = [patientResource(storedRecord(FIRST_ROW), scope)];
  const self = `${BASE}/Patient?registry=reg-7f3a&_count=1`;
  const first: Bundle = searchsetBundle({
    base: BASE,
    self,
    resources: page,
    total: 5110,
    nextCursor: "eyJpZCI6OTA0Nn0",
  });
  assertValidFhir(first);
  assert.equal(first.type, "searchset");
  assert.equal(first.total, 5110);
  assert.deepEqual(first.entry!.map((e) => [e.fullUrl, e.search?.mode]), [
    [`${BASE}/Patient/${page[0]!.id}`, "match"],
  ]);
  const links = new Map(first.link!.map((l) => [l.relation, l.url]));
  assert.equal(links.get("self"), self);
  const next = new URL(links.get("next")!);
  assert.equal(next.searchParams.get(CURSOR_PARAM), "eyJpZCI6OTA0Nn0");
  assert.equal(next.searchParams.get("registry"), "reg-7f3a", "the search is kept");

  // Following it: the cursor is replaced, not repeated; the last page has no next link.
  const last = searchsetBundle({
    base: BASE,
    self: next,
    resources: observationResources(storedRecord(FIRST_ROW), scope),
    total: 5110,
    nextCursor: null,
  });
  assertValidFhir(last);
  assert.deepEqual(last.link!.map((l) => l.relation), ["self"]);
  assert.equal(new URL(last.link![0]!.url!).searchParams.getAll(CURSOR_PARAM).length, 1);
  assert.equal(last.entry!.length, 7);

  const empty = searchsetBundle({ base: BASE, self, resources: [], total: 0, nextCursor: null });
  assertValidFhir(empty);
  assert.deepEqual([empty.total, empty.entry], [0, []]);
});

Deno.test("every error status has an OperationOutcome whose issue code says what kind of error it is", () => {
  const expected = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    500: "exception",
    503: "transient",
  };
  for (const status of OUTCOME_STATUSES) {
    const outcome = operationOutcome(status, `Something went wrong (${status})`, {
      expression: status === 400 ? ["_count"] : [],
      ...(status === 500 ? { diagnostics: "Request id 7c1f" } : {}),
    });
    assertValidFhir(outcome);
    const issue = outcome.issue[0]!;
    assert.equal(issue.code, expected[status]);
    assert.equal(issue.code, ISSUE_OF_STATUS[status].code);
    assert.equal(issue.severity, status >= 500 ? "fatal" : "error");
    assert.equal(issue.details?.text, `Something went wrong (${status})`);
  }
  assert.deepEqual(operationOutcome(400, "Bad", { expression: ["_count"] }).issue[0]!.expression, [
    "_count",
  ]);
  assert.equal(
    operationOutcome(500, "Oops", { diagnostics: "Request id 7c1f" }).issue[0]!.diagnostics,
    "Request id 7c1f",
  );
  const cancelled = informationOutcome("The export was cancelled");
  assertValidFhir(cancelled);
  assert.equal(cancelled.issue[0]!.severity, "information");
});

Deno.test("the mapping table covers every field of a record and an admission, and names a source for every code", () => {
  const rows = mappingRows();
  assert.deepEqual(
    rows.filter((r) => r.of === "record").map((r) => r.field),
    [...PATIENT_FIELDS],
  );
  assert.deepEqual(
    rows.filter((r) => r.of === "admission").map((r) => r.field),
    Object.keys(ADMISSION_MAPPING),
  );
  for (const row of rows) {
    if (row.resource === null) {
      assert.match(row.note, /Procedure/, row.field);
      continue;
    }
    assert.ok(row.source.length > 0, row.field);
    for (const code of row.codes) assert.ok(code.display.length > 0, `${row.field} ${code.code}`);
  }
  const codes = rows.flatMap((r) => r.codes.map((c) => `${c.system}|${c.code}`));
  for (
    const required of [
      `${SYSTEM.loinc}|30525-0`,
      `${SYSTEM.loinc}|39156-5`,
      `${SYSTEM.loinc}|72166-2`,
      `${SYSTEM.loinc}|72089-6`,
      `${SYSTEM.loinc}|75859-9`,
      `${SYSTEM.snomed}|266919005`,
      `${SYSTEM.snomed}|8517006`,
      `${SYSTEM.snomed}|77176002`,
      `${SYSTEM.snomed}|266927001`,
      `${SYSTEM.snomed}|38341003`,
      `${SYSTEM.icd10}|I10`,
      `${SYSTEM.snomed}|56265001`,
      `${SYSTEM.icd10}|I51.9`,
      `${SYSTEM.snomed}|230690007`,
      `${SYSTEM.icd10}|I64`,
    ]
  ) assert.ok(codes.includes(required), required);
});

Deno.test("the app's own code systems are valid CodeSystems that define every code the resources use", () => {
  const systems: CodeSystem[] = appCodeSystems();
  systems.forEach(assertValidFhir);
  assert.deepEqual(systems.map((s) => s.url).sort(), Object.values(APP_SYSTEM).sort());
  const defined = new Set(systems.flatMap((s) => s.concept!.map((c) => `${s.url}|${c.code}`)));

  const scope = scopeOf("plain");
  const used = new Set<string>();
  const collect = (o: { code?: { coding?: { system?: string; code?: string }[] } }) =>
    o.code?.coding?.forEach((c) => used.add(`${c.system}|${c.code}`));
  const works = Object.keys(
    PATIENT_MAPPING.work_type.value.answers,
  ) as (typeof FIRST_ROW.work_type)[];
  for (const work_type of works) {
    for (const o of observationResources(storedRecord({ ...FIRST_ROW, work_type }), scope)) {
      collect(o);
      o.valueCodeableConcept?.coding?.forEach((c) => used.add(`${c.system}|${c.code}`));
    }
  }
  for (const residence of ["Rural", "Urban"] as const) {
    for (
      const o of observationResources(
        storedRecord({ ...FIRST_ROW, Residence_type: residence }),
        scope,
      )
    ) {
      o.valueCodeableConcept?.coding?.forEach((c) => used.add(`${c.system}|${c.code}`));
    }
  }
  for (const type of ["ischaemic", "haemorrhagic", "TIA", "mimic"] as const) {
    const encounter = encounterResource({ ...EDGE_ADMISSIONS[0]!, stroke_type: type }, 1, scope);
    encounter.reasonCode!.forEach((c) =>
      c.coding!.forEach((x) => used.add(`${x.system}|${x.code}`))
    );
  }
  EDGE_ADMISSIONS.flatMap((a) => admissionObservations(a, 1, scope)).forEach(collect);
  const own = [...used].filter((c) => c.startsWith("urn:uuid:"));
  assert.ok(own.length >= 15, `${own.length} of the app's codes used`);
  for (const c of own) assert.ok(defined.has(c), `${c} is defined`);
});

Deno.test("the tests' validator refuses what R4 refuses: a wrong code, a bad id, a missing status, a value beside its absence", () => {
  const patient = patientResource(storedRecord(FIRST_ROW), scopeOf("plain"));
  const bmi = observationResources(storedRecord(FIRST_ROW), scopeOf("plain"))[5]!;
  const cases: [string, unknown, RegExp][] = [
    ["gender as the dataset writes it", { ...patient, gender: "Male" }, /administrative-gender/],
    ["an id with an underscore", { ...patient, id: "a_b" }, /not a FHIR id/],
    ["no status", { ...bmi, status: undefined }, /Observation\.status/],
    [
      "a value and a reason for its absence",
      { ...bmi, dataAbsentReason: { text: "unknown" } },
      /obs-6/,
    ],
    ["an unknown element", { ...patient, age: 67 }, /Patient\.age/],
  ];
  for (const [what, resource, message] of cases) {
    assert.throws(() => assertValidFhir(resource as typeof patient), message, what);
  }
});
