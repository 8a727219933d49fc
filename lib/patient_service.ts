/**
 * The patient use-cases — list, read, create, replace, patch, delete, restore, history —
 * shared by the JSON API, the browser forms and the importer: each validates its input, calls
 * the store, writes the audit log and throws typed errors, so that handlers only parse requests
 * and choose responses. Every change, import, export and single-record view is audited (see
 * `audit_trail.ts` for how a change and its entry are kept together).
 */
import { type AuditEntry, changedFields, ChangeInProgressError } from "./audit.ts";
import {
  type Actor,
  allow,
  appendEntries,
  auditedChange,
  claimHeld,
  entryBy,
  scopeOf,
} from "./audit_trail.ts";
import type { CsvRecord } from "./csv_rows.ts";
import {
  DeletedPatientNotFoundError,
  PatientInvalidError,
  PatientNotFoundError,
  RecordBusyError,
  StaleRevisionError,
} from "./errors.ts";
import {
  anonymity,
  type ExportOptions,
  exportPatients,
  type ExportPlan,
  quasiIdentifierGroups,
} from "./patient_export.ts";
import { auditedImport, type AuditedImportOptions } from "./import_audit.ts";
import type { ImportResult } from "./patient_import.ts";
import type { PatientChanges, PatientFields, PatientRecord } from "./patient_fields.ts";
import type { PatientFilter, PatientListQuery, PatientSort } from "./patient_query.ts";
import {
  type DeletedRecord,
  newRevision,
  type PatientPage,
  type PatientStore,
} from "./patient_store.ts";
import { validatePatient } from "./patient_validation.ts";
import { HeavyWork, type Release } from "./work_gate.ts";
import { Pace } from "./work_pace.ts";
import { shownFields } from "./stored_patient.ts";

export type { Actor };

/** Where a single record was looked at (kept with its audit entry). */
export type ViewChannel = "api" | "detail" | "edit";

/**
 * How often a write reads the record again when another write got in between its read and its
 * own write (only when the caller named no revision).
 */
const WRITE_ATTEMPTS = 5;

/** How long a write waits for other changes of the same record to be saved before its own. */
const BUSY_WAIT_MS = 10_000;

/**
 * Before trying a change again after meeting another's claim on the record (see
 * `audit_trail.ts`): waits a little while that claim is held (`"wait"`); throws
 * `RecordBusyError` once the write has tried for `BUSY_WAIT_MS` since `started`.
 */
async function nextTurn(
  id: number,
  started: number,
  attempt: number,
  turn: "again" | "wait",
): Promise<void> {
  if (Date.now() - started > BUSY_WAIT_MS) throw new RecordBusyError(id, 1000);
  if (turn === "again") return;
  // A change takes milliseconds: wait about as long, a little longer each time, at random.
  const ms = Math.min(100, 4 * attempt) * (0.5 + Math.random());
  await new Promise((resolve) => setTimeout(resolve, ms));
}

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
  /**
   * Imports CSV records (header first), each stored record with its audit entry; throws
   * `ImportFileError` for a file that is not one (see `import_audit.ts`).
   */
  importRecords(
    actor: Actor,
    records: AsyncIterable<CsvRecord>,
    options: AuditedImportOptions,
  ): Promise<ImportResult>;
  /**
   * What a de-identified export of `filter` would hold: k and the rows left out for `kMin`, the
   * rows, and the smallest group when none is left out.
   */
  anonymity(
    actor: Actor,
    filter: PatientFilter,
    kMin: number,
    coarsen?: boolean,
  ): Promise<{ k: number; suppressed: number; total: number; smallestGroup: number }>;
  /** Plans an export of the records matching `query`. */
  exportRecords(
    actor: Actor,
    query: { filter: PatientFilter; sort: PatientSort },
    options: ExportOptions,
  ): Promise<ExportPlan>;
}

/**
 * `body` holding a heavy-work slot until it has been read to its end, failed or been cancelled
 * (a generator's `finally` would not run for a stream cancelled before its first read).
 */
export function holding<T>(body: AsyncIterable<T>, release: Release): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const inner = body[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const step = await inner.next();
            if (step.done) release();
            return step;
          } catch (error) {
            release();
            throw error;
          }
        },
        async return(value?: unknown) {
          release();
          return await inner.return?.(value) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

/** Rows of an import read between two breaths. */
const IMPORT_SLICE_ROWS = 100;

/** `records`, with a breath (see `Pace`) every `IMPORT_SLICE_ROWS`. */
async function* breathing<T>(records: AsyncIterable<T>): AsyncIterable<T> {
  let read = 0;
  const pace = new Pace();
  for await (const record of records) {
    yield record;
    if (++read % IMPORT_SLICE_ROWS === 0) await pace.breathe();
  }
}

/**
 * The use-cases over `store`. Imports, exports and anonymity checks are heavy work: each takes
 * the user's slot of `heavy` (an export until its last row has been sent).
 */
export function createPatientService(
  store: PatientStore,
  heavy: HeavyWork = new HeavyWork(),
): PatientService {
  const { audit } = store;

  /** Refuses invalid input; a record that does not exist is a 404 whatever the input says. */
  async function refuse(actor: Actor, id: number, errors: PatientInvalidError): Promise<never> {
    if (!(await store.get(scopeOf(actor), id))) throw new PatientNotFoundError(id);
    throw errors;
  }

  /**
   * Changes an existing record: reads it, checks the expected revision, and makes the change
   * under its audit entry, conditional on the revision read. When another write got in between
   * (or is under way from the same revision) and the caller named no revision, it starts again
   * from a fresh read; a caller who named one has lost to that write (`StaleRevisionError`).
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
    const started = Date.now();
    let stale = 0;
    for (let attempt = 1;; attempt++) {
      const current = await store.get(scopeOf(actor), id);
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
        if (error instanceof ChangeInProgressError) {
          const turn = await claimHeld(store, error);
          // Another change from this revision is under way: one that named it has lost.
          if (turn === "wait" && expected !== undefined) throw new StaleRevisionError(id);
          await nextTurn(id, started, attempt, turn);
          continue;
        }
        const retry = error instanceof StaleRevisionError && expected === undefined &&
          ++stale < WRITE_ATTEMPTS;
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
    allow(actor, "write");
    const result = mode === "replace"
      ? validatePatient(input, "replace", id)
      : validatePatient(input, "patch", id);
    if (!result.ok) return await refuse(actor, id, new PatientInvalidError(result.errors));
    const fields = result.value as PatientChanges;
    return await changeExisting(actor, id, expected, (current, next) => ({
      entry: { action: "update", changes: changedFields(shownFields(current), fields) },
      change: () =>
        mode === "replace"
          ? store.replace(scopeOf(actor), id, fields as PatientFields, current.revision, next)
          : store.patch(scopeOf(actor), id, fields, current.revision, next),
    }));
  }

  const service: PatientService = {
    list(actor, query) {
      allow(actor, "read");
      return store.list(scopeOf(actor), query);
    },
    count(actor, filter) {
      allow(actor, "read");
      return store.count(scopeOf(actor), filter);
    },

    async get(actor, id, options = {}) {
      allow(actor, "read");
      const patient = await store.get(scopeOf(actor), id);
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
      allow(actor, "write");
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
        () => store.create(scopeOf(actor), patient, next),
        (created) => ({ patient_id: created.id, changes: changedFields(null, created) }),
      );
    },

    replace: (actor, id, input, expected) => update(actor, id, input, "replace", expected),
    patch: (actor, id, input, expected) => update(actor, id, input, "patch", expected),

    async delete(actor, id, expected) {
      allow(actor, "delete");
      await changeExisting(actor, id, expected, (current, next) => ({
        entry: { action: "delete" },
        change: () =>
          store.delete(scopeOf(actor), id, current.revision, { next, by: scopeOf(actor) }),
      }));
    },

    async restore(actor, id) {
      allow(actor, "restore");
      const started = Date.now();
      for (let attempt = 1;; attempt++) {
        const copy = await store.getDeleted(scopeOf(actor), id);
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
            () => store.restore(scopeOf(actor), id, copy.revision, next),
          );
        } catch (error) {
          // Being restored (or purged) by another request: see what it did, then try again.
          if (error instanceof ChangeInProgressError) {
            await nextTurn(id, started, attempt, await claimHeld(store, error));
            continue;
          }
          // Restored (or purged) by another request since it was read.
          if (error instanceof PatientNotFoundError) throw new DeletedPatientNotFoundError(id);
          throw error;
        }
      }
    },

    listDeleted(actor, page) {
      allow(actor, "read");
      return store.listDeleted(scopeOf(actor), page);
    },

    async history(actor, id) {
      allow(actor, "history");
      const entries = await audit.history(scopeOf(actor), id);
      const known = await store.get(scopeOf(actor), id) ??
        await store.getDeleted(scopeOf(actor), id);
      if (!known && entries.length === 0) throw new PatientNotFoundError(id);
      // A document of the original app (no creation time) has no import among its origins.
      if (known?.created_at && !entries.some((e) => e.action === "create")) {
        // An import is one entry for the whole file: the record's is the last one before it was
        // made (within the hour an import of a million rows takes at most).
        const made = known.created_at.getTime();
        const { items } = await audit.search(
          {
            ownerId: scopeOf(actor),
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

    importRecords(actor, records, options) {
      allow(actor, "import");
      return auditedImport(store, actor, records, options);
    },

    async exportRecords(actor, query, options) {
      allow(actor, options.deidentify ? "export_deidentified" : "export_plain");
      const release = await heavy.acquire(actor, "export");
      try {
        const plan = await exportPatients(store, scopeOf(actor), query, options);
        // Written before the first row leaves (the body is read only when it is sent).
        await appendEntries(audit, [
          entryBy(actor, "export", null, {
            details: {
              format: options.format,
              deidentify: options.deidentify,
              ...(options.kMin !== undefined ? { k_min: options.kMin } : {}),
              ...(options.coarsen ? { coarsen: true } : {}),
              filter: query.filter,
              sort: `${query.sort.direction === "desc" ? "-" : ""}${query.sort.field}`,
            },
          }),
        ]);
        return { ...plan, body: holding(plan.body, release) };
      } catch (error) {
        release();
        throw error;
      }
    },

    anonymity(actor, filter, kMin, coarsen = false) {
      allow(actor, "export_deidentified");
      return heavy.run(actor, "anonymity check", async () => {
        const groups = await quasiIdentifierGroups(store, scopeOf(actor), filter, coarsen);
        const total = [...groups.values()].reduce((sum, size) => sum + size, 0);
        return { ...anonymity(groups, kMin), total, smallestGroup: anonymity(groups).k };
      });
    },
  };
  // Every import (API or browser, dry run or not) is heavy work, in the user's slot, its rows
  // read in slices with other requests let in between.
  const importNow = service.importRecords;
  service.importRecords = (actor, records, options) => {
    allow(actor, "import"); // before waiting for a slot
    return heavy.run(
      actor,
      options.dryRun ? "import check" : "import",
      () => importNow(actor, breathing(records), options),
    );
  };
  return service;
}
