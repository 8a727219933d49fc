/**
 * FHIR Bulk Data export jobs and their NDJSON files, in the accounts database, so that any app
 * instance answers a job's status and serves its files, and a job whose instance stopped is
 * taken over by another (the job is held by a lease its run renews, as imports are). Each user
 * has a few jobs in flight at most; files are kept for a while after the job ends, then removed.
 */
import { readChunks, writeChunk } from "./chunks.ts";
import type { AccountsDb } from "./database.ts";
import { jobLeases } from "./leases.ts";
import type { FhirExportsTable } from "./schema.ts";
import { ThrottledError } from "../../lib/errors.ts";

export type ExportStatus = "queued" | "running" | "done" | "failed";

/** The statuses of a job that has not ended. */
export const IN_FLIGHT: readonly ExportStatus[] = ["queued", "running"];

/** One file of a finished job: its name (the resource type) and how many lines it holds. */
export interface ExportFile {
  type: string;
  count: number;
}

/** What a finished job wrote: resources by type, and OperationOutcomes of records it could not. */
export interface ExportFiles {
  /** The run that wrote the files (their pieces are stored under it). */
  run: string;
  output: ExportFile[];
  error: ExportFile[];
}

export interface ExportJob {
  id: string;
  userId: number;
  registryId: string;
  form: "plain" | "deidentified";
  status: ExportStatus;
  base: string;
  request: string;
  types: string[];
  since: Date | null;
  transactionTime: Date | null;
  progress: string | null;
  files: ExportFiles | null;
  message: string | null;
  client: string | null;
  requestId: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
}

/** What a new job is made of. */
export interface NewExport {
  userId: number;
  registryId: string;
  form: "plain" | "deidentified";
  base: string;
  request: string;
  types: readonly string[];
  since: Date | null;
  client: string | null;
  requestId: string | null;
}

/** How many jobs a user may have: in flight, and kept in all (files not yet expired). */
export interface ExportQuota {
  inFlight: number;
  kept: number;
}

const dateOf = (ms: number | null) => ms === null ? null : new Date(Number(ms));

function toJob(row: FhirExportsTable): ExportJob {
  return {
    id: row.id,
    userId: Number(row.user_id),
    registryId: row.registry_id,
    form: row.form === "deidentified" ? "deidentified" : "plain",
    status: row.status as ExportStatus,
    base: row.base,
    request: row.request,
    types: row.types.split(",").filter(Boolean),
    since: dateOf(row.since),
    transactionTime: dateOf(row.transaction_time),
    progress: row.progress,
    files: row.output === null ? null : JSON.parse(row.output),
    message: row.message,
    client: row.client,
    requestId: row.request_id,
    leaseOwner: row.lease_owner,
    leaseUntil: dateOf(row.lease_until),
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    expiresAt: dateOf(row.expires_at),
  };
}

/**
 * Stores a new job (`queued`, held by `owner` for `leaseMs`). Refused with `ThrottledError` when
 * the user has `quota.inFlight` jobs in flight or `quota.kept` jobs kept already: the job is
 * written first and counted after with those made before it, so that of requests racing on
 * several instances the first ones are kept (two made in the same millisecond are each counted
 * with the other: at most both are refused, never both kept over the quota).
 */
export function createExport(
  accounts: AccountsDb,
  job: NewExport,
  owner: string,
  leaseMs: number,
  quota: ExportQuota,
  now = Date.now(),
): Promise<ExportJob> {
  const row: FhirExportsTable = {
    id: crypto.randomUUID(),
    user_id: job.userId,
    registry_id: job.registryId,
    form: job.form,
    status: "queued",
    base: job.base,
    request: job.request,
    types: job.types.join(","),
    since: job.since?.getTime() ?? null,
    transaction_time: null,
    progress: "Waiting to start",
    output: null,
    message: null,
    client: job.client?.slice(0, 100) ?? null,
    request_id: job.requestId?.slice(0, 100) ?? null,
    lease_owner: owner,
    lease_until: now + leaseMs,
    attempts: 1,
    created_at: now,
    updated_at: now,
    expires_at: null,
  };
  return accounts.run(async (db) => {
    await db.insertInto("fhir_exports").values(row).execute();
    const mine = await db.selectFrom("fhir_exports").select(["status", "created_at"])
      .where("user_id", "=", job.userId)
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
      .execute();
    // Those made before this one, and in the same millisecond: a tie counts against both, as an
    // earlier job in that millisecond that sorts after this one by id was counted without it.
    const before = mine.filter((r) => r.created_at <= row.created_at);
    const flying = before.filter((r) => IN_FLIGHT.includes(r.status as ExportStatus)).length;
    if (flying > quota.inFlight || before.length > quota.kept) {
      await db.deleteFrom("fhir_exports").where("id", "=", row.id).execute();
      throw new ThrottledError(
        flying > quota.inFlight ? 30_000 : 600_000,
        flying > quota.inFlight
          ? `You have ${quota.inFlight} exports running already, the most at a time. Wait for one to finish, or cancel one (DELETE its status URL).`
          : `You keep ${quota.kept} exports already, the most at a time. Delete one you have downloaded (DELETE its status URL), or wait until one expires.`,
      );
    }
    return toJob(row);
  });
}

/** The job with this id, or null. */
export function findExport(accounts: AccountsDb, id: string): Promise<ExportJob | null> {
  return accounts.run(async (db) => {
    const row = await db.selectFrom("fhir_exports").selectAll().where("id", "=", id)
      .executeTakeFirst();
    return row ? toJob(row) : null;
  });
}

/** A job in flight is held by a lease (see leases.ts). */
const leases = jobLeases("fhir_exports", IN_FLIGHT);

/**
 * Renews the lease of the run `owner` (recording `changes` with it): false when the run no longer
 * holds a job in flight (it was cancelled, or another instance took it over).
 */
export function renewExport(
  accounts: AccountsDb,
  id: string,
  owner: string,
  leaseMs: number,
  changes: { progress?: string; status?: "running"; transactionTime?: Date; form?: string } = {},
): Promise<boolean> {
  return leases.renew(accounts, id, owner, leaseMs, {
    ...(changes.progress !== undefined ? { progress: changes.progress.slice(0, 255) } : {}),
    ...(changes.status !== undefined ? { status: changes.status } : {}),
    ...(changes.form !== undefined ? { form: changes.form } : {}),
    ...(changes.transactionTime !== undefined
      ? { transaction_time: changes.transactionTime.getTime() }
      : {}),
  });
}

/**
 * Ends the run `owner` holds: `done` with its files, or `failed` with a message for the client
 * (its files are removed). Either is kept until `expiresAt`. False when the run no longer held it.
 */
export function finishExport(
  accounts: AccountsDb,
  id: string,
  owner: string,
  outcome: { status: "done"; files: ExportFiles } | { status: "failed"; message: string },
  expiresAt: number,
): Promise<boolean> {
  return accounts.run(async (db) => {
    const finished = await leases.end(db, id, owner, {
      status: outcome.status,
      expires_at: expiresAt,
      progress: null,
      ...(outcome.status === "done"
        ? { output: JSON.stringify(outcome.files) }
        : { message: outcome.message.slice(0, 2000) }),
    });
    if (finished) {
      // A failed job keeps no file; a done one only those of this run (not an earlier run's).
      await db.deleteFrom("fhir_export_chunks").where("export_id", "=", id)
        .$if(outcome.status === "done", (q) => q.where("run", "!=", owner)).execute();
    }
    return finished;
  });
}

/**
 * Takes over a job in flight whose lease ran out by `now` (its instance is gone), as `owner`:
 * false when it is not such a job, or another instance took it first.
 */
export const takeOverExport = leases.takeOver;

/** Jobs in flight whose lease ran out before `now`, oldest first. */
export async function stalledExports(
  accounts: AccountsDb,
  now: number,
  limit: number,
): Promise<ExportJob[]> {
  return (await leases.stalled(accounts, now, limit)).map(toJob);
}

/** Removes a job and its files (a cancelled job, or one its client is done with). */
export function deleteExport(accounts: AccountsDb, id: string): Promise<boolean> {
  return accounts.run(async (db) => {
    const result = await db.deleteFrom("fhir_exports").where("id", "=", id).executeTakeFirst();
    await db.deleteFrom("fhir_export_chunks").where("export_id", "=", id).execute();
    return Number(result.numDeletedRows) === 1;
  });
}

/** Stores one piece of a file of the job's run `run`. */
export function writeExportChunk(
  accounts: AccountsDb,
  chunk: { id: string; run: string; file: string; seq: number; data: Uint8Array },
): Promise<void> {
  return accounts.run((db) =>
    writeChunk(
      db,
      "fhir_export_chunks",
      { export_id: chunk.id, run: chunk.run, file: chunk.file },
      chunk.seq,
      chunk.data,
    )
  );
}

/** Removes the pieces a run wrote (a cancelled run's). */
export function deleteRunChunks(accounts: AccountsDb, id: string, run: string): Promise<void> {
  return accounts.run(async (db) => {
    await db.deleteFrom("fhir_export_chunks").where("export_id", "=", id).where("run", "=", run)
      .execute();
  });
}

/** A file of a finished job, piece by piece (one piece in memory at a time). */
export function exportFileBytes(
  accounts: AccountsDb,
  id: string,
  run: string,
  file: string,
): AsyncIterable<Uint8Array> {
  return readChunks(accounts, "fhir_export_chunks", { export_id: id, run, file });
}

/**
 * Removes the jobs whose files expired before `now` (and pieces of files whose job is gone, left
 * by a run that stopped mid-write); returns how many jobs.
 */
export function deleteExpiredExports(accounts: AccountsDb, now = Date.now()): Promise<number> {
  return accounts.run(async (db) => {
    const old = await db.selectFrom("fhir_exports").select("id")
      .where("expires_at", "is not", null).where("expires_at", "<", now).execute();
    const ids = old.map((row) => row.id);
    if (ids.length > 0) {
      await db.deleteFrom("fhir_export_chunks").where("export_id", "in", ids).execute();
      await db.deleteFrom("fhir_exports").where("id", "in", ids).execute();
    }
    await db.deleteFrom("fhir_export_chunks").where(
      "export_id",
      "not in",
      db.selectFrom("fhir_exports").select("id"),
    ).execute();
    return ids.length;
  });
}
