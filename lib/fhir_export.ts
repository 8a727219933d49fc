/**
 * FHIR Bulk Data exports (Bulk Data Access 2.0) as jobs in the accounts database: a kick-off stores
 * the job and starts its run in the background on this instance; the run holds the job by a lease
 * it renews, takes the user's heavy-work slot (one heavy task per user; it waits for it rather than
 * failing), reads the registry's records once and its admissions once, with pauses for other
 * requests, and writes each type's NDJSON file in pieces into the database (one piece per file in
 * memory at a time). Any instance answers the status and serves the files; a job whose instance
 * stopped is taken over and run again from the start by whichever instance meets it first (a poll,
 * or the housekeeping).
 * Files are kept for an hour after the job ends.
 */
import type { Condition, Observation, Patient, Resource } from "@medplum/fhirtypes";
import type { Config } from "../config.ts";
import {
  createExport,
  deleteExpiredExports,
  deleteExport,
  deleteRunChunks,
  type ExportFile,
  type ExportJob,
  finishExport,
  renewExport,
  stalledExports,
  takeOverExport,
  writeExportChunk,
} from "../db/accounts/fhir_exports.ts";
import type { Stores } from "../db/stores.ts";
import type { Log } from "../http/env.ts";
import { PatientLives } from "./admission_service.ts";
import { type Actor, allow, appendEntries, entryBy, scopeOf } from "./audit_trail.ts";
import { BusyError, UserBusyError } from "./errors.ts";
import type { FhirKeys } from "./fhir/ids.ts";
import { NdjsonWriter } from "./fhir/ndjson.ts";
import {
  admissionObservations,
  conditionResources,
  encounterResource,
  FhirMappingError,
  type FhirScope,
  observationResources,
  patientResource,
} from "./fhir/resources.ts";
import {
  fhirKeySource,
  formOf,
  identifierSystem,
  mappingOutcome,
  type ResourceType,
} from "./fhir_service.ts";
import {
  createRegistryService,
  personalRegistryId,
  type RegistryService,
} from "./registry_service.ts";
import { HeavyWork } from "./work_gate.ts";
import { Pace } from "./work_pace.ts";

/** How long a finished (or failed) job's files and status are kept. */
export const EXPORT_KEPT_MS = 60 * 60_000;
/** Jobs of one user in flight at once, and kept in all (their files not yet expired). */
export const EXPORT_QUOTA = { inFlight: 2, kept: 10 } as const;
/** The largest export (bytes of NDJSON in all): a job that would write more fails, saying so. */
export const EXPORT_MAX_BYTES = 4_000_000_000;
/** Characters of NDJSON per stored piece (whole lines; under every database's packet limit). */
const PIECE_CHARS = 256 * 1024;
/** Runs after which a job that keeps losing its instance is marked failed instead. */
const MAX_ATTEMPTS = 3;
/** How long a run waits before asking for the user's heavy-work slot again. */
const SLOT_RETRY_MS = 1000;
/** The most records that could not be written listed one by one in the error file. */
const MAX_LISTED_ERRORS = 1000;
/** Records read between two breaths. */
const SLICE = 200;

export interface ExportDeps {
  stores: Stores;
  registries: RegistryService;
  heavy: HeavyWork;
  keys: () => Promise<FhirKeys>;
  log: Log;
  leaseMs: number;
  /** The largest export in bytes (default `EXPORT_MAX_BYTES`). */
  maxBytes?: number;
}

/** What a kick-off asks for. */
export interface ExportRequest {
  /** The FHIR base the file URLs start with (`https://host/fhir`). */
  base: string;
  /** The kick-off URL as sent (the manifest's `request`). */
  request: string;
  types: readonly ResourceType[];
  since: Date | null;
}

/** The run lost its job: cancelled, or taken over by another instance. */
class JobLostError extends Error {
  constructor() {
    super("The export was cancelled or taken over by another instance");
    this.name = "JobLostError";
  }
}

/** An export that grew past the limit. */
class ExportTooLargeError extends Error {
  constructor(limit: number) {
    super(
      `The export would be larger than ${
        Number((limit / 1_000_000).toFixed(2))
      } MB, the most this server writes. Ask for fewer resource types (_type) or for recent changes only (_since).`,
    );
    this.name = "ExportTooLargeError";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One file being written: its type and its writer. */
interface OpenFile {
  type: string;
  writer: NdjsonWriter;
}

/**
 * One run's reading and writing: a pass over the registry's records (each changed since `since`
 * written as its Patient, Observations and Conditions, each to its own file), then, when
 * Observations or Encounters are asked for, a pass over the admissions of live patients (their
 * Encounters, and their NIHSS and mRS Observations after the records' in the Observation file).
 * Each file holds one piece in memory at a time; the patients' lives take 12 bytes a patient.
 */
class ExportPass {
  readonly #pace = new Pace();
  readonly #files = new Map<ResourceType, OpenFile>();
  /** Records that could not be written (the first `MAX_LISTED_ERRORS` as OperationOutcomes). */
  readonly errors: Resource[] = [];
  errorsTotal = 0;
  #read = 0;

  constructor(
    readonly store: Stores["patients"],
    readonly scope: number,
    readonly fhir: FhirScope,
    readonly since: Date | null,
    readonly signal: AbortSignal,
    readonly open: (type: string) => NdjsonWriter,
    readonly progress: (text: string) => Promise<void>,
  ) {}

  /** Writes the files of `types`; returns each one's count, in the order of `types`. */
  async run(types: readonly ResourceType[]): Promise<ExportFile[]> {
    for (const type of types) this.#files.set(type, { type, writer: this.open(type) });
    try {
      const admitted = this.#files.has("Observation") || this.#files.has("Encounter");
      const lives = await this.#records(admitted);
      if (admitted) await this.#admissions(lives.seal());
      const out: ExportFile[] = [];
      for (const { type, writer } of this.#files.values()) {
        out.push({ type, count: (await writer.close()).count });
      }
      return out;
    } catch (error) {
      for (const { writer } of this.#files.values()) await writer.abort(error);
      throw error;
    }
  }

  async #write(type: ResourceType, resources: readonly Resource[]): Promise<void> {
    const file = this.#files.get(type);
    if (!file) return;
    for (const resource of resources) await file.writer.write(resource);
  }

  async #records(admitted: boolean): Promise<PatientLives> {
    const lives = new PatientLives();
    const stream = this.store.stream(this.scope, {}, { field: "id", direction: "asc" });
    for await (const record of stream) {
      if (admitted) lives.add(record);
      await this.#tick("records");
      if (this.since !== null && !(record.updated_at && record.updated_at > this.since)) continue;
      let resources: [Patient[], Observation[], Condition[]];
      try {
        resources = [
          this.#files.has("Patient") ? [patientResource(record, this.fhir)] : [],
          this.#files.has("Observation") ? observationResources(record, this.fhir) : [],
          this.#files.has("Condition") ? conditionResources(record, this.fhir) : [],
        ];
      } catch (error) {
        if (!(error instanceof FhirMappingError)) throw error;
        this.errorsTotal++;
        if (this.errors.length < MAX_LISTED_ERRORS) this.errors.push(mappingOutcome(error));
        continue;
      }
      await this.#write("Patient", resources[0]);
      await this.#write("Observation", resources[1]);
      await this.#write("Condition", resources[2]);
    }
    return lives;
  }

  async #admissions(lives: PatientLives): Promise<void> {
    this.#read = 0;
    for await (const admission of this.store.admissions.exportAll(this.scope)) {
      await this.#tick("admissions");
      if (!lives.holds(admission)) continue;
      if (this.since !== null && !(admission.updated_at > this.since)) continue;
      const recordId = admission.patient_id;
      if (this.#files.has("Encounter")) {
        await this.#write("Encounter", [encounterResource(admission, recordId, this.fhir)]);
      }
      if (this.#files.has("Observation")) {
        await this.#write("Observation", admissionObservations(admission, recordId, this.fhir));
      }
    }
  }

  /** Every `SLICE` reads: a breath for other requests, the progress, a stop when cancelled. */
  async #tick(what: "records" | "admissions"): Promise<void> {
    if (++this.#read % SLICE !== 0) return;
    this.signal.throwIfAborted();
    await this.#pace.breathe();
    if (this.#read % (SLICE * 25) === 0) {
      const written = [...this.#files.values()].map(({ type, writer }) =>
        `${writer.written.count} ${type}`
      );
      await this.progress(`${this.#read} ${what} read; written: ${written.join(", ")}`);
    }
  }
}

/** The runs in progress of every instance in this process, by the accounts database they use. */
const RUNS = new WeakMap<object, Set<Promise<void>>>();

/**
 * Resolves once every export run of this process on `accounts` has ended (tests, before they
 * close the databases; a graceful stop).
 */
export async function exportRunsSettled(accounts: object): Promise<void> {
  const runs = RUNS.get(accounts);
  while (runs && runs.size > 0) await Promise.allSettled([...runs]);
}

/** The exports of one app instance: kick-offs, the runs it holds, take-overs. */
export class FhirExports {
  readonly #runs: Set<Promise<void>>;

  constructor(readonly deps: ExportDeps) {
    const accounts = deps.stores.accounts;
    if (!RUNS.has(accounts)) RUNS.set(accounts, new Set());
    this.#runs = RUNS.get(accounts)!;
  }

  /**
   * Stores a new job for `actor` in the registry it acts in, audits it, and starts its run here.
   * Throws `ThrottledError` (429) beyond the user's quota, `StoreUnavailableError` (503) when the
   * job or its audit entry cannot be written.
   */
  async kickOff(actor: Actor, request: ExportRequest): Promise<ExportJob> {
    allow(actor, "read");
    const owner = crypto.randomUUID();
    const registryId = actor.registry?.registryId ?? personalRegistryId(actor.userId);
    const job = await createExport(
      this.deps.stores.accounts,
      {
        userId: actor.userId,
        registryId,
        form: formOf(actor),
        base: request.base,
        request: request.request,
        types: request.types,
        since: request.since,
        client: actor.client ?? null,
        requestId: actor.requestId ?? null,
      },
      owner,
      this.deps.leaseMs,
      EXPORT_QUOTA,
    );
    try {
      await appendEntries(this.deps.stores.patients.audit, [
        entryBy(actor, "export", null, {
          details: {
            format: "fhir+ndjson",
            export_id: job.id,
            types: [...request.types],
            since: request.since?.toISOString() ?? null,
            deidentify: job.form === "deidentified",
          },
        }),
      ]);
    } catch (error) {
      await deleteExport(this.deps.stores.accounts, job.id).catch(() => {});
      throw error;
    }
    this.#start(job, owner);
    return job;
  }

  /**
   * Takes `job` over when it is in flight and its lease ran out (its instance stopped), and runs
   * it again from the start here — or, after `MAX_ATTEMPTS` runs, marks it failed. True when it
   * was taken over.
   */
  async takeOverIfStalled(job: ExportJob, now = Date.now()): Promise<boolean> {
    if (job.status !== "queued" && job.status !== "running") return false;
    if ((job.leaseUntil?.getTime() ?? 0) >= now) return false;
    const { accounts } = this.deps.stores;
    const owner = crypto.randomUUID();
    if (!(await takeOverExport(accounts, job.id, owner, this.deps.leaseMs, now))) return false;
    if (job.attempts + 1 > MAX_ATTEMPTS) {
      this.deps.log(
        `${new Date().toISOString()} FHIR export ${job.id} lost its instance too often`,
      );
      await finishExport(accounts, job.id, owner, {
        status: "failed",
        message: "The export was interrupted several times and has stopped. Please start it again.",
      }, Date.now() + EXPORT_KEPT_MS);
      return true;
    }
    this.deps.log(`${new Date().toISOString()} FHIR export ${job.id} taken over`);
    this.#start(job, owner);
    return true;
  }

  /** The housekeeping's part: takes over the jobs whose instance stopped; returns how many. */
  async resumeStalled(now = Date.now()): Promise<number> {
    let resumed = 0;
    for (const job of await stalledExports(this.deps.stores.accounts, now, 10)) {
      if (await this.takeOverIfStalled(job, now)) resumed++;
    }
    return resumed;
  }

  #start(job: ExportJob, owner: string): void {
    const run = this.#run(job, owner).catch((error) => {
      this.deps.log(
        `${new Date().toISOString()} FHIR export ${job.id} could not be recorded: ${error}`,
      );
    }).finally(() => this.#runs.delete(run));
    this.#runs.add(run);
  }

  /** Runs the job `owner` holds to its end; a failure is recorded with the job. */
  async #run(job: ExportJob, owner: string): Promise<void> {
    const { stores, leaseMs, log } = this.deps;
    const { accounts } = stores;
    const controller = new AbortController();
    const renew = async (changes: Parameters<typeof renewExport>[4] = {}) => {
      if (!(await renewExport(accounts, job.id, owner, leaseMs, changes))) {
        controller.abort(new JobLostError());
      }
      controller.signal.throwIfAborted();
    };
    const heartbeat = setInterval(
      () => renew().catch(() => {}),
      Math.max(50, Math.floor(leaseMs / 4)),
    );
    let release: (() => void) | null = null;
    try {
      // The member's role is read again for each run: one removed since is refused (404).
      const access = await this.deps.registries.resolveAccess(
        { userId: job.userId, boundScope: null },
        job.registryId,
      );
      const actor: Actor = {
        userId: job.userId,
        registry: access,
        ...(job.client !== null ? { client: job.client } : {}),
        ...(job.requestId !== null ? { requestId: job.requestId } : {}),
      };
      allow(actor, "read");
      release = await this.#slot(job, controller.signal, renew);
      const transactionTime = new Date();
      const form = formOf(actor);
      await renew({ status: "running", transactionTime, form, progress: "Starting" });
      const fhir: FhirScope = {
        keys: await this.deps.keys(),
        registry: access.registryId,
        identifierSystem: identifierSystem(new URL(job.base).origin, access.registryId),
        form,
      };
      let bytes = 0;
      const limit = this.deps.maxBytes ?? EXPORT_MAX_BYTES;
      const open = (file: string) =>
        this.#file(job.id, owner, file, (n) => {
          bytes += n;
          if (bytes > limit) throw new ExportTooLargeError(limit);
        });
      const pass = new ExportPass(
        stores.patients,
        scopeOf(actor),
        fhir,
        job.since,
        controller.signal,
        open,
        (progress) => renew({ progress }),
      );
      const output = await pass.run(job.types as ResourceType[]);
      const error: ExportFile[] = [];
      if (pass.errorsTotal > 0) {
        const outcomes = [...pass.errors];
        if (pass.errorsTotal > pass.errors.length) {
          outcomes.push(mappingOutcome(
            new FhirMappingError(
              `${pass.errorsTotal - pass.errors.length} more records could not be written.`,
            ),
          ));
        }
        const writer = open("OperationOutcome");
        for (const outcome of outcomes) await writer.write(outcome);
        error.push({ type: "OperationOutcome", count: (await writer.close()).count });
      }
      const finished = await finishExport(
        accounts,
        job.id,
        owner,
        { status: "done", files: { run: owner, output, error } },
        Date.now() + EXPORT_KEPT_MS,
      );
      // Cancelled (or taken over) after its last renewal: its files are nobody's.
      if (!finished) await deleteRunChunks(accounts, job.id, owner);
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof JobLostError) {
        // Cancelled (the job is gone) or taken over (the new run has files of its own).
        await deleteRunChunks(accounts, job.id, owner).catch(() => {});
        return;
      }
      log(`${new Date().toISOString()} ${job.requestId} FHIR export ${job.id} failed: ${error}`);
      const message = error instanceof ExportTooLargeError || error instanceof Error &&
          error.name === "RegistryNotFoundError"
        ? error.message
        : error instanceof Error && error.name === "StoreUnavailableError"
        ? `${error.message}; the export stopped. Please start it again.`
        : "The export stopped on an error, which has been logged. Please start it again.";
      const expires = Date.now() + EXPORT_KEPT_MS;
      await finishExport(accounts, job.id, owner, { status: "failed", message }, expires)
        .catch(() => {});
    } finally {
      clearInterval(heartbeat);
      release?.();
    }
  }

  /**
   * The user's heavy-work slot, waited for as long as it takes (the job stays queued meanwhile,
   * renewing its lease), until the job is lost.
   */
  async #slot(
    job: ExportJob,
    signal: AbortSignal,
    renew: (changes: { progress: string }) => Promise<void>,
  ): Promise<() => void> {
    for (;;) {
      signal.throwIfAborted();
      try {
        return await this.deps.heavy.acquire(
          { userId: job.userId, requestId: `fhir-export-${job.id}` },
          "FHIR export",
        );
      } catch (error) {
        if (!(error instanceof UserBusyError) && !(error instanceof BusyError)) throw error;
        await renew({
          progress: error instanceof UserBusyError
            ? "Waiting for your other export or summary to finish"
            : "Waiting for the server to be less busy",
        });
        await sleep(SLOT_RETRY_MS);
      }
    }
  }

  /** A file of the run: NDJSON whose pieces are stored as they fill. */
  #file(id: string, run: string, file: string, onBytes: (bytes: number) => void): NdjsonWriter {
    const { accounts } = this.deps.stores;
    let seq = 0;
    const sink = new WritableStream<Uint8Array>({
      write: async (data) => {
        onBytes(data.byteLength);
        await writeExportChunk(accounts, { id, run, file, seq: seq++, data });
      },
    });
    return new NdjsonWriter(sink, { chunkChars: PIECE_CHARS, reuse: true });
  }
}

/**
 * The housekeeping's job: removes the exports whose files expired, and takes over those whose
 * instance stopped (they run on in this process).
 */
export function exportHousekeeping(
  stores: Stores,
  config: Pick<Config, "heavyWork" | "fhirIdSecret" | "fhirExportLeaseMs">,
  log: Log,
): () => Promise<{ expired: number; resumed: number }> {
  const exports = new FhirExports({
    stores,
    registries: createRegistryService(stores.accounts),
    heavy: new HeavyWork(config.heavyWork),
    keys: fhirKeySource(config.fhirIdSecret, stores.accounts),
    log,
    leaseMs: config.fhirExportLeaseMs,
  });
  return async () => ({
    expired: await deleteExpiredExports(stores.accounts),
    resumed: await exports.resumeStalled(),
  });
}
