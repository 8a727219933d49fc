/**
 * FHIR Bulk Data export (Bulk Data Access 2.0) as a receiving system uses it: kick-off with
 * `Prefer: respond-async`, polling the status URL to the manifest, NDJSON files whose every line is
 * valid R4 and whose counts are the registry's records and admissions; `_type` and `_since`;
 * cancelling; at most two exports in flight per user; a job answered by another app instance on the
 * same databases, and taken over when its instance stopped; files gone after their hour; roles.
 */
import assert from "node:assert/strict";
import type { Encounter, Observation, Patient, Resource } from "@medplum/fhirtypes";
import { createExport, deleteExpiredExports, findExport } from "../db/accounts/fhir_exports.ts";
import { ThrottledError } from "../lib/errors.ts";
import type { AccountsDb } from "../db/accounts/database.ts";
import { EXPORT_KEPT_MS, exportRunsSettled, FhirExports } from "../lib/fhir_export.ts";
import { fhirKeySource } from "../lib/fhir_service.ts";
import { createRegistryService } from "../lib/registry_service.ts";
import { HeavyWork } from "../lib/work_gate.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { syntheticAdmissions } from "../lib/stroke/synthetic_admissions.ts";
import { type ApiApp, loadDocument, registerApiUser, withApiApp } from "./helpers/api.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { createTestApp, testConfig, withAccountsApp } from "./helpers/app.ts";
import { accountBackends, patientBackends } from "./helpers/backends.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";
import {
  exportedFiles,
  type FhirCall,
  fhirClient,
  kickOff,
  type Manifest,
  manifestOf,
  outcomeText,
} from "./helpers/fhir_api.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";
import { addMember, memberPath, teamRegistry } from "./helpers/registries.ts";

const ORIGIN = "http://127.0.0.1:5000";

/**
 * Runs `fn` on the embedded store, and on FerretDB too when `both` (and MONGO_URI is set); waits
 * for every export run to end before the databases close.
 */
function bulkTest(name: string, fn: (ctx: ApiApp) => Promise<void>, both = false): void {
  for (const backend of patientBackends()) {
    if (!both && backend.name !== "embedded") continue;
    Deno.test(`[${backend.name}] ${name}`, () =>
      withApiApp(backend, async (ctx) => {
        try {
          await fn(ctx);
        } finally {
          await exportRunsSettled(ctx.app.stores.accounts);
        }
      }));
  }
}

/** `count` records with ids 101, 102, … (a few flags set, one BMI unknown). */
function records(count: number): PatientFields[] {
  return Array.from({ length: count }, (_, i) => ({
    ...FIRST_ROW,
    id: 101 + i,
    hypertension: (i % 2) as 0 | 1,
    heart_disease: (i % 3 === 0 ? 1 : 0) as 0 | 1,
    stroke: (i % 4 === 0 ? 1 : 0) as 0 | 1,
    bmi: i === 2 ? null : 20 + i,
  }));
}

/** Conditions the records give: one per flag that says 1. */
function conditionsOf(rows: PatientFields[]): number {
  return rows.reduce((n, r) => n + r.hypertension + r.heart_disease + r.stroke, 0);
}

/** Stores `rows` in the user's personal registry and an admission for each of `admitted`. */
async function seed(ctx: ApiApp, rows: PatientFields[], admitted: number[]): Promise<void> {
  await ctx.patients.insertMany(ctx.user.id, rows);
  for (const id of admitted) {
    const res = await ctx.user.api("POST", `/api/patient_data/${id}/admissions`, admissionBody());
    assert.equal(res.status, 201, res.text);
  }
}

/** Pieces of export files stored, in all. */
async function storedPieces(accounts: AccountsDb): Promise<number> {
  const row = await accounts.run((db) =>
    db.selectFrom("fhir_export_chunks").select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  );
  return Number(row.n);
}

/** Kicks off `path` and waits for its manifest. */
async function exportOf(call: FhirCall, path: string): Promise<Manifest & { status: string }> {
  const status = await kickOff(call, path);
  const { manifest } = await manifestOf(call, status);
  return { ...manifest, status };
}

bulkTest(
  "an export's manifest lists NDJSON files of valid resources, counted as the registry holds them",
  async (ctx) => {
    const rows = records(12);
    await seed(ctx, rows, [101, 101, 105]);
    const call = fhirClient(ctx.app, ctx.user.token);
    const status = await kickOff(call, "/fhir/$export");
    assert.match(status, new RegExp(`^${ORIGIN}/fhir/bulk-status/[0-9a-f-]{36}$`));
    const { manifest } = await manifestOf(call, status);
    assert.equal(manifest.request, `${ORIGIN}/fhir/$export`);
    assert.equal(manifest.requiresAccessToken, true);
    assert.ok(Date.parse(manifest.transactionTime) <= Date.now());
    assert.deepEqual(manifest.error, []);
    const counts = Object.fromEntries(manifest.output.map((f) => [f.type, f.count]));
    // Each admission of the sample has an NIHSS and two mRS Observations.
    assert.deepEqual(counts, {
      Patient: 12,
      Observation: 12 * 7 + 3 * 3,
      Condition: conditionsOf(rows),
      Encounter: 3,
    });
    const files = await exportedFiles(call, manifest);
    const patients = files.get("Patient") as Patient[];
    assert.deepEqual(patients.map((p) => Number(p.identifier![0]!.value)), rows.map((r) => r.id));
    // The same ids as the read API: a receiver updates rather than duplicates.
    const read = await call(`/fhir/Patient/${patients[0]!.id}`);
    assert.deepEqual(read.body, patients[0]);
    const bmi = (files.get("Observation") as Observation[]).find((o) =>
      o.id === `${patients[2]!.id}-bmi`
    );
    assert.equal(bmi?.dataAbsentReason?.coding?.[0]?.code, "unknown", "an unknown BMI");
    const encounters = files.get("Encounter") as Encounter[];
    assert.equal(
      encounters.filter((e) => e.subject?.reference === `Patient/${patients[0]!.id}`)
        .length,
      2,
    );

    // A second export gives the same ids.
    const again = await exportOf(call, "/fhir/Patient/$export?_type=Patient");
    assert.equal(again.request, `${ORIGIN}/fhir/Patient/$export?_type=Patient`);
    const second = await exportedFiles(call, again);
    assert.deepEqual(second.get("Patient")!.map((p) => p.id), patients.map((p) => p.id));

    const audited = await ctx.patients.audit.search(
      { ownerId: ctx.user.id, action: "export" },
      { offset: 0, limit: 10 },
    );
    assert.equal(audited.total, 2, "each export is in the audit log");
    assert.equal(audited.items[0]!.details?.format, "fhir+ndjson");

    // Only the user who asked: another user, or no token at all, gets nothing.
    const other = fhirClient(ctx.app, (await ctx.newUser()).token);
    const url = manifest.output[0]!.url;
    assert.equal((await other(status)).status, 404);
    assert.equal((await other(url)).status, 404);
    assert.equal((await fhirClient(ctx.app)(url)).status, 401);
    assert.equal((await call(url.replace("Patient.ndjson", "Practitioner.ndjson"))).status, 404);
  },
  true,
);

bulkTest(
  "_type limits the files, _since to what changed since; bad parameters are 400",
  async (ctx) => {
    const rows = records(6);
    await seed(ctx, rows, [102]);
    const call = fhirClient(ctx.app, ctx.user.token);

    const typed = await exportOf(call, "/fhir/$export?_type=Encounter,Patient");
    assert.deepEqual(typed.output.map((f) => [f.type, f.count]), [["Patient", 6], [
      "Encounter",
      1,
    ]]);
    await exportedFiles(call, typed);

    const full = await exportOf(call, "/fhir/$export");
    const since = encodeURIComponent(full.transactionTime);
    const none = await exportOf(call, `/fhir/$export?_since=${since}`);
    assert.deepEqual(none.output, [], "nothing changed since");

    // After it: one record changed, one admission added to another patient.
    assert.equal((await ctx.user.api("PATCH", "/api/patient_data/104", { bmi: 31.5 })).status, 200);
    const added = await ctx.user.api("POST", "/api/patient_data/103/admissions", admissionBody());
    assert.equal(added.status, 201);
    const changed = await exportOf(call, `/fhir/$export?_since=${since}`);
    const files = await exportedFiles(call, changed);
    const patients = files.get("Patient") as Patient[];
    assert.deepEqual(patients.map((p) => p.identifier![0]!.value), ["104"]);
    const encounters = files.get("Encounter") as Encounter[];
    assert.equal(encounters.length, 1, "only the new admission");
    const observations = files.get("Observation") as Observation[];
    assert.equal(observations.length, 7 + 3, "the changed record's, and the new admission's");
    assert.equal(
      (files.get("Observation") as Observation[]).find((o) =>
        o.code.coding?.[0]?.code === "39156-5"
      )
        ?.valueQuantity?.value,
      31.5,
    );

    const bad: [string, string[], HeadersInit?][] = [
      ["/fhir/$export?_type=Patient,Practitioner", ["_type"]],
      ["/fhir/$export?_type=", ["_type"]],
      ["/fhir/$export?_since=yesterday", ["_since"]],
      ["/fhir/$export?_since=2026-01-01", ["_since"]],
      ["/fhir/$export?_outputFormat=text/csv", ["_outputFormat"]],
      ["/fhir/$export?_typeFilter=Patient%3Fgender%3Dmale", ["_typeFilter"]],
      ["/fhir/$export", ["Prefer"], {}],
    ];
    for (const [path, fields, headers] of bad) {
      const res = await call(path, { headers: headers ?? { Prefer: "respond-async" } });
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual(
        res.body.issue.map((i: { expression?: string[] }) => i.expression?.[0] ?? "Prefer"),
        fields,
        path,
      );
    }
    assert.match(
      outcomeText(
        (await call("/fhir/$export?_type=Foo", { headers: { Prefer: "respond-async" } }))
          .body,
      ),
      /does not export Foo/,
    );
  },
);

bulkTest(
  "DELETE cancels an export or removes a finished one's files; a user has two in flight at most",
  async (ctx) => {
    await seed(ctx, records(30), [101]);
    const call = fhirClient(ctx.app, ctx.user.token);
    const { accounts } = ctx.app.stores;

    // Cancelled as soon as it started: gone, its files too, whatever it had written.
    const running = await kickOff(call, "/fhir/$export");
    const cancelled = await call(running, { method: "DELETE" });
    assert.equal(cancelled.status, 202);
    assert.equal(cancelled.body.issue[0].severity, "information");
    assert.equal((await call(running)).status, 404);
    await exportRunsSettled(accounts);
    assert.equal(await storedPieces(accounts), 0, "a cancelled run leaves no piece behind");

    // A finished export: its files go on DELETE.
    const done = await exportOf(call, "/fhir/$export?_type=Patient");
    assert.ok(await storedPieces(accounts) > 0);
    assert.equal((await call(done.status, { method: "DELETE" })).status, 202);
    assert.equal((await call(done.output[0]!.url)).status, 404);
    assert.equal(await storedPieces(accounts), 0);
    assert.equal((await call(done.status, { method: "DELETE" })).status, 404, "once");

    // Two at once: one runs, the other waits for the user's heavy-work slot; both finish.
    const pair = await Promise.all([
      kickOff(call, "/fhir/$export?_type=Patient"),
      kickOff(call, "/fhir/$export?_type=Observation"),
    ]);
    const finished = await Promise.all(pair.map((status) => manifestOf(call, status)));
    assert.deepEqual(
      finished.map(({ manifest }) => manifest.output.map((f) => [f.type, f.count])),
      [[["Patient", 30]], [["Observation", 30 * 7 + 3]]],
    );

    // Two exports in flight (here: queued, held by a run elsewhere): a third is refused.
    const job = {
      userId: ctx.user.id,
      registryId: `p${ctx.user.id}`,
      form: "plain" as const,
      base: `${ORIGIN}/fhir`,
      request: `${ORIGIN}/fhir/$export`,
      types: ["Patient"],
      since: null,
      client: null,
      requestId: null,
    };
    const quota = { inFlight: 2, kept: 10 };
    // Both in the same millisecond, as on a fast machine.
    const at = Date.now();
    const held = [
      await createExport(accounts, job, "elsewhere-1", 600_000, quota, at),
      await createExport(accounts, job, "elsewhere-2", 600_000, quota, at),
    ];
    const third = await call("/fhir/$export", { headers: { Prefer: "respond-async" } });
    assert.equal(third.status, 429, third.text);
    // A third made in that millisecond too is refused, whichever way its random id sorts.
    for (let i = 0; i < 20; i++) {
      await assert.rejects(
        createExport(accounts, job, "elsewhere-3", 600_000, quota, at),
        ThrottledError,
      );
    }
    assert.equal(third.body.issue[0].code, "throttled");
    assert.ok(Number(third.headers.get("Retry-After")) >= 1);
    const queued = await call(`/fhir/bulk-status/${held[0]!.id}`);
    assert.equal(queued.status, 202);
    assert.equal(queued.headers.get("X-Progress"), "Waiting to start");
    // Cancelling one makes room.
    assert.equal(
      (await call(`/fhir/bulk-status/${held[0]!.id}`, { method: "DELETE" })).status,
      202,
    );
    const room = await exportOf(call, "/fhir/$export?_type=Condition");
    assert.equal(room.output[0]!.type, "Condition");
  },
);

bulkTest(
  "another app instance on the same databases answers the status, serves the files and takes over a stopped job",
  async (ctx) => {
    const rows = records(8);
    await seed(ctx, rows, [101]);
    const dir = await Deno.makeTempDir({ prefix: "spm-fhir-second-" });
    const second = await createTestApp(ctx.app.stores, testConfig({ dataDir: dir }));
    try {
      const first = fhirClient(ctx.app, ctx.user.token);
      const other = fhirClient(second, ctx.user.token);
      const status = await kickOff(first, "/fhir/$export");
      const { manifest } = await manifestOf(other, status);
      const files = await exportedFiles(other, manifest);
      assert.equal(files.get("Patient")!.length, 8);
      // The ids are the same on both instances (one key, kept in the accounts database).
      const read = await other(`/fhir/Patient/${files.get("Patient")![0]!.id}`);
      assert.equal(read.status, 200);

      // A job whose instance stopped (its lease ran out): the next poll, on any instance, runs it.
      const { accounts } = ctx.app.stores;
      const stopped = await createExport(
        accounts,
        {
          userId: ctx.user.id,
          registryId: `p${ctx.user.id}`,
          form: "plain",
          base: `${ORIGIN}/fhir`,
          request: `${ORIGIN}/fhir/$export?_type=Patient`,
          types: ["Patient"],
          since: null,
          client: null,
          requestId: null,
        },
        "a-stopped-instance",
        -1,
        { inFlight: 2, kept: 10 },
      );
      const resumed = await manifestOf(other, `${ORIGIN}/fhir/bulk-status/${stopped.id}`);
      assert.deepEqual(resumed.manifest.output.map((f) => [f.type, f.count]), [["Patient", 8]]);
      await exportedFiles(first, resumed.manifest);
      assert.equal((await findExport(accounts, stopped.id))!.attempts, 2, "run a second time");

      assert.equal((await other(status, { method: "DELETE" })).status, 202);
      assert.equal((await first(status)).status, 404, "cancelled everywhere");
    } finally {
      await exportRunsSettled(ctx.app.stores.accounts);
      await second.close(); // closes the shared stores; the first app closing them again is harmless
    }
  },
);

bulkTest("files are kept for an hour, then the housekeeping removes them", async (ctx) => {
  await seed(ctx, records(3), []);
  const call = fhirClient(ctx.app, ctx.user.token);
  const { accounts } = ctx.app.stores;
  const done = await exportOf(call, "/fhir/$export");
  const expires = (await call(done.status)).headers.get("Expires");
  assert.ok(expires, "the manifest says until when");
  const hour = Date.parse(expires) - Date.parse(done.transactionTime);
  assert.ok(Math.abs(hour - EXPORT_KEPT_MS) < 60_000, `kept about an hour (${hour} ms)`);

  assert.equal(await deleteExpiredExports(accounts), 0, "nothing has expired yet");
  assert.equal((await call(done.output[0]!.url)).status, 200);
  assert.equal(await deleteExpiredExports(accounts, Date.now() + EXPORT_KEPT_MS + 1000), 1);
  assert.equal((await call(done.status)).status, 404);
  const gone = await call(done.output[0]!.url);
  assert.equal(gone.status, 404);
  assert.match(outcomeText(gone.body), /kept for an hour/);
  assert.equal(await storedPieces(accounts), 0);
});

bulkTest(
  "a viewer's export is de-identified; a member demoted or removed since cannot fetch the plain files",
  async (ctx) => {
    const [editor, viewer] = [await ctx.newUser(), await ctx.newUser()];
    const rid = await teamRegistry(ctx.user);
    await addMember(ctx.user, rid, editor.email, "editor");
    await addMember(ctx.user, rid, viewer.email, "viewer");
    for (const id of [7, 8]) {
      const res = await editor.api("POST", `/api/patient_data?registry=${rid}`, {
        ...FIRST_ROW,
        id,
      });
      assert.equal(res.status, 201, res.text);
    }
    const asViewer = fhirClient(ctx.app, viewer.token);
    const pseudo = await exportOf(asViewer, `/fhir/$export?registry=${rid}`);
    const files = await exportedFiles(asViewer, pseudo);
    const text = JSON.stringify([...files.values()]);
    for (const patient of files.get("Patient") as Patient[]) {
      assert.equal(patient.identifier, undefined);
      assert.equal(patient.meta?.security?.[0]?.code, "PSEUDED");
    }
    assert.doesNotMatch(text, /"lastUpdated"/, "no record times");

    const asEditor = fhirClient(ctx.app, editor.token);
    const plain = await exportOf(asEditor, `/fhir/$export?registry=${rid}&_type=Patient`);
    const url = plain.output[0]!.url;
    assert.equal((await asEditor(url)).status, 200);
    const plainIds = (await exportedFiles(asEditor, plain)).get("Patient")!.map((p) => p.id);
    assert.equal(
      plainIds.filter((id) => files.get("Patient")!.some((p: Resource) => p.id === id)).length,
      0,
      "the two forms share no id",
    );

    await ctx.user.api("PATCH", memberPath(rid, editor.email), { role: "viewer" });
    const refused = await asEditor(url);
    assert.equal(refused.status, 403, "demoted to viewer: no plain file");
    assert.equal(refused.body.issue[0].code, "forbidden");
    await ctx.user.api("DELETE", memberPath(rid, editor.email));
    assert.equal((await asEditor(url)).status, 404, "removed: nothing");
    assert.equal(
      (await asEditor(`/fhir/$export?registry=${rid}`, {
        headers: { Prefer: "respond-async" },
      })).status,
      404,
    );
  },
);

bulkTest(
  "an export larger than the server writes fails, saying so, and keeps no file",
  async (ctx) => {
    await seed(ctx, records(40), []);
    const { app, user } = ctx;
    // An instance whose exports may write 20 kB at most.
    const small = new FhirExports({
      stores: app.stores,
      registries: createRegistryService(app.stores.accounts),
      heavy: new HeavyWork(),
      keys: fhirKeySource(null, app.stores.accounts),
      log: () => {},
      leaseMs: 2_000,
      maxBytes: 20_000,
    });
    const job = await small.kickOff({ userId: user.id }, {
      base: `${ORIGIN}/fhir`,
      request: `${ORIGIN}/fhir/$export`,
      types: ["Patient", "Observation"],
      since: null,
    });
    await exportRunsSettled(app.stores.accounts);
    const call = fhirClient(app, user.token);
    const failed = await call(`/fhir/bulk-status/${job.id}`);
    assert.equal(failed.status, 500);
    assert.equal(failed.body.resourceType, "OperationOutcome");
    assert.match(outcomeText(failed.body), /larger than 0\.02 MB.*_type.*_since/);
    assert.equal(await storedPieces(app.stores.accounts), 0);
  },
);

/** Stores the 5,110 records and synthetic admissions in `scope`; returns the admissions' count. */
async function storeDataset(store: PatientStore, scope: number): Promise<number> {
  const { patients } = loadDataset()!;
  await store.insertMany(scope, patients);
  const created = new Map<number, Date | null>();
  for await (const record of store.stream(scope, {}, { field: "id", direction: "asc" })) {
    created.set(record.id, record.created_at);
  }
  const admissions = [...syntheticAdmissions(
    patients.map((p) => ({ id: p.id, age: p.age, stroke: p.stroke })),
    { seed: 26, now: new Date("2026-11-01T00:00:00Z") },
  )].map(({ patient_id, admission: { admission_id, ...fields } }) => ({
    patient_id,
    patient_created_at: created.get(patient_id) ?? null,
    fields,
    admission_id,
    revision: crypto.randomUUID(),
  }));
  for (let i = 0; i < admissions.length; i += 500) {
    await store.admissions.insertMany(scope, admissions.slice(i, i + 500));
  }
  return admissions.length;
}

bulkTest(
  "the 5,110-record dataset with its admissions exports in full, every line valid R4",
  async (ctx) => {
    if (skipWithoutData(DATASET)) return;
    const admissions = await storeDataset(ctx.patients, ctx.user.id);
    const call = fhirClient(ctx.app, ctx.user.token);
    const started = performance.now();
    const { manifest } = await manifestOf(call, await kickOff(call, "/fhir/$export"));
    const seconds = (performance.now() - started) / 1000;
    const files = await exportedFiles(call, manifest);
    const { patients } = loadDataset()!;
    const counts = Object.fromEntries([...files].map(([type, list]) => [type, list.length]));
    const scores = (files.get("Observation") as Observation[]).filter((o) => o.encounter).length;
    assert.deepEqual(counts, {
      Patient: 5110,
      Observation: 5110 * 7 + scores,
      Condition: conditionsOf(patients),
      Encounter: admissions,
    });
    assert.ok(scores > admissions, "the admissions' NIHSS and mRS are there");
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `Exported ${total} resources (${admissions} admissions) in ${seconds.toFixed(1)} s`,
    );
  },
);

for (const backend of accountBackends()) {
  Deno.test(`[${backend.name} accounts] an export's job and files kept in the accounts database serve a second instance`, () =>
    withAccountsApp(backend, {}, async (app, again) => {
      try {
        await loadDocument(app);
        const user = await registerApiUser(app, "bulk@example.org");
        const rows = records(40);
        await app.stores.patients.insertMany(user.id, rows);
        const other = await again();
        const status = await kickOff(fhirClient(app, user.token), "/fhir/$export");
        const call = fhirClient(other, user.token);
        const { manifest } = await manifestOf(call, status);
        const files = await exportedFiles(call, manifest);
        assert.equal(files.get("Patient")!.length, 40);
        assert.equal(files.get("Observation")!.length, 40 * 7);
        assert.equal(files.get("Condition")!.length, conditionsOf(rows));
        assert.equal((await call(status, { method: "DELETE" })).status, 202);
        assert.equal(await storedPieces(app.stores.accounts), 0);
      } finally {
        await exportRunsSettled(app.stores.accounts);
      }
    }));
}
