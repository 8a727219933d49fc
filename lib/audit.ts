/**
 * The audit log's vocabulary: what an entry holds, the store interface both patient backends
 * implement (an append-only table or collection in the patient database), and the two views of
 * an entry — the owner's history (with values) and the admins' log (field names only).
 */
import { PATIENT_FIELDS, type PatientFields } from "./patient_fields.ts";

export const AUDIT_ACTIONS = [
  "create",
  "update",
  "delete",
  "restore",
  "purge",
  "import",
  "export",
  "view",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * `pending`: written before its change, which may or may not have happened yet; `done`: the
 * change was made (or the view or export happened); `failed`: nothing was changed;
 * `interrupted`: an import that started and did not finish (some rows may be stored).
 */
export type AuditStatus = "pending" | "done" | "failed" | "interrupted";

/** Each changed field's value before and after (null before a create). */
export type AuditChanges = Record<string, [unknown, unknown]>;

export interface AuditEntry {
  /** Sorts by time (then by the order of writing within one process). */
  id: string;
  at: Date;
  /** Whose records: the entry is visible to this user only (and to admins, without values). */
  owner_id: number;
  /** Who acted; null for the app itself (the purge after the retention period). */
  user_id: number | null;
  action: AuditAction;
  patient_id: number | null;
  changes: AuditChanges;
  reason: string | null;
  client: string | null;
  request_id: string | null;
  /** Import counts, export filters, where a view happened. */
  details: Record<string, unknown> | null;
  status: AuditStatus;
  /** The record's revision the change started from, and the one it wrote (chains of changes). */
  revision_before: string | null;
  revision_after: string | null;
}

/** The admins' filters of the whole log. */
export interface AuditSearch {
  ownerId?: number;
  action?: AuditAction;
  patientId?: number;
  /** From this time on (inclusive). */
  from?: Date;
  /** Before this time (exclusive). */
  to?: Date;
}

/** What a settled entry learnt while its change ran (a create's id, an import's counts). */
export interface AuditOutcome {
  status: Exclude<AuditStatus, "pending">;
  patient_id?: number;
  changes?: AuditChanges;
  details?: Record<string, unknown>;
}

/**
 * The audit log of one patient database: the log itself, which entries are only ever appended
 * to (never changed or removed), and a small journal of the changes in progress, whose pending
 * entries move to the log once their outcome is known.
 */
export interface AuditLog {
  /** Appends finished entries to the log; resolves once the database has acknowledged them. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Writes a pending entry to the journal, before its change is made. */
  begin(entry: AuditEntry): Promise<void>;
  /**
   * Appends a journal entry, finished, to the log, then drops it from the journal. False when
   * the log has it already (finished by the housekeeping).
   */
  finish(entry: AuditEntry): Promise<boolean>;
  /** The entry with this id in the log, or null. */
  get(id: string): Promise<AuditEntry | null>;
  /** Drops an entry from the journal (one the log has already). */
  forget(id: string): Promise<void>;
  /** The owner's entries about one patient that happened (done), newest first. */
  history(ownerId: number, patientId: number): Promise<AuditEntry[]>;
  /** A page of the whole log, newest first, and how many entries match. */
  search(
    query: AuditSearch,
    page: { offset: number; limit: number },
  ): Promise<{ items: AuditEntry[]; total: number }>;
  /** Every matching entry, newest first, read in batches (the CSV download). */
  stream(query: AuditSearch): AsyncIterable<AuditEntry>;
  /** Journal entries begun before `before`, oldest first. */
  pending(before: Date, limit: number): Promise<AuditEntry[]>;
  /**
   * The entry other than `exceptId`, in the journal or in the log and not failed, that started
   * from this revision, or null.
   */
  continuedFrom(ownerId: number, revision: string, exceptId: string): Promise<AuditEntry | null>;
}

let counter = 0;

/** A new entry id: the time in ms, a per-process counter, then randomness (sorts by time). */
export function newEntryId(at: Date): string {
  counter = (counter + 1) % 36 ** 4;
  const random = crypto.getRandomValues(new Uint32Array(2));
  return at.getTime().toString(36).padStart(9, "0") + counter.toString(36).padStart(4, "0") +
    Array.from(random, (n) => n.toString(36).padStart(7, "0")).join("");
}

/** The fields whose values differ, each as `[before, after]`, in the dataset's order. */
export function changedFields(
  before: Partial<PatientFields> | null,
  after: Partial<PatientFields>,
): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of PATIENT_FIELDS) {
    if (!(field in after)) continue;
    const old = before ? before[field] ?? null : null;
    const now = after[field] ?? null;
    if (before === null || old !== now) changes[field] = [old, now];
  }
  return changes;
}

/** One entry as the owner's history shows it (`GET /api/patient_data/{id}/history`). */
export interface HistoryItem {
  at: string;
  user_id: number | null;
  action: AuditAction;
  changes: AuditChanges;
  reason?: string;
}

export function historyItem(entry: AuditEntry): HistoryItem {
  return {
    at: entry.at.toISOString(),
    user_id: entry.user_id,
    action: entry.action,
    changes: entry.changes,
    ...(entry.reason ? { reason: entry.reason } : {}),
  };
}

/**
 * One entry as an admin sees it: who, what, when, from where and why, and which fields changed
 * — never their values, since admins see no one else's patient data.
 */
export interface AdminAuditItem {
  id: string;
  at: string;
  owner_id: number;
  user_id: number | null;
  action: AuditAction;
  patient_id: number | null;
  fields: string[];
  reason: string | null;
  client: string | null;
  request_id: string | null;
  details: Record<string, unknown> | null;
  status: AuditStatus;
}

export function adminAuditItem(entry: AuditEntry): AdminAuditItem {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    owner_id: entry.owner_id,
    user_id: entry.user_id,
    action: entry.action,
    patient_id: entry.patient_id,
    fields: Object.keys(entry.changes),
    reason: entry.reason,
    client: entry.client,
    request_id: entry.request_id,
    details: entry.details,
    status: entry.status,
  };
}

/** The columns of the admins' CSV download, in order. */
export const ADMIN_AUDIT_COLUMNS = [
  "at",
  "owner_id",
  "user_id",
  "action",
  "patient_id",
  "fields",
  "reason",
  "client",
  "request_id",
  "details",
  "status",
] as const;

/**
 * An admin item as the CSV's cells. A cell that a spreadsheet would run as a formula (a typed
 * reason starting with `=`, `+`, `-` or `@`) gets a leading apostrophe.
 */
export function adminAuditCells(item: AdminAuditItem): string[] {
  return ADMIN_AUDIT_COLUMNS.map((column) => {
    const value = item[column];
    if (value === null) return "";
    if (Array.isArray(value)) return value.join(" ");
    if (typeof value === "object") return JSON.stringify(value);
    const text = String(value);
    return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  });
}
