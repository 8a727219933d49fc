/**
 * With MONGO_URI set: a second app process on MongoDB (a database of its own, dropped when the
 * bench ends) gets the import, the raw driver's ceiling, the API random mix and the export; then
 * the store's single operations are timed on the imported records (runs/mongo_operations.ts).
 */
import { MongoClient } from "mongodb";
import type { PatientFields } from "../../lib/patient_fields.ts";
import { dropMongoDatabase, uniqueName } from "../../tests/helpers/backends.ts";
import { type Bench, gets, measure, progress } from "../lib/measure.ts";
import { startApp } from "../lib/processes.ts";
import { type Ceilings, checkSameAnswers } from "./ceilings.ts";
import type { EmbeddedApp } from "./embedded.ts";
import { measureMongoOperations } from "./mongo_operations.ts";
import { exportAll, importDataset } from "./transfers.ts";

export interface MongoTarget {
  uri: string;
  database: string;
}

/** A database of the bench's own at `uri`. */
export function mongoTarget(uri: string): MongoTarget {
  return { uri, database: uniqueName("spm_bench") };
}

/** Runs the MongoDB targets; returns what answers at the URI ("MongoDB 7.0.77 (FerretDB …)"). */
export async function measureMongo(
  bench: Bench,
  mongo: MongoTarget,
  appEnv: Record<string, string>,
  embedded: EmbeddedApp,
  ceilings: Ceilings,
  data: { csv: Uint8Array; patients: readonly PatientFields[]; mix: readonly string[] },
): Promise<string> {
  const { settings } = bench;
  progress(`Starting the app on MongoDB (database ${mongo.database})…`);
  const app = await startApp({ ...appEnv, MONGO_URI: mongo.uri, MONGO_DB: mongo.database });
  bench.children.push(app.child);
  const server = await mongoServerName(mongo.uri);
  const records = data.patients.length;
  await importDataset(bench, app, "mongodb", embedded.bearer, data.csv, records);
  // FerretDB takes about a second a list: a few checks, which also warm both up.
  await checkSameAnswers(
    app.child.base,
    embedded.bearer,
    ceilings.child.base,
    "/raw-mongo",
    data.mix,
    3,
  );
  const slow = {
    kind: "ceiling",
    backend: "mongodb",
    connections: settings.mongoConnections,
    expected: 200,
    timeoutSeconds: 30,
    seconds: settings.mongoSeconds,
    warmupSeconds: 0,
  } as const;
  await measure(bench, {
    ...slow,
    id: "ceiling-raw-mongo",
    label: "ceiling: GET /raw-mongo?… random mix, raw mongodb driver",
    base: ceilings.child.base,
    requests: gets(data.mix.map((q) => `/raw-mongo?${q}`)),
  });
  await measure(bench, {
    ...slow,
    id: "api-random-mongo",
    label: "GET /api/patient_data?… random mix (bearer token)",
    kind: "app",
    base: app.child.base,
    app,
    requests: gets(data.mix.map((q) => `/api/patient_data?${q}`)),
    headers: embedded.bearer,
  });
  await exportAll(bench, app, "mongodb", embedded.bearer, records);
  bench.results.peaks.mongodb = app.rss.overall();
  await app.child.stop();
  await measureMongoOperations(bench, mongo, data.patients);
  return server;
}

/** "MongoDB 7.0.77 (FerretDB v1.24.2)": what answers at `uri`, from `buildInfo`. */
async function mongoServerName(uri: string): Promise<string> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    const ferret = info.ferretdb?.version ?? info.ferretdbVersion;
    return `MongoDB ${info.version}${ferret ? ` (FerretDB ${ferret})` : ""}`;
  } finally {
    await client.close();
  }
}

/** Drops the bench's database (a failure is reported, not thrown: the bench is ending). */
export async function dropMongoTarget(mongo: MongoTarget) {
  await dropMongoDatabase(mongo.uri, mongo.database).catch((error) =>
    console.error(`Could not drop ${mongo.database}: ${error}`)
  );
}
