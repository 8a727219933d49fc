/**
 * The MongoDB store's single-record operations, each timed one at a time on the dataset the app
 * imported (a second store on the same database, as another app instance has): create without an
 * id, read by id, update, delete, the free-id search (the user's highest id) and a 50-row page.
 */
import { MongoClient } from "mongodb";
import { openMongoPatientStore } from "../../db/patients/mongo/store.ts";
import type { NewPatient, PatientFields } from "../../lib/patient_fields.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { type Bench, BenchFailure, progress } from "../lib/measure.ts";
import { percentile } from "../lib/stats.ts";

/** One operation's times. */
export interface OperationResult {
  id: string;
  label: string;
  samples: number;
  p50_ms: number;
  p90_ms: number;
  max_ms: number;
  /** The machine's 1-minute load average when the operation's samples were taken. */
  load_1m: number;
}

/** Samples per operation (a list takes a second or more on FerretDB: fewer of those). */
const SAMPLES = 30;
const FEW_SAMPLES = 5;

/**
 * Times `work` `samples` times, one after another (`prepare`, untimed, before each); keeps the
 * result under `id`.
 */
async function timeEach(
  bench: Bench,
  spec: { id: string; label: string; samples: number },
  work: (i: number) => Promise<unknown>,
  prepare: (i: number) => Promise<unknown> = () => Promise.resolve(),
) {
  const times: number[] = [];
  for (let i = 0; i < spec.samples; i++) {
    await prepare(i);
    const started = performance.now();
    await work(i);
    times.push(performance.now() - started);
  }
  const round = (ms: number) => Math.round(ms * 100) / 100;
  bench.results.operations.push({
    ...spec,
    p50_ms: round(percentile(times, 0.5)),
    p90_ms: round(percentile(times, 0.9)),
    max_ms: round(Math.max(...times)),
    load_1m: Deno.loadavg()[0]!,
  });
}

/** The one owner of the records in the store (the bench's user). */
async function ownerOf(store: PatientStore, records: number): Promise<number> {
  const owners = [...(await store.countsByOwner())];
  if (owners.length !== 1 || owners[0]![1] !== records) {
    throw new BenchFailure(`Expected one owner of ${records} records, found ${owners.join("; ")}`);
  }
  return owners[0]![0];
}

/**
 * Times each operation on the database the app imported `patients` into; the records it creates
 * it deletes again, so the data is as imported afterwards.
 */
export async function measureMongoOperations(
  bench: Bench,
  mongo: { uri: string; database: string },
  patients: readonly PatientFields[],
) {
  progress("Timing single operations of the MongoDB store…");
  const store = openMongoPatientStore({ ...mongo, collection: "Patient_data" });
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
  const marks = client.db(mongo.database).collection("Patient_data_highest_ids");
  try {
    const userId = await ownerOf(store, patients.length);
    const { id: _, ...fields } = patients[0]!;
    const spread = (i: number) => patients[Math.floor((i * patients.length) / SAMPLES)]!.id;
    // A first read connects and checks the indexes: not one of the samples.
    await store.get(userId, spread(0));
    await timeEach(
      bench,
      { id: "free-id-derived", label: "free-id search, highest id derived", samples: FEW_SAMPLES },
      () => store.highestId(userId),
      // As when it is missing or old (db/patients/mongo/highest_ids.ts).
      () => marks.deleteMany({}),
    );
    await timeEach(
      bench,
      { id: "free-id", label: "free-id search (the user's highest id)", samples: SAMPLES },
      () => store.highestId(userId),
    );
    const created: { id: number; revision: string }[] = [];
    await timeEach(
      bench,
      { id: "create", label: "create without an id", samples: SAMPLES },
      async () => created.push(await store.create(userId, fields as NewPatient)),
    );
    await timeEach(bench, { id: "get", label: "read by id", samples: SAMPLES }, async (i) => {
      if (!(await store.get(userId, spread(i)))) throw new BenchFailure(`No record ${spread(i)}`);
    });
    await timeEach(
      bench,
      { id: "update", label: "update (PATCH with its revision)", samples: SAMPLES },
      async (i) => {
        const { id, revision } = created[i]!;
        created[i] = await store.patch(userId, id, { age: 50 }, revision);
      },
    );
    await timeEach(
      bench,
      { id: "delete", label: "delete (with its revision)", samples: SAMPLES },
      (i) => store.delete(userId, created[i]!.id, created[i]!.revision),
    );
    await timeEach(
      bench,
      { id: "list", label: "a 50-row page (sorted by age, page 20)", samples: FEW_SAMPLES },
      () =>
        store.list(userId, {
          filter: {},
          sort: { field: "age", direction: "asc" },
          page: 20,
          perPage: 50,
        }),
    );
  } finally {
    await client.close();
    await store.close();
  }
}
