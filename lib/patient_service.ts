/**
 * The patient use-cases — list, read, create, replace, patch, delete, restore, history —
 * shared by the JSON API, the browser forms and the importer: each validates its input, calls
 * the store, writes the audit log and throws typed errors, so that handlers only parse requests
 * and choose responses. Every change, import, export and single-record view is audited (see
 * `audit_trail.ts` for how a change and its entry are kept together).
 */
import { type AuditEntry, changedFields } from "./audit.ts";
import {
  type Actor,
  appendEntries,
  auditedChange,
  beginEntry,
  entryBy,
  finishEntry,
} from "./audit_trail.ts";
import type { CsvRecord } from "./csv_rows.ts";
import {
  DeletedPatientNotFoundError,
  PatientInvalidError,
  PatientNotFoundError,
  StaleRevisionError,
} from "./errors.ts";
import {
  anonymity,
  type ExportOptions,
  exportPatients,
  type ExportPlan,
  quasiIdentifierGroups,
} from "./patient_export.ts";
import {
  ImportFileError,
  type ImportOptions,
  importPatients,
  type ImportResult,
} from "./patient_import.ts";
import type { PatientChanges, PatientFields, PatientRecord } from "./patient_fields.ts";
import type { PatientFilter, PatientListQuery, PatientSort } from "./patient_query.ts";
import {
  type DeletedRecord,
  newRevision,
  type PatientPage,
  type PatientStore,
} from "./patient_store.ts";
import { validatePatient } from "./patient_validation.ts";

export type { Actor };

/** Where a single record was looked at (kept with its audit entry). */
export type ViewChannel = "api" | "detail" | "edit";

/**
 * How often a write reads the record again when another write got in between its read and its
 * own write (only when the caller named no revision).
 */
const WRITE_ATTEMPTS = 5;

/**
 * The revision(s) a write must find (an `If-Match` list, or the edit form's one); any one of
 * them will do. Undefined: write whatever the record holds now.
 */
export type ExpectedRevisions = readonly string[] | undefined;

export interface PatientService {
  list(actor: Actor, query: PatientListQuery): Promise<PatientPage>;
  count(actor: Actor, filter: PatientFilter): Promise<number>;
  /**
   * Reads one record and writes a view entry (unless `audit` is false: a re-read for a form
   * the user sent, or a row the list showed already). Throws `PatientNotFoundError`.
   */
  get(
    actor: Actor,
    id: number,
    options?: { via?: ViewChannel; audit?: boolean },
  ): Promise<PatientRecord>;
  /** Throws `PatientInvalidError`, `PatientIdTakenError`, `NoFreePatientIdError`. */
  create(actor: Actor, input: unknown): Promise<PatientRecord>;
  /** Every field; throws `PatientNotFoundError`, `PatientInvalidError`, `StaleRevisionError`. */
  replace(actor: Actor, id: number, input: unknown, expected?: ExpectedRevisions): Promise<
    PatientRecord
  >;
  /** Some fields; throws as `replace`. */
  patch(actor: Actor, id: number, input: unknown, expected?: ExpectedRevisions): Promise<
    PatientRecord
  >;
  /** Moves the record to "recently deleted". Throws `PatientNotFoundError`, `StaleRevisionError`. */
  delete(actor: Actor, id: number, expected?: ExpectedRevisions): Promise<void>;
  /**
   * Brings the most recently deleted copy of `id` back. Throws `DeletedPatientNotFoundError`,
   * `PatientIdTakenError` (the id is in use again).
   */
  restore(actor: Actor, id: number): Promise<PatientRecord>;
  /** The user's recently deleted records, most recent first. */
  listDeleted(
    actor: Actor,
    page: { page: number; perPage: number },
  ): Promise<{ items: DeletedRecord[]; total: number }>;
  /**
   * What happened to one of the user's records, newest first. Throws `PatientNotFoundError`
   * when the user never had it (no entry, no live or deleted record).
   */
  history(actor: Actor, id: number): Promise<AuditEntry[]>;
  /** Imports CSV records (header first); throws `ImportFileError` for a file that is not one. */
  importRecords(
    actor: Actor,
    records: AsyncIterable<CsvRecord>,
    options: ImportOptions,
  ): Promise<ImportResult>;
  /**
   * What a de-identified export of `filter` would hold: k and the rows left out for `kMin`, the
   * rows, and the smallest group when none is left out.
   */
  anonymity(
    actor: Actor,
    filter: PatientFilter,
    kMin: number,
  ): Promise<{ k: number; suppressed: number; total: number; smallestGroup: number }>;
  /** Plans an export of the records matching `query`. */
  exportRecords(
    actor: Actor,
    query: { filter: PatientFilter; sort: PatientSort },
    options: ExportOptions,
  ): Promise<ExportPlan>;
}

export function createPatientService(store: PatientStore): PatientService {
  const { audit } = store;

  /** Refuses invalid input; a record that does not exist is a 404 whatever the input says. */
  async function refuse(actor: Actor, id: number, errors: PatientInvalidError): Promise<never> {
    if (!(await store.get(actor.userId, id))) throw new PatientNotFoundError(id);
    throw errors;
  }

  /**
   * Changes an existing record: reads it, checks the expected revision, and makes the change
   * under its audit entry, conditional on the revision read. When another write got in between
   * and the caller named no revision, it starts again from a fresh read.
   */
  async function changeExisting<T>(
    actor: Actor,
    id: number,
    expected: ExpectedRevisions,
    write: (current: PatientRecord, next: string) => {
      entry: Partial<AuditEntry>;
      change: () => Promise<T>;
    },
  ): Promise<T> {
    for (let attempt = 1;; attempt++) {
      const current = await store.get(actor.userId, id);
      if (!current) throw new PatientNotFoundError(id);
      if (expected !== undefined && !expected.includes(current.revision)) {
        throw new StaleRevisionError(id);
      }
      const next = newRevision();
      const { entry, change } = write(current, next);
      try {
        return await auditedChange(
          audit,
          entryBy(actor, entry.action ?? "update", id, {
            revision_before: current.revision,
            revision_after: next,
            ...entry,
          }),
          change,
        );
      } catch (error) {
        const retry = error instanceof StaleRevisionError && expected === undefined &&
          attempt < WRITE_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }

  async function update(
    actor: Actor,
    id: number,
    input: unknown,
    mode: "replace" | "patch",
    expected: ExpectedRevisions,
  ): Promise<PatientRecord> {
    const result = mode === "replace"
      ? validatePatient(input, "replace", id)
      : validatePatient(input, "patch", id);
    if (!result.ok) return await refuse(actor, id, new PatientInvalidError(result.errors));
    const fields = result.value as PatientChanges;
    return await changeExisting(actor, id, expected, (current, next) => ({
      entry: { action: "update", changes: changedFields(current, fields) },
      change: () =>
        mode === "replace"
          ? store.replace(actor.userId, id, fields as PatientFields, current.revision, next)
          : store.patch(actor.userId, id, fields, current.revision, next),
    }));
  }

  return {
    list: (actor, query) => store.list(actor.userId, query),
    count: (actor, filter) => store.count(actor.userId, filter),

    async get(actor, id, options = {}) {
      const patient = await store.get(actor.userId, id);
      if (!patient) throw new PatientNotFoundError(id);
      if (options.audit !== false) {
        // Written before the record is handed out: a view that cannot be logged is not shown.
        await appendEntries(audit, [
          entryBy(actor, "view", id, { details: { via: options.via ?? "api" } }),
        ]);
      }
      return patient;
    },

    async create(actor, input) {
      const result = validatePatient(input, "create");
      if (!result.ok) throw new PatientInvalidError(result.errors);
      const patient = result.value;
      const next = newRevision();
      const entry = entryBy(actor, "create", patient.id ?? null, {
        changes: changedFields(null, patient),
        revision_after: next,
      });
      return await auditedChange(
        audit,
        entry,
        () => store.create(actor.userId, patient, next),
        (created) => ({ patient_id: created.id, changes: changedFields(null, created) }),
      );
    },

    replace: (actor, id, input, expected) => update(actor, id, input, "replace", expected),
    patch: (actor, id, input, expected) => update(actor, id, input, "patch", expected),

    async delete(actor, id, expected) {
      await changeExisting(actor, id, expected, (current, next) => ({
        entry: { action: "delete" },
        change: () => store.delete(actor.userId, id, current.revision, { next, by: actor.userId }),
      }));
    },

    async restore(actor, id) {
      const copy = await store.getDeleted(actor.userId, id);
      if (!copy) throw new DeletedPatientNotFoundError(id);
      const next = newRevision();
      const entry = entryBy(actor, "restore", id, {
        revision_before: copy.revision,
        revision_after: next,
      });
      try {
        return await auditedChange(
          audit,
          entry,
          () => store.restore(actor.userId, id, copy.revision, next),
        );
      } catch (error) {
        // Restored (or purged) by another request since it was read.
        if (error instanceof PatientNotFoundError) throw new DeletedPatientNotFoundError(id);
        throw error;
      }
    },

    listDeleted: (actor, page) => store.listDeleted(actor.userId, page),

    async history(actor, id) {
      const entries = await audit.history(actor.userId, id);
      const known = await store.get(actor.userId, id) ?? await store.getDeleted(actor.userId, id);
      if (!known && entries.length === 0) throw new PatientNotFoundError(id);
      if (known && !entries.some((e) => e.action === "create")) {
        // An import is one entry for the whole file: the record's is the last one before it was
        // made (within the hour an import of a million rows takes at most).
        const made = known.created_at.getTime();
        const { items } = await audit.search(
          {
            ownerId: actor.userId,
            action: "import",
            from: new Date(made - 3_600_000),
            to: new Date(made + 1),
          },
          { offset: 0, limit: 20 },
        );
        const origin = items.find((e) => e.status !== "failed");
        if (origin) entries.push({ ...origin, patient_id: id, changes: {} });
      }
      return entries;
    },

    async importRecords(actor, records, options) {
      if (options.dryRun) return await importPatients(store, actor.userId, records, options);
      const entry = entryBy(actor, "import", null, {
        details: { on_conflict: options.onConflict },
      });
      await beginEntry(audit, entry);
      let result: ImportResult;
      try {
        result = await importPatients(store, actor.userId, records, options);
      } catch (error) {
        // A file refused at its header stored nothing; anything later may have stored rows.
        const status = error instanceof ImportFileError ? "failed" : "interrupted";
        const details = { on_conflict: options.onConflict, error: (error as Error).message };
        await audit.finish({ ...entry, status, details }).catch(() => {});
        throw error;
      }
      const { inserted, updated, skipped, rows } = result;
      await finishEntry(audit, entry, {
        status: "done",
        details: {
          on_conflict: options.onConflict,
          rows,
          inserted,
          updated,
          skipped,
          errors: result.errors.length,
        },
      });
      return result;
    },

    async exportRecords(actor, query, options) {
      const plan = await exportPatients(store, actor.userId, query, options);
      // Written before the first row leaves (the body is read only when it is sent).
      await appendEntries(audit, [
        entryBy(actor, "export", null, {
          details: {
            format: options.format,
            deidentify: options.deidentify,
            ...(options.kMin !== undefined ? { k_min: options.kMin } : {}),
            filter: query.filter,
            sort: `${query.sort.direction === "desc" ? "-" : ""}${query.sort.field}`,
          },
        }),
      ]);
      return plan;
    },

    async anonymity(actor, filter, kMin) {
      const groups = await quasiIdentifierGroups(store, actor.userId, filter);
      const total = [...groups.values()].reduce((sum, size) => sum + size, 0);
      return { ...anonymity(groups, kMin), total, smallestGroup: anonymity(groups).k };
    },
  };
}
