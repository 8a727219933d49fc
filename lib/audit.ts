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
  "password_reset",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Actions about an account rather than its records (never in a record's history). */
export const ACCOUNT_AUDIT_ACTIONS: readonly AuditAction[] = ["password_reset"];

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
  /**
   * Writes a pending entry to the journal, before its change is made. Throws
   * `ChangeInProgressError` when the journal holds another change of the same record from the
   * same revision (see {@link claimOf}): the journal's unique index lets one change at a time
   * start from a revision, on every backend.
   */
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

/**
 * The key of the change an entry makes, unique in the journal: the record and the revision the
 * change starts from. Two changes of one record from one revision cannot both begin, which makes
 * `If-Match` hold even where the database does not apply a conditional update atomically
 * (FerretDB v1). Null for an entry that starts from no revision (a create, an import).
 */
export function claimOf(entry: AuditEntry): string | null {
  if (entry.revision_before === null) return null;
  return `${entry.owner_id}:${entry.patient_id ?? ""}:${entry.revision_before}`;
}

/** Another change of the same record from the same revision is in the journal (`holder`). */
export class ChangeInProgressError extends Error {
  constructor(readonly holder: AuditEntry | null) {
    super("Another change of this record from the same revision is in progress");
    this.name = "ChangeInProgressError";
  }
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

/**
 * The admission an entry is about: its number (`details.admission_id`), null for an entry about
 * a patient's admissions that names none (a create not yet made, a list read), undefined for an
 * entry about the record itself.
 */
export function admissionOf(entry: Pick<AuditEntry, "details">): number | null | undefined {
  const details = entry.details;
  if (!details || !("admission_id" in details)) return undefined;
  return typeof details.admission_id === "number" ? details.admission_id : null;
}

/** An entry with the name of who made it (their account's name, when they have one). */
export type NamedEntry = AuditEntry & { user_name?: string | null };

/** One entry as the owner's history shows it (`GET /api/patient_data/{id}/history`). */
export interface HistoryItem {
  at: string;
  user_id: number | null;
  /** Who made it, by name (members of a team registry see each other's names); null: unknown. */
  user_name: string | null;
  action: AuditAction;
  /** The admission the entry is about, when it is about one of the patient's admissions. */
  admission_id?: number;
  changes: AuditChanges;
  reason?: string;
  /** The import that made this create or update: its file (null through the API) and line. */
  import?: { file_name: string | null; line: number };
}

/** The import an entry of one record came from (see `import_audit.ts`), or null. */
export function importSource(entry: AuditEntry): { file_name: string | null; line: number } | null {
  const details = entry.details;
  if (!details || typeof details.import !== "string" || typeof details.line !== "number") {
    return null;
  }
  const fileName = details.file_name;
  return { file_name: typeof fileName === "string" ? fileName : null, line: details.line };
}

export function historyItem(entry: NamedEntry): HistoryItem {
  const source = importSource(entry);
  const admission = admissionOf(entry);
  return {
    at: entry.at.toISOString(),
    user_id: entry.user_id,
    user_name: entry.user_name ?? null,
    action: entry.action,
    ...(typeof admission === "number" ? { admission_id: admission } : {}),
    changes: entry.changes,
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(source ? { import: source } : {}),
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

/** Detail keys whose text is a word of the app's own (never a value a user typed or sent). */
const ADMIN_DETAIL_WORDS = new Set([
  "of",
  "on_conflict",
  "format",
  "via",
  "sort",
  "error",
  "deleted_at",
  "import",
  "values_before",
]);
/** Such a word: short, without spaces (an old entry's error message is left out). */
const WORD = /^[\w.:+-]{1,64}$/;

/**
 * An entry's details as an admin sees them: counts, flags and the app's own words, and an
 * export's filter as the names of its fields — never a value (a file name, a filter value, a
 * message that quotes a file's header or rows).
 */
export function adminDetails(
  details: Record<string, unknown> | null,
): Record<string, unknown> | null {
  if (!details) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (value === null || typeof value === "number" || typeof value === "boolean") {
      out[key] = value;
    } else if (typeof value === "string" && ADMIN_DETAIL_WORDS.has(key) && WORD.test(value)) {
      out[key] = value;
    } else if (key === "filter" && typeof value === "object") out[key] = Object.keys(value);
  }
  return out;
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
    details: adminDetails(entry.details),
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
 * An admin item as the CSV's cells (the CSV writer neutralises a cell that a spreadsheet would
 * run as a formula, such as a typed reason starting with `=`).
 */
export function adminAuditCells(item: AdminAuditItem): (string | number | null)[] {
  return ADMIN_AUDIT_COLUMNS.map((column) => {
    const value = item[column];
    if (value === null || typeof value === "number") return value;
    if (Array.isArray(value)) return value.join(" ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  });
}
