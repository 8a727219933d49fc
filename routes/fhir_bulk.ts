/**
 * FHIR Bulk Data export (Bulk Data Access 2.0): `GET /fhir/$export` and `/fhir/Patient/$export`
 * with `Prefer: respond-async` start a job (202 + `Content-Location`); its status URL answers 202
 * with `X-Progress` while it runs, then the manifest; `DELETE` on it cancels (or removes a finished
 * job's files); each output file is NDJSON, served to the user who asked for it only.
 */
import { type Context, Hono } from "hono";
import {
  deleteExport,
  exportFileBytes,
  type ExportJob,
  findExport,
} from "../db/accounts/fhir_exports.ts";
import { type FieldError, InvalidQueryError, NotFoundError } from "../lib/errors.ts";
import { type FhirExports } from "../lib/fhir_export.ts";
import { exportManifest, NDJSON_TYPE } from "../lib/fhir/ndjson.ts";
import { informationOutcome } from "../lib/fhir/outcome.ts";
import { isResourceType, RESOURCE_TYPES, type ResourceType } from "../lib/fhir_service.ts";
import { requireRight } from "../lib/registry_rights.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { fhirJson, outcomeResponse } from "../http/fhir_response.ts";
import { registryCaller } from "../http/registry_access.ts";
import { fhirBase, fhirParams, requestUrl } from "../http/fhir_request.ts";

/** Where a job's status is polled, and where its files are. */
export const STATUS_PATH = "bulk-status";
export const FILES_PATH = "bulk-files";
/** Seconds a client is asked to wait between two polls. */
const RETRY_AFTER_S = 2;
/** What `_outputFormat` may say. */
const NDJSON_FORMATS = new Set(["application/fhir+ndjson", "application/ndjson", "ndjson"]);
/** A FHIR instant: a date-time with seconds and a zone. */
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a kick-off asks for, read strictly (400 naming each bad parameter). */
function kickOffParams(c: Context<AppEnv>): { types: ResourceType[]; since: Date | null } {
  const errors: FieldError[] = [];
  const params = fhirParams(c, ["_type", "_since", "_outputFormat"], errors);
  let types: ResourceType[] = [...RESOURCE_TYPES];
  const typeList = params.get("_type");
  if (typeList !== null) {
    const asked = typeList.split(",").map((t) => t.trim()).filter(Boolean);
    const unknown = asked.filter((t) => !isResourceType(t));
    if (unknown.length > 0 || asked.length === 0) {
      errors.push({
        field: "_type",
        message: `_type must list resource types this server exports (${
          RESOURCE_TYPES.join(", ")
        }); ${
          unknown.length > 0
            ? `it does not export ${unknown.slice(0, 5).map((t) => t.slice(0, 40)).join(", ")}`
            : "the list is empty"
        }`,
      });
    }
    types = RESOURCE_TYPES.filter((t) => asked.includes(t));
  }
  let since: Date | null = null;
  const sinceText = params.get("_since");
  if (sinceText !== null) {
    const parsed = INSTANT.test(sinceText.trim()) ? new Date(sinceText.trim()) : null;
    if (!parsed || Number.isNaN(parsed.getTime())) {
      errors.push({
        field: "_since",
        message: "_since must be a FHIR instant, e.g. 2026-01-31T12:00:00Z (a time zone is needed)",
      });
    } else since = parsed;
  }
  const format = params.get("_outputFormat");
  if (format !== null && !NDJSON_FORMATS.has(format.trim().toLowerCase())) {
    errors.push({
      field: "_outputFormat",
      message: "_outputFormat must be application/fhir+ndjson: the only format this server writes",
    });
  }
  if (errors.length > 0) throw new InvalidQueryError(errors);
  return { types, since };
}

/**
 * The job the path names, when it is the caller's (and, for a registry-bound token, of its
 * registry); a 404 otherwise, as for an id nobody has.
 */
async function jobOf(c: Context<AppEnv>): Promise<ExportJob> {
  const id = c.req.param("id") ?? "";
  const job = JOB_ID.test(id) ? await findExport(c.get("deps").stores.accounts, id) : null;
  const bound = c.get("tokenRegistryScope") ?? null;
  const mine = job !== null && job.userId === c.get("user")!.id &&
    (bound === null || job.registryId === c.get("registry")?.registryId);
  const expired = job?.expiresAt !== null && job?.expiresAt !== undefined &&
    job.expiresAt.getTime() < Date.now();
  if (!mine || expired) {
    throw new NotFoundError(
      "There is no such export: its files are kept for an hour after it finished, and a cancelled export is removed at once.",
    );
  }
  return job;
}

export function fhirBulkRoutes(exports: FhirExports): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  const kickOff = async (c: Context<AppEnv>) => {
    const { types, since } = kickOffParams(c);
    const prefer = c.req.header("Prefer") ?? "";
    if (!/(^|[,;\s])respond-async([,;\s]|$)/i.test(prefer)) {
      throw new InvalidQueryError([{
        field: "Prefer",
        message: "A Bulk Data export runs in the background: send `Prefer: respond-async`",
      }]);
    }
    const base = fhirBase(c);
    const job = await exports.kickOff(actorOf(c), {
      base,
      request: requestUrl(c),
      types,
      since,
    });
    c.header("Content-Location", `${base}/${STATUS_PATH}/${job.id}`);
    return fhirJson(
      c,
      informationOutcome(
        `The export has started. Poll ${base}/${STATUS_PATH}/${job.id} for its progress.`,
      ),
      202,
    );
  };
  // `$` may come percent-encoded, as `%24`.
  for (const path of ["/$export", "/%24export", "/Patient/$export", "/Patient/%24export"]) {
    routes.get(path, kickOff);
  }

  routes.get(`/${STATUS_PATH}/:id`, async (c) => {
    fhirParams(c, []);
    let job = await jobOf(c);
    // A job whose instance stopped goes on here: the client's poll keeps it going.
    if (await exports.takeOverIfStalled(job)) job = await jobOf(c);
    if (job.status === "queued" || job.status === "running") {
      c.header("X-Progress", job.progress ?? "Running");
      c.header("Retry-After", String(RETRY_AFTER_S));
      return c.body(null, 202);
    }
    if (job.status === "failed") {
      return outcomeResponse(c, 500, job.message ?? "The export failed. Please start it again.");
    }
    const files = job.files!;
    const url = (type: string) => `${job.base}/${FILES_PATH}/${job.id}/${type}.ndjson`;
    if (job.expiresAt) c.header("Expires", job.expiresAt.toUTCString());
    return c.json(
      exportManifest({
        transactionTime: job.transactionTime ?? job.createdAt,
        request: job.request,
        output: files.output.map((f) => ({ ...f, url: url(f.type) })),
        error: files.error.map((f) => ({ ...f, url: url(f.type) })),
      }),
    );
  });

  routes.delete(`/${STATUS_PATH}/:id`, async (c) => {
    fhirParams(c, []);
    const job = await jobOf(c);
    await deleteExport(c.get("deps").stores.accounts, job.id);
    return fhirJson(
      c,
      informationOutcome(
        job.status === "done" || job.status === "failed"
          ? "The export's files have been deleted."
          : "The export has been cancelled.",
      ),
      202,
    );
  });

  routes.get(`/${FILES_PATH}/:id/:file{[A-Za-z]{1,32}\\.ndjson}`, async (c) => {
    fhirParams(c, []);
    const job = await jobOf(c);
    const type = c.req.param("file").replace(/\.ndjson$/, "");
    const files = job.status === "done" ? job.files! : null;
    const listed = files && [...files.output, ...files.error].some((f) => f.type === type);
    if (!listed) throw new NotFoundError(`This export has no ${type} file.`);
    // The member's role now: one removed since gets a 404, one lowered to viewer no plain file.
    const access = await c.get("registries").resolveAccess(
      { ...registryCaller(c), boundScope: null },
      job.registryId,
    );
    requireRight(access, job.form === "plain" ? "export_plain" : "read");
    const { accounts } = c.get("deps").stores;
    // The first piece is read before the answer starts: a database that fails now is a 503,
    // not a cut file. Then one piece at a time, as the client takes them.
    const pieces = exportFileBytes(accounts, job.id, files!.run, type)[Symbol.asyncIterator]();
    const first = await pieces.next();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(first.value);
      },
      async pull(controller) {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await pieces.return?.();
      },
    }, { highWaterMark: 0 });
    return c.body(body, 200, {
      "Content-Type": NDJSON_TYPE,
      "Content-Disposition": `attachment; filename="${type}.ndjson"`,
    });
  });

  return routes;
}
