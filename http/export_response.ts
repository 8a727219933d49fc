/**
 * An export's answer: a dated attachment, a de-identified export's k and suppressed rows in the
 * headers (known before the first row), then the body as it streams.
 */
import type { Context } from "hono";
import type { ExportPlan } from "../lib/patient_export.ts";
import type { AppEnv } from "./env.ts";

/** Sends `plan` as `{name}-{date}.{extension}` (`patients-deidentified-2026-12-03.csv`). */
export function sendExportPlan(
  c: Context<AppEnv>,
  plan: ExportPlan,
  file: { name: string; extension: "csv" | "json" },
): Response {
  const date = new Date().toISOString().slice(0, 10);
  c.header("Content-Disposition", `attachment; filename="${file.name}-${date}.${file.extension}"`);
  c.header(
    "Content-Type",
    file.extension === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
  );
  if (plan.k !== null) {
    c.header("X-K-Anonymity", String(plan.k));
    c.header("X-Suppressed-Rows", String(plan.suppressed));
  }
  return c.body(ReadableStream.from(plan.body).pipeThrough(utf8()), 200);
}

/** Chunks of whole lines as UTF-8: text encoded, bytes passed on as they are, empty ones left out. */
function utf8(): TransformStream<string | Uint8Array, Uint8Array> {
  const encoder = new TextEncoder();
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      if (bytes.byteLength > 0) controller.enqueue(bytes);
    },
  });
}
