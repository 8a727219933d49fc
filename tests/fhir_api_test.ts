/**
 * The FHIR R4 API as a hospital system meets it: the CapabilityStatement without credentials,
 * Patients read by id and searched in pages (following `next` links), a patient's Observations,
 * Conditions and Encounters — every body valid R4, every error an OperationOutcome — with the
 * API's authentication (token or session), registries and roles: a viewer reads the de-identified
 * form, a non-member and another registry's ids get 404, a bound token reads its registry only.
 */
import assert from "node:assert/strict";
import type {
  Bundle,
  CapabilityStatement,
  Condition,
  Encounter,
  Observation,
  Patient,
} from "@medplum/fhirtypes";
import { SYSTEM } from "../lib/fhir/codes.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import {
  type ApiApp,
  type ApiUser,
  loadDocument,
  PASSWORD,
  registerApiUser,
  withApiApp,
} from "./helpers/api.ts";
import { admissionBody, SAMPLE_ADMISSION } from "./helpers/admissions.ts";
import { mongoServer, patientBackends } from "./helpers/backends.ts";
import { withMongoOutageApp } from "./helpers/outage_apps.ts";
import { allPages, entries, type FhirCall, fhirClient, outcomeText } from "./helpers/fhir_api.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { addMember, teamRegistry } from "./helpers/registries.ts";

const ORIGIN = "http://127.0.0.1:5000";
const DAY_MS = 86_400_000;

/** Runs `fn` on the embedded store, and on FerretDB too when `both` (and MONGO_URI is set). */
function fhirTest(name: string, fn: (ctx: ApiApp) => Promise<void>, both = false): void {
  for (const backend of patientBackends()) {
    if (!both && backend.name !== "embedded") continue;
    Deno.test(`[${backend.name}] ${name}`, () => withApiApp(backend, fn));
  }
}

/** `count` records with ids 101, 102, … (odd ones with a stroke and hypertension). */
function records(count: number): PatientFields[] {
  return Array.from({ length: count }, (_, i) => ({
    ...FIRST_ROW,
    id: 101 + i,
    age: 40 + i,
    hypertension: (i % 2) as 0 | 1,
    stroke: (i % 2) as 0 | 1,
    bmi: i === 0 ? null : 25 + i,
  }));
}

/** The record id a plain Patient names in its identifier. */
function recordIdOf(patient: Patient): number {
  assert.equal(patient.identifier?.length, 1, "one identifier: the record id");
  return Number(patient.identifier![0]!.value);
}

/** The Patient with record id `id`, found by paging through the search. */
async function patientWithRecord(call: FhirCall, id: number, query = ""): Promise<Patient> {
  const { resources } = await allPages(call, `/fhir/Patient?_count=500${query}`);
  const found = (resources as Patient[]).find((p) => p.identifier?.[0]?.value === String(id));
  assert.ok(found, `a Patient for record ${id}`);
  return found;
}

fhirTest(
  "the CapabilityStatement is public and valid; everything else needs a token or a session",
  async ({ app, user }) => {
    const anonymous = fhirClient(app);
    const metadata = await anonymous("/fhir/metadata");
    assert.equal(metadata.status, 200);
    assert.equal(metadata.headers.get("Content-Type"), "application/fhir+json; charset=utf-8");
    const statement = metadata.body as CapabilityStatement;
    assert.equal(statement.fhirVersion, "4.0.1");
    assert.equal(statement.implementation?.url, `${ORIGIN}/fhir`);
    assert.equal((await anonymous("/fhir/metadata?_format=json")).status, 200, "_format=json");

    for (const path of ["/fhir/Patient", "/fhir/Observation?patient=x", "/fhir/$export"]) {
      const refused = await anonymous(path);
      assert.equal(refused.status, 401, path);
      assert.match(refused.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
      assert.equal(refused.body.issue[0].code, "login");
    }
    const badToken = await fhirClient(app, "spm_not-a-token")("/fhir/Patient");
    assert.equal(badToken.status, 401);

    assert.equal((await fhirClient(app, user.token)("/fhir/Patient")).status, 200, "a token");
  },
);

fhirTest(
  "Patients come in pages with next links, each readable by its id; unknown ids are 404",
  async ({ app, user, patients }) => {
    await patients.insertMany(user.id, records(7));
    const call = fhirClient(app, user.token);
    const { resources, pages } = await allPages(call, "/fhir/Patient?_count=3");
    assert.equal(pages.length, 3, "7 Patients in pages of 3");
    assert.deepEqual(pages.map((p) => entries(p).length), [3, 3, 1]);
    for (const page of pages) {
      assert.equal(page.type, "searchset");
      assert.equal(page.total, 7);
      const self = page.link?.find((l) => l.relation === "self")?.url ?? "";
      assert.ok(self.startsWith(`${ORIGIN}/fhir/Patient?`), self);
      for (const entry of page.entry ?? []) {
        assert.equal(entry.fullUrl, `${ORIGIN}/fhir/Patient/${entry.resource!.id}`);
      }
    }
    assert.equal(pages.at(-1)!.link?.some((l) => l.relation === "next"), false, "the last page");
    const patientsFound = resources as Patient[];
    assert.deepEqual(patientsFound.map(recordIdOf), [101, 102, 103, 104, 105, 106, 107]);
    assert.equal(new Set(patientsFound.map((p) => p.id)).size, 7, "ids are distinct");
    assert.equal(
      patientsFound[0]!.identifier![0]!.system,
      `${ORIGIN}/registries/p${user.id}`,
      "the identifier's system is the registry's address",
    );

    for (const patient of patientsFound.slice(0, 3)) {
      const read = await call(`/fhir/Patient/${patient.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, patient, "a read gives what the search gave");
    }
    const again = await allPages(call, "/fhir/Patient?_count=500");
    assert.deepEqual(
      again.resources.map((p) => p.id),
      patientsFound.map((p) => p.id),
      "ids are stable",
    );

    for (const id of ["unknownid", "a".repeat(26), `${patientsFound[0]!.id}-bmi`, "no_such"]) {
      const missing = await call(`/fhir/Patient/${id}`);
      assert.equal(missing.status, 404, id);
      assert.equal(missing.body.issue[0].code, "not-found");
    }
    // A record deleted through the API is gone from FHIR at once.
    await user.api("DELETE", "/api/patient_data/101");
    assert.equal((await call(`/fhir/Patient/${patientsFound[0]!.id}`)).status, 404);
    assert.equal((await call("/fhir/Patient?_count=0")).body.total, 6, "_count=0: the total");
  },
  true,
);

fhirTest(
  "a patient's Observations, Conditions and Encounters carry the mapping's codes; reads are audited",
  async ({ app, user, patients }) => {
    const call = fhirClient(app, user.token);
    const created = await user.api("POST", "/api/patient_data", {
      ...FIRST_ROW,
      id: 7,
      bmi: null,
      hypertension: 1,
      heart_disease: 0,
      stroke: 1,
    });
    assert.equal(created.status, 201, created.text);
    const admission = await user.api("POST", "/api/patient_data/7/admissions", admissionBody());
    assert.equal(admission.status, 201, admission.text);
    const patient = await patientWithRecord(call, 7);

    const observations = entries<Observation>(
      (await call(`/fhir/Observation?patient=${patient.id}`)).body,
    );
    const coded = (code: string) =>
      observations.find((o) => o.code.coding?.some((c) => c.code === code));
    const bmi = coded("39156-5")!;
    assert.equal(bmi.valueQuantity, undefined);
    assert.equal(bmi.dataAbsentReason?.coding?.[0]?.code, "unknown", "BMI null: dataAbsentReason");
    assert.equal(coded("30525-0")!.valueQuantity?.value, FIRST_ROW.age);
    assert.equal(coded("2339-0")!.valueQuantity?.value, FIRST_ROW.avg_glucose_level);
    assert.deepEqual(
      coded("72166-2")!.valueCodeableConcept?.coding?.map((c) => [c.system, c.code]),
      [[SYSTEM.snomed, "8517006"]],
      "formerly smoked: SNOMED CT ex-smoker",
    );
    const nihss = coded("72089-6")!;
    assert.equal(nihss.valueInteger, SAMPLE_ADMISSION.nihss_arrival);
    assert.ok(nihss.encounter?.reference?.startsWith("Encounter/"));
    assert.equal(
      observations.filter((o) => o.code.coding?.some((c) => c.code === "75859-9")).length,
      2,
    );
    assert.ok(observations.every((o) => o.subject?.reference === `Patient/${patient.id}`));

    const same = await call(`/fhir/Observation?patient=Patient/${patient.id}`);
    assert.equal(same.body.total, observations.length, "patient=Patient/{id} is the same search");
    const absolute = await call(`/fhir/Observation?patient=${ORIGIN}/fhir/Patient/${patient.id}`);
    assert.equal(absolute.body.total, observations.length, "and so is an absolute reference");

    const conditions = entries<Condition>(
      (await call(`/fhir/Condition?patient=${patient.id}`)).body,
    );
    assert.deepEqual(
      conditions.map((c) => c.code?.coding?.find((x) => x.system === SYSTEM.icd10)?.code).sort(),
      ["I10", "I64"],
      "hypertension and stroke (1); no heart disease (0)",
    );

    const encounters = entries<Encounter>(
      (await call(`/fhir/Encounter?patient=${patient.id}`)).body,
    );
    assert.equal(encounters.length, 1);
    assert.equal(encounters[0]!.status, "finished");
    assert.deepEqual(encounters[0]!.period, {
      start: SAMPLE_ADMISSION.arrival_at.toISOString(),
      end: SAMPLE_ADMISSION.discharge_at!.toISOString(),
    });
    assert.equal(nihss.encounter?.reference, `Encounter/${encounters[0]!.id}`);

    // Each read of one patient is a view in the audit log, like the API's.
    const views = (await patients.audit.history(user.id, 7)).filter((e) => e.action === "view");
    assert.deepEqual(
      views.map((e) => e.details?.resource).sort(),
      ["Condition", "Encounter", "Observation", "Observation", "Observation"],
    );
    assert.ok(views.every((e) => e.details?.via === "fhir" && e.user_id === user.id));

    for (const type of ["Observation", "Condition", "Encounter"]) {
      const missing = await call(`/fhir/${type}?patient=nosuchpatient`);
      assert.equal(missing.status, 404, type);
    }
  },
);

fhirTest(
  "bad requests are 400 OperationOutcomes naming each parameter; unknown paths 404",
  async ({ app, user }) => {
    const call = fhirClient(app, user.token);
    const cases: [string, string[]][] = [
      ["/fhir/Patient?name=Smith", ["name"]],
      ["/fhir/Patient?_count=501", ["_count"]],
      ["/fhir/Patient?_count=-1&_cursor=xyz", ["_count", "_cursor"]],
      ["/fhir/Patient?_cursor=eyJwYWdlIjowfQ", ["_cursor"]],
      ["/fhir/Patient?_format=xml", ["_format"]],
      ["/fhir/Patient?_count=2&_count=3", ["_count"]],
      ["/fhir/Observation", ["patient"]],
      ["/fhir/Condition?patient=x&code=I10", ["code"]],
    ];
    for (const [path, fields] of cases) {
      const res = await call(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual(
        res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0]).sort(),
        fields,
        path,
      );
      assert.ok(res.body.issue.every((i: { code: string }) => i.code === "invalid"));
    }
    for (const path of ["/fhir/Practitioner", "/fhir/Patient/x/y", "/fhir"]) {
      const res = await call(path);
      assert.equal(res.status, 404, path);
    }
    const post = await call("/fhir/Patient", { method: "POST", body: "{}" });
    assert.equal(post.status, 404, "read-only: no create");
  },
);

/** A team registry of `owner` with an editor and a viewer, holding records 7 and 8. */
async function team(ctx: ApiApp): Promise<{ rid: string; editor: ApiUser; viewer: ApiUser }> {
  const [editor, viewer] = [await ctx.newUser(), await ctx.newUser()];
  const rid = await teamRegistry(ctx.user);
  await addMember(ctx.user, rid, editor.email, "editor");
  await addMember(ctx.user, rid, viewer.email, "viewer");
  for (const id of [7, 8]) {
    const res = await editor.api("POST", `/api/patient_data?registry=${rid}`, { ...FIRST_ROW, id });
    assert.equal(res.status, 201, res.text);
  }
  const admission = await editor.api(
    "POST",
    `/api/patient_data/7/admissions?registry=${rid}`,
    admissionBody(),
  );
  assert.equal(admission.status, 201, admission.text);
  return { rid, editor, viewer };
}

fhirTest(
  "in a team registry editors read the plain form, a viewer the de-identified one, a non-member nothing",
  async (ctx) => {
    const { rid, editor, viewer } = await team(ctx);
    const outsider = await ctx.newUser();
    const q = `registry=${rid}`;
    const editorCall = fhirClient(ctx.app, editor.token);
    const viewerCall = fhirClient(ctx.app, viewer.token);

    const plain = await patientWithRecord(editorCall, 7, `&${q}`);
    assert.equal(plain.identifier![0]!.system, `${ORIGIN}/registries/${rid}`);
    const owners = await allPages(fhirClient(ctx.app, ctx.user.token), `/fhir/Patient?${q}`);
    assert.deepEqual(
      owners.resources.map((p) => p.id).sort(),
      [
        plain.id,
        (await patientWithRecord(editorCall, 8, `&${q}`)).id,
      ].sort(),
    );

    const seen = await allPages(viewerCall, `/fhir/Patient?${q}`);
    assert.equal(seen.resources.length, 2);
    const text = JSON.stringify(seen.pages);
    for (const patient of seen.resources as Patient[]) {
      assert.equal(patient.identifier, undefined, "no identifier: no record id");
      assert.equal(patient.meta?.security?.[0]?.code, "PSEUDED");
      assert.notEqual(patient.id, plain.id, "other ids than the plain form's");
    }
    assert.doesNotMatch(text, /"value":"7"|"value":"8"/, "the record ids appear nowhere");
    assert.equal(
      (await viewerCall(`/fhir/Patient/${plain.id}?${q}`)).status,
      404,
      "a plain id names nothing in the de-identified form",
    );
    // The viewer's Encounter: dates moved back by whole days (1 to 365), intervals kept.
    const viewerEncounters = [];
    for (const patient of seen.resources) {
      viewerEncounters.push(
        ...entries<Encounter>(
          (await viewerCall(`/fhir/Encounter?patient=${patient.id}&${q}`)).body,
        ),
      );
    }
    assert.equal(viewerEncounters.length, 1);
    const shifted = viewerEncounters[0]!.period!;
    const [plainEncounter] = entries<Encounter>(
      (await editorCall(`/fhir/Encounter?patient=${plain.id}&${q}`)).body,
    );
    const shift = Date.parse(plainEncounter!.period!.start!) - Date.parse(shifted.start!);
    assert.ok(shift >= DAY_MS && shift <= 365 * DAY_MS && shift % DAY_MS === 0, String(shift));
    assert.equal(
      Date.parse(plainEncounter!.period!.end!) - Date.parse(shifted.end!),
      shift,
      "every date of the patient moves by the same days",
    );

    // A non-member: 404 for the registry, whatever they ask.
    const outsiderCall = fhirClient(ctx.app, outsider.token);
    for (const path of [`/fhir/Patient?${q}`, `/fhir/Patient/${plain.id}?${q}`]) {
      const res = await outsiderCall(path);
      assert.equal(res.status, 404, path);
      assert.match(outcomeText(res.body), /no registry/);
    }
    // Another registry's patient is no patient here (the editor's personal registry).
    assert.equal((await editorCall(`/fhir/Patient/${plain.id}`)).status, 404);
    assert.equal((await editorCall(`/fhir/Observation?patient=${plain.id}`)).status, 404);

    // A member removed is refused at their very next request.
    await ctx.user.api("DELETE", `/api/registries/${rid}/members/${viewer.email}`);
    assert.equal((await viewerCall(`/fhir/Patient?${q}`)).status, 404);
  },
  true,
);

fhirTest(
  "a registry-bound token reads its registry without the parameter, and no other",
  async (ctx) => {
    const { rid, editor } = await team(ctx);
    const issued = await ctx.app.request("/api/tokens", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: editor.email, password: PASSWORD, registry: rid }),
    });
    assert.equal(issued.status, 201);
    const bound = fhirClient(ctx.app, (await issued.json()).token);
    const { resources } = await allPages(bound, "/fhir/Patient");
    assert.deepEqual((resources as Patient[]).map(recordIdOf), [7, 8]);
    assert.equal((await bound(`/fhir/Patient?registry=${rid}`)).status, 200);
    assert.equal((await bound(`/fhir/Patient?registry=p${editor.id}`)).status, 404);
    assert.equal(
      (await fhirClient(ctx.app, editor.token)("/fhir/Patient")).body.total,
      0,
      "the editor's unbound token reads their personal registry",
    );
  },
);

fhirTest("the browser session reads the FHIR API like a token", async (ctx) => {
  await ctx.patients.insertMany(ctx.user.id, records(2));
  const browser = await ctx.browser();
  const res = await browser.request("/fhir/Patient");
  assert.equal(res.status, 200);
  const bundle = (await res.json()) as Bundle;
  assert.equal(bundle.total, 2);
});

Deno.test({
  name:
    "[mongodb] while the patient database is down FHIR reads are 503 OperationOutcomes, the CapabilityStatement still answers, and it recovers",
  ignore: !mongoServer(),
  fn: () =>
    withMongoOutageApp({ unavailableMs: 700, queryMs: 1500 }, async (app, server) => {
      await loadDocument(app);
      const user = await registerApiUser(app, "outage@example.org");
      await app.stores.patients.insertMany(user.id, records(2));
      const call = fhirClient(app, user.token);
      assert.equal((await call("/fhir/Patient")).status, 200);
      await server.down();
      try {
        const down = await call("/fhir/Patient");
        assert.equal(down.status, 503, down.text);
        assert.equal(down.body.issue[0].code, "transient");
        assert.match(outcomeText(down.body), /patient database is not reachable/);
        assert.ok(Number(down.headers.get("Retry-After")) >= 1);
        assert.equal((await call("/fhir/metadata")).status, 200, "no database needed");
      } finally {
        await server.up();
      }
      for (let tries = 0; (await call("/fhir/Patient")).status !== 200; tries++) {
        assert.ok(tries < 200, "FHIR reads recover by themselves");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
});
