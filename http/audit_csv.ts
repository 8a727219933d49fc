/** The audit log as a CSV download, for the admin page and the admin API alike. */
import type { Context } from "hono";
import {
  ADMIN_AUDIT_COLUMNS,
  adminAuditCells,
  adminAuditItem,
  type AuditSearch,
} from "../lib/audit.ts";
import { csvLine } from "../lib/csv_writer.ts";
import type { AppEnv } from "./env.ts";

/** Streams the matching entries as CSV, newest first (admins' view: no values). */
export function sendAuditCsv(c: Context<AppEnv>, search: AuditSearch): Response {
  const entries = c.get("deps").stores.patients.audit.stream(search);
  async function* lines() {
    yield csvLine(ADMIN_AUDIT_COLUMNS);
    for await (const entry of entries) yield csvLine(adminAuditCells(adminAuditItem(entry)));
  }
  const date = new Date().toISOString().slice(0, 10);
  c.header("Content-Disposition", `attachment; filename="audit-log-${date}.csv"`);
  c.header("Content-Type", "text/csv; charset=utf-8");
  return c.body(ReadableStream.from(lines()).pipeThrough(new TextEncoderStream()), 200);
}
