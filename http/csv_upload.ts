/**
 * A CSV file sent as a request body (`POST /api/patient_data/import`,
 * `POST /api/admissions/import`), read as records within the import's size limit.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type CsvRecord, CsvTooLargeError, readCsvRecords, spoolUpload } from "../lib/csv_rows.ts";
import type { AppEnv } from "./env.ts";

/** Media types a CSV upload may be sent as (spreadsheets and scripts say it differently). */
const CSV_TYPES = ["text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"];

/**
 * Hands the request's CSV body, as records, to `use`: a 400 for a body not sent as CSV, a 413
 * (`CsvTooLargeError`) for one over the configured limit.
 */
export async function withCsvUpload<T>(
  c: Context<AppEnv>,
  use: (records: AsyncGenerator<CsvRecord>) => Promise<T>,
): Promise<T> {
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
    return await use(readCsvRecords(file?.readable ?? raw ?? new Uint8Array(), maxBytes));
  } finally {
    try {
      file?.close();
    } catch { /* closed when its stream ended */ }
    await spooled?.remove();
  }
}
