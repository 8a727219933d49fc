/**
 * Data in and out through the JSON API: CSV import (with a dry run), the import template, the
 * codebook, and streamed exports of the current filters (plain or de-identified). Mounted
 * before `/api/patient_data/{id}`, whose path would otherwise take `export` for an id; the
 * template and codebook before authentication.
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { codebook, codebookCsv, importTemplate } from "../lib/codebook.ts";
import { CsvTooLargeError, readCsvRecords, spoolUpload } from "../lib/csv_rows.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import type { ExportFormat, ExportOptions } from "../lib/patient_export.ts";
import type { OnConflict } from "../lib/patient_import.ts";
import { parseListQuery, type PatientListQuery } from "../lib/patient_query.ts";
import { onlyKnown } from "../lib/query_params.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";

export const apiDataRoutes = new Hono<AppEnv>();

/** Media types a CSV upload may be sent as (spreadsheets and scripts say it differently). */
const CSV_TYPES = ["text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"];

const EXPORT_OPTIONS = ["format", "deidentify", "k_min"] as const;

/** A flag parameter: `true` or `false`; anything else is reported. */
function flag(
  params: URLSearchParams,
  name: string,
  errors: FieldError[],
): boolean {
  const value = params.get(name);
  if (value === null || value === "false") return false;
  if (value === "true") return true;
  errors.push({ field: name, message: `${name} must be true or false` });
  return false;
}

/** The parameters of an import: `on_conflict` and `dry_run`; throws `InvalidQueryError`. */
export function importParameters(
  params: URLSearchParams,
): { onConflict: OnConflict; dryRun: boolean } {
  const errors: FieldError[] = [];
  onlyKnown(params, ["on_conflict", "dry_run"], errors);
  const onConflict = params.get("on_conflict") ?? "skip";
  if (onConflict !== "skip" && onConflict !== "update") {
    errors.push({ field: "on_conflict", message: "on_conflict must be skip or update" });
  }
  const dryRun = flag(params, "dry_run", errors);
  if (errors.length) throw new InvalidQueryError(errors);
  return { onConflict: onConflict as OnConflict, dryRun };
}

/** The filters, sort and options of an export; throws `InvalidQueryError`. */
export function exportParameters(
  params: URLSearchParams,
  options: { emptyMeansAbsent?: boolean } = {},
): { query: PatientListQuery; options: ExportOptions } {
  const errors: FieldError[] = [];
  const parsed = parseListQuery(params, { ...options, ignore: EXPORT_OPTIONS });
  if (!parsed.ok) errors.push(...parsed.errors);
  for (const name of ["page", "per_page"]) {
    if (params.has(name)) {
      errors.push({
        field: name,
        message: `An export holds every matching record; leave ${name} out`,
      });
    }
  }
  const format = params.get("format") ?? "csv";
  if (format !== "csv" && format !== "json") {
    errors.push({ field: "format", message: "format must be csv or json" });
  }
  const deidentify = flag(params, "deidentify", errors);
  const kText = params.get("k_min");
  let kMin: number | undefined;
  if (kText !== null && !(options.emptyMeansAbsent && kText === "")) {
    kMin = /^\d{1,6}$/.test(kText) ? Number(kText) : NaN;
    if (!(kMin >= 1)) {
      errors.push({ field: "k_min", message: "k_min must be a whole number from 1" });
    } else if (!deidentify) {
      errors.push({ field: "k_min", message: "k_min applies to a de-identified export only" });
    }
  }
  if (errors.length || !parsed.ok) throw new InvalidQueryError(errors);
  return { query: parsed.query, options: { format: format as ExportFormat, deidentify, kMin } };
}

/** Sends an export: headers first (k and suppression are known before the first row), then the rows. */
export async function sendExport(
  c: Context<AppEnv>,
  query: PatientListQuery,
  options: ExportOptions,
): Promise<Response> {
  const plan = await c.get("patients").exportRecords(actorOf(c), query, options);
  const date = new Date().toISOString().slice(0, 10);
  const name = `patients${options.deidentify ? "-deidentified" : ""}-${date}.${options.format}`;
  c.header("Content-Disposition", `attachment; filename="${name}"`);
  c.header(
    "Content-Type",
    options.format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
  );
  if (plan.k !== null) {
    c.header("X-K-Anonymity", String(plan.k));
    c.header("X-Suppressed-Rows", String(plan.suppressed));
  }
  const body = ReadableStream.from(plan.body).pipeThrough(new TextEncoderStream());
  return c.body(body, 200);
}

apiDataRoutes.get("/api/patient_data/export", (c) => {
  const { query, options } = exportParameters(new URL(c.req.url).searchParams);
  return sendExport(c, query, options);
});

apiDataRoutes.post("/api/patient_data/import", async (c) => {
  const { onConflict, dryRun } = importParameters(new URL(c.req.url).searchParams);
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!CSV_TYPES.includes(type)) {
    throw new HTTPException(400, {
      message: "Send the file as CSV, with `Content-Type: text/csv`.",
    });
  }
  const maxBytes = c.get("deps").config.importMaxBytes;
  const lengthHeader = c.req.header("Content-Length");
  if (Number(lengthHeader ?? NaN) > maxBytes) throw new CsvTooLargeError(maxBytes);
  // A body of announced length streams straight into the import (the server reads no more than
  // that). One without (chunked) is first written to a temporary file, counting its bytes: a
  // file over the limit is then refused before any row is stored, and never held in memory.
  const raw = c.req.raw.body;
  const chunked = raw !== null && (lengthHeader === undefined || c.req.header("Transfer-Encoding"));
  const spooled = chunked ? await spoolUpload(raw, maxBytes) : null;
  const file = spooled ? await Deno.open(spooled.path, { read: true }) : null;
  try {
    const result = await c.get("patients").importRecords(
      actorOf(c),
      readCsvRecords(file?.readable ?? raw ?? new Uint8Array(), maxBytes),
      { onConflict, dryRun },
    );
    const { rows: _rows, ...answer } = result;
    return c.json(answer, 200);
  } finally {
    try {
      file?.close();
    } catch { /* closed when its stream ended */ }
    await spooled?.remove();
  }
});

/** The template and the codebook describe fields, not records: they need no login. */
export const publicApiDataRoutes = new Hono<AppEnv>();

publicApiDataRoutes.get("/api/patient_data/import/template", (c) => {
  c.header("Content-Disposition", 'attachment; filename="patients-template.csv"');
  return c.body(importTemplate(), 200, { "Content-Type": "text/csv; charset=utf-8" });
});

publicApiDataRoutes.get("/api/codebook", (c) => {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [];
  onlyKnown(params, ["format"], errors);
  const format = params.get("format") ?? "json";
  if (format !== "json" && format !== "csv") {
    errors.push({ field: "format", message: "format must be json or csv" });
  }
  if (errors.length) throw new InvalidQueryError(errors);
  if (format === "csv") {
    c.header("Content-Disposition", 'attachment; filename="codebook.csv"');
    return c.body(codebookCsv(), 200, { "Content-Type": "text/csv; charset=utf-8" });
  }
  return c.json(codebook());
});
