/**
 * An import under the audit log: one entry for the import (begun before the first row is
 * stored, finished with its counts), and one entry per record it created or changed — field by
 * field, before → after, naming the import and its file — appended batch by batch, so that a
 * record's history shows an import's change exactly as it shows an edit's. Entries keep no
 * value of the file beyond the records' own fields: a refused file leaves a word for why.
 */
import type { AuditEntry, AuditLog } from "./audit.ts";
import {
  type Actor,
  appendEntries,
  beginEntry,
  entryBy,
  finishEntry,
  scopeOf,
} from "./audit_trail.ts";
import type { CsvRecord } from "./csv_rows.ts";
import { excerpt } from "./excerpt.ts";
import {
  ImportFileError,
  type ImportOptions,
  importPatients,
  type ImportResult,
  ImportStoppedError,
  type StoredRow,
} from "./patient_import.ts";
import type { PatientStore } from "./patient_store.ts";

export interface AuditedImportOptions extends ImportOptions {
  /** The uploaded file's name, kept in each record's entry (the owner's history). */
  fileName?: string;
  /** The import's entry, begun by an earlier run that this one goes on from. */
  entry?: AuditEntry;
  /** Told of the import's entry once it is begun, before any row is stored. */
  onBegun?: (entry: AuditEntry) => Promise<void>;
  /**
   * Leave the import's entry in the journal when the import fails, for a later run to finish
   * (the browser's imports, which can be run again); otherwise it is finished as failed or
   * interrupted at once.
   */
  keepEntryOnFailure?: boolean;
}

/** The id of a record's entry in an import: the import's id and the line (the same every run). */
export function recordEntryId(importEntryId: string, line: number): string {
  return `${importEntryId}.${line.toString(36).padStart(7, "0")}`;
}

/**
 * The entries of the records of one batch (all at the time of the batch, from one template:
 * a million rows make a million entries); those an interrupted run may have written already
 * are looked up first.
 */
async function recordEntries(
  audit: AuditLog,
  actor: Actor,
  entry: AuditEntry,
  rows: StoredRow[],
  fileName: string | undefined,
): Promise<AuditEntry[]> {
  const template = entryBy(actor, "create", null);
  const source = fileName !== undefined ? { file_name: excerpt(fileName) } : {};
  const entries: AuditEntry[] = [];
  for (const row of rows) {
    const id = recordEntryId(entry.id, row.line);
    if (row.recovered && await audit.get(id)) continue;
    entries.push({
      ...template,
      id,
      action: row.action,
      patient_id: row.id,
      changes: row.changes,
      revision_before: row.revisionBefore,
      revision_after: row.revisionAfter,
      details: {
        import: entry.id,
        line: row.line,
        ...source,
        ...(row.recovered && row.action === "update" ? { values_before: "unknown" } : {}),
      },
    });
  }
  return entries;
}

/** The counts an import's entry keeps (no values of the file). */
function countsOf(result: ImportResult) {
  const { rows, inserted, updated, skipped, errors_total } = result;
  return { rows, inserted, updated, skipped, errors: errors_total };
}

/**
 * Imports `records` for `actor` (see `importPatients`), writing the audit log as it goes. A dry
 * run writes nothing.
 */
export async function auditedImport(
  store: PatientStore,
  actor: Actor,
  records: AsyncIterable<CsvRecord>,
  options: AuditedImportOptions,
): Promise<ImportResult> {
  if (options.dryRun) return await importPatients(store, scopeOf(actor), records, options);
  const { audit } = store;
  const { fileName, onConflict } = options;
  const named = fileName !== undefined ? { file_name: fileName } : {};
  let entry = options.entry;
  if (!entry) {
    entry = entryBy(actor, "import", null, { details: { on_conflict: onConflict, ...named } });
    await beginEntry(audit, entry);
    await options.onBegun?.(entry);
  }
  const begun = entry;
  let result: ImportResult;
  try {
    result = await importPatients(store, scopeOf(actor), records, {
      ...options,
      onStored: async (rows) => {
        await appendEntries(audit, await recordEntries(audit, actor, begun, rows, fileName));
        await options.onStored?.(rows);
      },
    });
  } catch (error) {
    const refused = error instanceof ImportFileError;
    if (!refused && options.keepEntryOnFailure) throw error;
    // A file refused before anything was stored changed nothing; otherwise rows may be stored.
    const partial = error instanceof ImportStoppedError ? error.result : null;
    const stored = partial ? partial.inserted + partial.updated : 0;
    await audit.finish({
      ...begun,
      status: refused && stored === 0 ? "failed" : "interrupted",
      details: {
        on_conflict: onConflict,
        ...named,
        error: refused ? error.problem : "interrupted",
        ...(partial ? countsOf(partial) : {}),
      },
    }).catch(() => {});
    throw error;
  }
  await finishEntry(audit, begun, {
    status: "done",
    details: { on_conflict: onConflict, ...named, ...countsOf(result) },
  });
  return result;
}
