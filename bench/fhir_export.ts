/**
 * FHIR Bulk Data export benchmark: the 5,110-row dataset (repeated `FHIR_BENCH_COPIES` times with
 * other ids, default 1) and its synthetic admissions in one user's registry, exported in full
 * through the app (in process, embedded stores; MongoDB when MONGO_URI is set), polled every
 * `FHIR_BENCH_POLL_MS` (default 2000, as `Retry-After` says; 0: not polled while it runs), then
 * every file downloaded and its lines counted.
 * Prints the export's time, the process's RSS before and its peak during the export (sampled every
 * 50 ms), and the download's time. Usage:
 * `SPM_SHARED_DATA=… deno run -A bench/fhir_export.ts` (`FHIR_BENCH_COPIES=10` for 51,100 records).
 */
import { parse } from "csv-parse/sync";
import { join } from "node:path";
import { openAccountsDb } from "../db/accounts/database.ts";
import { findExport } from "../db/accounts/fhir_exports.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import { exportRunsSettled } from "../lib/fhir_export.ts";
import type { PatientFields } from "../lib/patient_fields.ts";
import { parsePatientText, validatePatient } from "../lib/patient_validation.ts";
import { syntheticAdmissions } from "../lib/stroke/synthetic_admissions.ts";
import { createTestApp, testConfig } from "../tests/helpers/app.ts";
import { loadDocument, registerApiUser } from "../tests/helpers/api.ts";
import { dropMongoDatabase, uniqueName } from "../tests/helpers/backends.ts";

const env = Deno.env.toObject();
const copies = Number(env.FHIR_BENCH_COPIES ?? "1");
/** How often the status is polled (ms); 0: not at all (the run is awaited, then polled once). */
const pollMs = Number(env.FHIR_BENCH_POLL_MS ?? "2000");
const dataDir = env.SPM_SHARED_DATA ?? new URL("../../shared/data/", import.meta.url).pathname;
const rows = parse(
  Deno.readTextFileSync(join(dataDir, "healthcare-dataset-stroke-data.csv")),
  { columns: true, bom: true },
) as Record<string, string>[];
const dataset = rows.map((row) => validatePatient(parsePatientText(row), "create"))
  .map((r) => (r.ok ? r.value : null) as PatientFields);

const dir = await Deno.makeTempDir({ prefix: "spm-fhir-bench-" });
const mongoDb = env.MONGO_URI ? uniqueName("spm_fhir_bench") : null;
const patients = mongoDb
  ? openMongoPatientStore({ uri: env.MONGO_URI!, database: mongoDb, collection: "Patient_data" })
  : openSqlitePatientStore(dir);
const app = await createTestApp(
  { accounts: openAccountsDb(null, dir), patients },
  testConfig({ dataDir: dir, fhirExportLeaseMs: 30_000 }),
);
const mb = (bytes: number) => `${Math.round(bytes / 1_000_000)} MB`;
try {
  await loadDocument(app);
  const user = await registerApiUser(app, "bench@example.org");
  const seeded = performance.now();
  let admissions = 0;
  for (let copy = 0; copy < copies; copy++) {
    const offset = copy * 100_000;
    const batch = dataset.map((p) => ({ ...p, id: p.id + offset }));
    await patients.insertMany(user.id, batch);
    const created = new Map<number, Date | null>();
    for (const record of await patients.getMany(user.id, batch.map((p) => p.id))) {
      created.set(record.id, record.created_at);
    }
    const list = [...syntheticAdmissions(
      batch.map((p) => ({ id: p.id, age: p.age, stroke: p.stroke })),
      { seed: 26 + copy, now: new Date("2026-11-01T00:00:00Z") },
    )].map(({ patient_id, admission: { admission_id, ...fields } }) => ({
      patient_id,
      patient_created_at: created.get(patient_id) ?? null,
      fields,
      admission_id,
      revision: crypto.randomUUID(),
    }));
    for (let i = 0; i < list.length; i += 500) {
      await patients.admissions.insertMany(user.id, list.slice(i, i + 500));
    }
    admissions += list.length;
  }
  console.log(
    `${patients.description}: ${dataset.length * copies} records, ${admissions} admissions ` +
      `stored in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
  );

  (globalThis as { gc?: () => void }).gc?.();
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 50);
  const auth = { Authorization: `Bearer ${user.token}` };
  const started = performance.now();
  const kicked = await app.request("/fhir/$export", {
    headers: { ...auth, Prefer: "respond-async" },
  });
  const status = new URL(kicked.headers.get("Content-Location")!).pathname;
  let manifest: { output: { type: string; url: string; count: number }[] } | null = null;
  if (pollMs === 0) await exportRunsSettled(app.stores.accounts);
  while (!manifest) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const res = await app.request(status, { headers: auth });
    if (res.status === 200) manifest = await res.json();
    else await res.body?.cancel();
  }
  const exportSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const job = (await findExport(app.stores.accounts, status.split("/").pop()!))!;
  const runSeconds = (job.updatedAt.getTime() - job.transactionTime!.getTime()) / 1000;
  const downloadStarted = performance.now();
  let bytes = 0;
  let lines = 0;
  for (const file of manifest.output) {
    const res = await app.request(new URL(file.url).pathname, { headers: auth });
    for await (const piece of res.body!) {
      bytes += piece.byteLength;
      for (const byte of piece) if (byte === 10) lines++;
    }
  }
  const total = manifest.output.reduce((n, f) => n + f.count, 0);
  console.log(
    `Export: ${total} resources (${
      manifest.output.map((f) => `${f.type} ${f.count}`).join(", ")
    }) in ${exportSeconds.toFixed(1)} s (polled every ${pollMs} ms; the run itself ${
      runSeconds.toFixed(1)
    } s); RSS ${mb(before)} before, ` +
      `peak ${mb(peak)} during the export`,
  );
  console.log(
    `Download: ${lines} lines, ${mb(bytes)} in ${
      ((performance.now() - downloadStarted) / 1000).toFixed(1)
    } s`,
  );
  if (lines !== total) throw new Error(`The files hold ${lines} lines, the manifest ${total}`);
} finally {
  await exportRunsSettled(app.stores.accounts);
  await app.close();
  if (mongoDb) await dropMongoDatabase(env.MONGO_URI!, mongoDb);
}
