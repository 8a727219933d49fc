/**
 * Runs the browser's imports so that they survive the instance that runs them: a run holds its
 * import by a lease it renews, writes a checkpoint after each batch (with its audit entry), and
 * when its instance dies, any instance — the one the user's page polls, or the housekeeping —
 * takes the import over once the lease ran out and goes on from the checkpoint, recognising the
 * rows the lost run stored, so that nothing is imported twice.
 */
import type { Config } from "../config.ts";
import { RegistryForbiddenError } from "./errors.ts";
import type { AccountsDb } from "../db/accounts/database.ts";
import {
  claimImport,
  findImport,
  finishImport,
  type ImportJob,
  type ImportStatus,
  renewLease,
  stalledImports,
  takeOverImport,
  uploadBytes,
} from "../db/accounts/imports.ts";
import type { Stores } from "../db/stores.ts";
import type { AuditEntry } from "./audit.ts";
import { type Actor, entryBy } from "./audit_trail.ts";
import { readCsvRecords } from "./csv_rows.ts";
import { type ImportCheckpoint, ImportFileError } from "./patient_import.ts";
import { createPatientService, type PatientService } from "./patient_service.ts";
import { createRegistryService, type RegistryService } from "./registry_service.ts";
import type { Log } from "../http/env.ts";

/** What a run keeps with its import (the `run` column), for a run that goes on from it. */
export interface ImportRun {
  /** When the first run began (epoch ms): records written since then may be the import's. */
  since: number;
  /**
   * Who asked for the import: entries of later runs name the same client and request, and act
   * in the same registry (by its id; the user's role there is read again for every run).
   */
  actor: { client: string | null; requestId: string | null; registry?: string | null };
  /** The import's audit entry, once it is begun. */
  entry: { id: string; at: string } | null;
  checkpoint: ImportCheckpoint | null;
  /** Why the last run failed, in words for the page (null: an outage or a lost instance). */
  failure: string | null;
}

export interface RunnerDeps {
  accounts: AccountsDb;
  /** Reads the user's role in the import's registry again for each run. */
  registries: RegistryService;
  patients: PatientService;
  config: Pick<Config, "importMaxBytes" | "importLeaseMs">;
  log: Log;
}

/** Takeovers after which an import that keeps losing its instance is marked failed instead. */
const MAX_ATTEMPTS = 3;

/** The lease was taken over by another instance: this run stops. */
class LeaseLostError extends Error {
  constructor() {
    super("Another instance took the import over");
    this.name = "LeaseLostError";
  }
}

/** The import's audit entry as the first run began it. */
function entryOf(run: ImportRun, job: ImportJob, actor: Actor): AuditEntry | undefined {
  if (!run.entry) return undefined;
  return {
    ...entryBy(actor, "import", null, {
      details: { on_conflict: job.onConflict, file_name: job.fileName },
    }),
    id: run.entry.id,
    at: new Date(run.entry.at),
  };
}

/**
 * Runs the import that `owner` holds, to its end (or until another instance takes it over);
 * never rejects — a failure is recorded with the import (and logged).
 */
async function runHeld(
  deps: RunnerDeps,
  id: string,
  userId: number,
  owner: string,
  asker: Actor,
): Promise<void> {
  try {
    await runToEnd(deps, id, userId, owner, asker);
  } catch (error) {
    deps.log(`${new Date().toISOString()} import ${id} could not be recorded: ${error}`);
  }
}

async function runToEnd(deps: RunnerDeps, id: string, userId: number, owner: string, asker: Actor) {
  const { accounts, config, log } = deps;
  const job = (await findImport(accounts, userId, id))!;
  const previous = job.run as ImportRun | null;
  const run: ImportRun = previous ? { ...previous, failure: null } : {
    since: Date.now(),
    actor: {
      client: asker.client ?? null,
      requestId: asker.requestId ?? null,
      registry: asker.registry?.registryId ?? null,
    },
    entry: null,
    checkpoint: null,
    failure: null,
  };
  const registryId = run.actor.registry ?? null;
  // The user's role there, read again: a member removed (or lowered to viewer) since the import
  // was asked for stores nothing, and the import fails saying why.
  const access = registryId === null
    ? null
    : await deps.registries.resolveAccess({ userId }, registryId).catch((error) => error as Error);
  const actor: Actor = {
    userId,
    ...(access && !(access instanceof Error) ? { registry: access } : {}),
    ...(run.actor.client !== null ? { client: run.actor.client } : {}),
    ...(run.actor.requestId !== null ? { requestId: run.actor.requestId } : {}),
  };
  const controller = new AbortController();
  let rowsDone = previous?.checkpoint?.rowsDone ?? 0;
  const save = async () => {
    const held = await renewLease(accounts, id, owner, config.importLeaseMs, { rowsDone, run });
    if (!held) controller.abort(new LeaseLostError());
    controller.signal.throwIfAborted();
  };
  const heartbeat = setInterval(
    () => save().catch(() => {}),
    Math.max(100, Math.floor(config.importLeaseMs / 4)),
  );
  try {
    await save(); // the start is kept before anything is stored
    if (access instanceof Error) throw access;
    const entry = entryOf(run, job, actor);
    const result = await deps.patients.importRecords(
      actor,
      readCsvRecords(uploadBytes(accounts, id), config.importMaxBytes),
      {
        onConflict: job.onConflict,
        dryRun: false,
        fileName: job.fileName,
        keepEntryOnFailure: true,
        signal: controller.signal,
        ...(entry ? { entry } : {}),
        ...(previous
          ? { resume: { checkpoint: previous.checkpoint, since: new Date(run.since) } }
          : {}),
        onBegun: async (begun) => {
          run.entry = { id: begun.id, at: begun.at.toISOString() };
          await save();
        },
        onCheckpoint: async (checkpoint) => {
          run.checkpoint = checkpoint;
          rowsDone = checkpoint.rowsDone;
          await save();
        },
      },
    );
    await finishImport(accounts, id, owner, { status: "done", result, rowsDone: result.rows });
  } catch (error) {
    if (controller.signal.aborted) {
      log(`${new Date().toISOString()} import ${id} goes on in another instance`);
      return;
    }
    log(`${new Date().toISOString()} ${actor.requestId} import ${id} failed: ${error}`);
    // Refused in the registry: removed since it was asked for, or now a viewer there.
    const refused = error === access || error instanceof RegistryForbiddenError;
    if (error instanceof ImportFileError || refused) run.failure = (error as Error).message;
    await renewLease(accounts, id, owner, config.importLeaseMs, { rowsDone, run }).catch(() => {});
    await finishImport(accounts, id, owner, { status: "failed" }).catch(() => {});
  } finally {
    clearInterval(heartbeat);
  }
}

/** A run that started: `done` settles when it ends (it never rejects). */
export interface StartedRun {
  done: Promise<void>;
}

/**
 * Starts a run of `job` for `actor`, from one of the `from` statuses; null when the import was
 * not in such a status (another request started it first).
 */
export async function startImport(
  deps: RunnerDeps,
  job: ImportJob,
  actor: Actor,
  from: ImportStatus[],
): Promise<StartedRun | null> {
  const owner = crypto.randomUUID();
  if (!(await claimImport(deps.accounts, job.id, from, owner, deps.config.importLeaseMs))) {
    return null;
  }
  return { done: runHeld(deps, job.id, job.userId, owner, actor) };
}

/**
 * Takes over `job` when it is running and its lease ran out (its instance is gone), and goes
 * on with it — or, after `MAX_ATTEMPTS` runs, marks it failed (the page offers to run it
 * again). Null when there was nothing to take over.
 */
export async function takeOver(
  deps: RunnerDeps,
  job: ImportJob,
  asker: Actor,
): Promise<StartedRun | null> {
  if (job.status !== "running" || (job.leaseUntil?.getTime() ?? 0) >= Date.now()) return null;
  const owner = crypto.randomUUID();
  if (!(await takeOverImport(deps.accounts, job.id, owner, deps.config.importLeaseMs))) {
    return null;
  }
  if (job.attempts + 1 > MAX_ATTEMPTS) {
    deps.log(`${new Date().toISOString()} import ${job.id} lost its instance too often`);
    await finishImport(deps.accounts, job.id, owner, { status: "failed" });
    return { done: Promise.resolve() };
  }
  deps.log(`${new Date().toISOString()} import ${job.id} taken over after its instance stopped`);
  return { done: runHeld(deps, job.id, job.userId, owner, asker) };
}

/** The housekeeping's part: takes over the imports whose instance is gone; returns how many. */
export async function resumeStalledImports(
  stores: Stores,
  config: RunnerDeps["config"],
  log: Log,
): Promise<number> {
  const deps = {
    accounts: stores.accounts,
    registries: createRegistryService(stores.accounts),
    patients: createPatientService(stores.patients),
    config,
    log,
  };
  let resumed = 0;
  for (const job of await stalledImports(stores.accounts, Date.now(), 10)) {
    const running = await takeOver(deps, job, { userId: job.userId });
    if (!running) continue;
    resumed++;
    await running.done;
  }
  return resumed;
}
