/**
 * The admission use-cases — list, read, create, replace, patch, delete, restore, the quality
 * indicators, the data-quality check, CSV export and import — shared by the JSON API (and later
 * the patient page): each finds the patient in the actor's scope (404 when it is not there),
 * validates with the admission rules, calls the store under an audit entry that names the
 * admission, and throws typed errors, so that handlers only parse requests and choose responses.
 *
 * **The patient's life.** Admissions are stored apart from the patient record and never moved
 * with it. An admission is shown only while its patient record is live *and is the record it was
 * made for* (same `created_at`): deleting the patient hides its admissions at once (every read,
 * the indicators, exports), restoring the patient brings them back as they were, and a new
 * patient given the id of a deleted one (the next free id is the highest live one + 1) starts
 * with no admissions. Admissions of a patient purged for good stay hidden (see docs/decisions.md).
 */
import { ChangeInProgressError } from "./audit.ts";
import {
  type Actor,
  allow,
  appendEntries,
  auditedChange,
  beginEntry,
  entryBy,
  finishEntry,
  scopeOf,
} from "./audit_trail.ts";
import { admissionChanges, admissionClaimHeld, fieldsOf } from "./admission_audit.ts";
import {
  AdmissionInvalidError,
  AdmissionNotFoundError,
  AdmissionStaleError,
  DeletedAdmissionNotFoundError,
} from "./admission_errors.ts";
import { DeidentifiedAdmissions, plainAdmissionChunks } from "./admission_export.ts";
import { type AdmissionImportResult, importAdmissions } from "./admission_import.ts";
import { newAdmissionRevision, type StoredAdmission } from "./admission_store.ts";
import type { CsvRecord } from "./csv_rows.ts";
import { PatientNotFoundError, RecordBusyError, StaleRevisionError } from "./errors.ts";
import type { PatientRecord } from "./patient_fields.ts";
import type { DeidentifyOptions, ExportPlan } from "./patient_export.ts";
import { ImportFileError, type OnConflict } from "./patient_import.ts";
import type { PatientFilter } from "./patient_query.ts";
import { type ExpectedRevisions, holding } from "./patient_service.ts";
import type { PatientStore } from "./patient_store.ts";
import type { AdmissionFields } from "./stroke/admission_fields.ts";
import { AdmissionChecker, type AdmissionQuality } from "./stroke/admission_checks.ts";
import { validateAdmission } from "./stroke/admission_rules.ts";
import {
  periodBounds,
  QualityCounter,
  type QualityIndicators,
  type QualityPeriod,
} from "./stroke/quality_indicators.ts";
import { HeavyWork } from "./work_gate.ts";
import { Pace } from "./work_pace.ts";

export type { Actor, ExpectedRevisions };

export interface AdmissionService {
  /**
   * The patient's live admissions, oldest first (a view, audited unless `audit` is false: the
   * patient's page, whose view is audited as the patient's, or a re-read after a change).
   */
  list(actor: Actor, patientId: number, options?: ViewOptions): Promise<StoredAdmission[]>;
  /** One live admission (a view, audited as `options` say). */
  get(
    actor: Actor,
    patientId: number,
    admissionId: number,
    options?: ViewOptions,
  ): Promise<StoredAdmission>;
  /** The patient's deleted admissions, most recently deleted first. */
  listDeleted(actor: Actor, patientId: number): Promise<StoredAdmission[]>;
  /** Throws `PatientNotFoundError`, `AdmissionInvalidError`. */
  create(actor: Actor, patientId: number, input: unknown): Promise<StoredAdmission>;
  /** Every field; throws not-found errors, `AdmissionInvalidError`, `AdmissionStaleError`. */
  replace(
    actor: Actor,
    patientId: number,
    admissionId: number,
    input: unknown,
    expected?: ExpectedRevisions,
  ): Promise<StoredAdmission>;
  /** Some fields; throws as `replace`. */
  patch(
    actor: Actor,
    patientId: number,
    admissionId: number,
    input: unknown,
    expected?: ExpectedRevisions,
  ): Promise<StoredAdmission>;
  /** Moves the admission to the patient's deleted admissions. */
  delete(
    actor: Actor,
    patientId: number,
    admissionId: number,
    expected?: ExpectedRevisions,
  ): Promise<void>;
  /** Brings a deleted admission back; throws `DeletedAdmissionNotFoundError`. */
  restore(actor: Actor, patientId: number, admissionId: number): Promise<StoredAdmission>;
  /**
   * The quality indicators of the scope's admissions arriving in the period, of the patients
   * the filter matches, in one streaming pass (heavy work).
   */
  qualityIndicators(
    actor: Actor,
    period: QualityPeriod,
    filter: PatientFilter,
  ): Promise<QualityIndicators>;
  /**
   * The data-quality check of the scope's live admissions of the patients the filter matches
   * (see `stroke/admission_checks.ts`), in one streaming pass (heavy work); days are `zone`'s.
   */
  checks(actor: Actor, filter: PatientFilter, zone: string): Promise<AdmissionQuality>;
  /**
   * Every live admission of the patients the filter matches as CSV (header first), date-times
   * with their offset in `zone` — or de-identified (see `admission_export.ts`), which a viewer
   * may ask for too; holds a heavy-work slot until the body has been read. Audited as an export.
   */
  exportCsv(
    actor: Actor,
    filter: PatientFilter,
    zone: string,
    options?: DeidentifyOptions,
  ): Promise<ExportPlan>;
  /** Imports CSV admissions (see `admission_import.ts`); throws `ImportFileError`. */
  importCsv(
    actor: Actor,
    records: AsyncIterable<CsvRecord>,
    options: { onConflict: OnConflict; dryRun: boolean; zone: string },
  ): Promise<AdmissionImportResult>;
}

/** How a read is audited: not at all (`audit: false`), or as a view through `via` (`api`). */
export interface ViewOptions {
  audit?: boolean;
  via?: string;
}

export interface AdmissionServiceOptions {
  /** The present, for the "no time in the future" rule (tests set it). */
  now?: () => Date;
}

/** How often a write without `If-Match` reads again after another write got in between. */
const WRITE_ATTEMPTS = 5;
/** How long a write waits for other changes of the same admission to be saved. */
const BUSY_WAIT_MS = 10_000;

/** Whether an admission belongs to this patient record rather than an earlier one of its id. */
export function sameLife(admission: StoredAdmission, patient: PatientRecord): boolean {
  return (admission.patient_created_at?.getTime() ?? null) ===
    (patient.created_at?.getTime() ?? null);
}

/** Fields as a JSON body sends them (times as ISO 8601 text). */
function asInput(fields: AdmissionFields): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
  );
}

/**
 * The live patient records of a scope (those a filter matches), as the streaming reads need
 * them: each id and its record's creation time (the patient's life), in typed arrays — 12 bytes
 * a patient, so a million take 12 MB — sorted by id and searched by bisection. Read in one pass
 * over the records, which on FerretDB costs far less than looking patients up batch by batch.
 */
export class PatientLives {
  #ids = new Int32Array(1024);
  #created = new Float64Array(1024);
  #size = 0;
  #sorted = true;

  /** Adds a record (one whose id is not a whole number, the original app's, has no admissions). */
  add(record: PatientRecord): void {
    const id = record.id;
    if (!Number.isInteger(id) || id < 1 || id > 2 ** 31 - 1) return;
    if (this.#size === this.#ids.length) {
      const ids = new Int32Array(this.#size * 2);
      const created = new Float64Array(this.#size * 2);
      ids.set(this.#ids);
      created.set(this.#created);
      [this.#ids, this.#created] = [ids, created];
    }
    if (this.#size > 0 && this.#ids[this.#size - 1]! > id) this.#sorted = false;
    this.#ids[this.#size] = id;
    this.#created[this.#size++] = record.created_at?.getTime() ?? NaN;
  }

  /** Sorts by id, when the records did not come in that order. */
  seal(): this {
    if (this.#sorted) return this;
    const n = this.#size;
    const order = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => this.#ids[a]! - this.#ids[b]!);
    const ids = new Int32Array(n);
    const created = new Float64Array(n);
    order.forEach((from, to) => {
      ids[to] = this.#ids[from]!;
      created[to] = this.#created[from]!;
    });
    [this.#ids, this.#created, this.#sorted] = [ids, created, true];
    return this;
  }

  /** Whether the admission's patient is live and is the record it was made for. */
  holds(admission: StoredAdmission): boolean {
    let low = 0;
    let high = this.#size - 1;
    const id = admission.patient_id;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const at = this.#ids[mid]!;
      if (at === id) {
        const created = this.#created[mid]!;
        const made = admission.patient_created_at?.getTime() ?? NaN;
        return created === made || (created !== created && made !== made);
      }
      if (at < id) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }
}

export function createAdmissionService(
  store: PatientStore,
  heavy: HeavyWork = new HeavyWork(),
  options: AdmissionServiceOptions = {},
): AdmissionService {
  const { audit, admissions } = store;
  const now = options.now ?? (() => new Date());

  /** The live patient record, or a 404. */
  async function patientOf(scope: number, patientId: number): Promise<PatientRecord> {
    const patient = await store.get(scope, patientId);
    if (!patient) throw new PatientNotFoundError(patientId);
    return patient;
  }

  /** The admission in the state asked for, of this patient record; else a 404. */
  async function admissionOf(
    scope: number,
    patient: PatientRecord,
    admissionId: number,
    state: "live" | "deleted",
  ): Promise<StoredAdmission> {
    const admission = await admissions.get(scope, patient.id, admissionId);
    const ok = admission && sameLife(admission, patient) &&
      (admission.deleted_at === null) === (state === "live");
    if (!ok) {
      throw state === "live"
        ? new AdmissionNotFoundError(patient.id, admissionId)
        : new DeletedAdmissionNotFoundError(patient.id, admissionId);
    }
    return admission;
  }

  /**
   * The scope's live patients the filter matches (see `PatientLives`), each record handed to
   * `visit` too as it is read.
   */
  async function livesOf(
    scope: number,
    filter: PatientFilter,
    visit?: (record: PatientRecord) => void,
  ): Promise<PatientLives> {
    const lives = new PatientLives();
    const pace = new Pace();
    let read = 0;
    for await (const record of store.stream(scope, filter, { field: "id", direction: "asc" })) {
      lives.add(record);
      visit?.(record);
      if (++read % 5000 === 0) await pace.breathe();
    }
    return lives.seal();
  }

  /** `source`, keeping only admissions whose patient `lives` holds; a breath now and then. */
  async function* living(
    source: AsyncIterable<StoredAdmission>,
    lives: PatientLives,
  ): AsyncIterable<StoredAdmission> {
    const pace = new Pace();
    let read = 0;
    for await (const admission of source) {
      if (lives.holds(admission)) yield admission;
      if (++read % 2000 === 0) await pace.breathe();
    }
  }

  /** Waits a little while another change holds the claim; a 503 after `BUSY_WAIT_MS`. */
  async function nextTurn(patientId: number, started: number, attempt: number, turn: string) {
    if (Date.now() - started > BUSY_WAIT_MS) throw new RecordBusyError(patientId, 1000);
    if (turn === "again") return;
    const ms = Math.min(100, 4 * attempt) * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * Changes an existing admission (see `changeExisting` in `patient_service.ts`): reads the
   * patient and the admission, checks the expected revision, and makes the change under its
   * audit entry, whose claim on the revision lets one change at a time start from it. Without
   * `expected` it starts again from a fresh read when another write got in between; with it,
   * that write wins and this one is stale (412).
   */
  async function changeExisting<T>(
    actor: Actor,
    patientId: number,
    admissionId: number,
    expected: ExpectedRevisions,
    state: "live" | "deleted",
    write: (current: StoredAdmission, next: string) => {
      action: "update" | "delete" | "restore";
      changes?: Record<string, [unknown, unknown]>;
      change: () => Promise<T>;
    },
  ): Promise<T> {
    const scope = scopeOf(actor);
    const started = Date.now();
    let stale = 0;
    for (let attempt = 1;; attempt++) {
      const patient = await patientOf(scope, patientId);
      const current = await admissionOf(scope, patient, admissionId, state);
      if (expected !== undefined && !expected.includes(current.revision)) {
        throw new AdmissionStaleError(patientId, admissionId);
      }
      const next = newAdmissionRevision();
      const { action, changes, change } = write(current, next);
      const entry = entryBy(actor, action, patientId, {
        changes: changes ?? {},
        details: { admission_id: admissionId },
        revision_before: current.revision,
        revision_after: next,
      });
      try {
        return await auditedChange(audit, entry, change);
      } catch (error) {
        if (error instanceof ChangeInProgressError) {
          const turn = await admissionClaimHeld(store, error);
          if (turn === "wait" && expected !== undefined) {
            throw new AdmissionStaleError(patientId, admissionId);
          }
          await nextTurn(patientId, started, attempt, turn);
          continue;
        }
        const retry = error instanceof StaleRevisionError && expected === undefined &&
          ++stale < WRITE_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }

  /** Replaces or patches an admission (validated against the one read). */
  function update(
    actor: Actor,
    patientId: number,
    admissionId: number,
    input: unknown,
    mode: "replace" | "patch",
    expected: ExpectedRevisions,
  ): Promise<StoredAdmission> {
    allow(actor, "write");
    const scope = scopeOf(actor);
    return changeExisting(actor, patientId, admissionId, expected, "live", (current, next) => {
      const check = { now: now(), current };
      const result = mode === "replace"
        ? validateAdmission(input, "replace", check)
        : validateAdmission(input, "patch", check);
      if (!result.ok) throw new AdmissionInvalidError(result.errors);
      const fields = result.value as Partial<AdmissionFields>;
      return {
        action: "update",
        changes: admissionChanges(fieldsOf(current), fields),
        change: () =>
          admissions.update(scope, patientId, admissionId, fields, current.revision, next),
      };
    });
  }

  /** Writes a view entry before the data is handed out (a view that cannot be logged is not). */
  const viewed = (
    actor: Actor,
    patientId: number,
    admissionId: number | null,
    options: ViewOptions = {},
  ) =>
    options.audit === false ? Promise.resolve() : appendEntries(audit, [
      entryBy(actor, "view", patientId, {
        details: { via: options.via ?? "api", admission_id: admissionId },
      }),
    ]);

  const service: AdmissionService = {
    async list(actor, patientId, options) {
      allow(actor, "read");
      const scope = scopeOf(actor);
      const patient = await patientOf(scope, patientId);
      const all = await admissions.list(scope, patientId, "live");
      await viewed(actor, patientId, null, options);
      return all.filter((admission) => sameLife(admission, patient));
    },

    async get(actor, patientId, admissionId, options) {
      allow(actor, "read");
      const scope = scopeOf(actor);
      const patient = await patientOf(scope, patientId);
      const admission = await admissionOf(scope, patient, admissionId, "live");
      await viewed(actor, patientId, admissionId, options);
      return admission;
    },

    async listDeleted(actor, patientId) {
      allow(actor, "read");
      const scope = scopeOf(actor);
      const patient = await patientOf(scope, patientId);
      return (await admissions.list(scope, patientId, "deleted"))
        .filter((admission) => sameLife(admission, patient));
    },

    async create(actor, patientId, input) {
      allow(actor, "write");
      const scope = scopeOf(actor);
      const patient = await patientOf(scope, patientId);
      const result = validateAdmission(input, "create", { now: now() });
      if (!result.ok) throw new AdmissionInvalidError(result.errors);
      const fields = result.value;
      const next = newAdmissionRevision();
      const entry = entryBy(actor, "create", patientId, {
        changes: admissionChanges(null, fields),
        details: { admission_id: null },
        revision_after: next,
      });
      return await auditedChange(
        audit,
        entry,
        () =>
          admissions.create(scope, {
            patient_id: patientId,
            patient_created_at: patient.created_at,
            fields,
          }, next),
        (created) => ({ details: { admission_id: created.admission_id } }),
      );
    },

    replace: (actor, pid, aid, input, expected) =>
      update(actor, pid, aid, input, "replace", expected),
    patch: (actor, pid, aid, input, expected) => update(actor, pid, aid, input, "patch", expected),

    async delete(actor, patientId, admissionId, expected) {
      allow(actor, "delete");
      const scope = scopeOf(actor);
      await changeExisting(actor, patientId, admissionId, expected, "live", (current, next) => ({
        action: "delete",
        change: () =>
          admissions.delete(scope, patientId, admissionId, current.revision, {
            next,
            by: actor.userId,
          }),
      }));
    },

    restore(actor, patientId, admissionId) {
      allow(actor, "restore");
      const scope = scopeOf(actor);
      return changeExisting(
        actor,
        patientId,
        admissionId,
        undefined,
        "deleted",
        (current, next) => ({
          action: "restore",
          change: () => admissions.restore(scope, patientId, admissionId, current.revision, next),
        }),
      ).catch((error) => {
        // Restored (or purged) by another request since it was read.
        if (error instanceof AdmissionNotFoundError) {
          throw new DeletedAdmissionNotFoundError(patientId, admissionId);
        }
        throw error;
      });
    },

    qualityIndicators(actor, period, filter) {
      allow(actor, "dashboard");
      return heavy.run(actor, "quality indicators", async () => {
        const scope = scopeOf(actor);
        const lives = await livesOf(scope, filter);
        const { start, end } = periodBounds(period);
        const from = Number.isFinite(start) ? new Date(start) : null;
        const to = Number.isFinite(end) ? new Date(end) : null;
        const counter = new QualityCounter(period);
        for await (const admission of living(admissions.iterate(scope, from, to), lives)) {
          counter.add(admission);
        }
        return counter.result();
      });
    },

    checks(actor, filter, zone) {
      allow(actor, "dashboard");
      return heavy.run(actor, "data-quality check", async () => {
        const scope = scopeOf(actor);
        const lives = await livesOf(scope, filter);
        const checker = new AdmissionChecker({ now: now(), zone });
        for await (const admission of living(admissions.iterate(scope, null, null), lives)) {
          checker.add(admission);
        }
        return checker.result();
      });
    },

    async exportCsv(actor, filter, zone, options = { deidentify: false }) {
      const { deidentify, kMin, coarsen } = options;
      allow(actor, deidentify ? "export_deidentified" : "export_plain");
      const release = await heavy.acquire(actor, "export");
      try {
        const scope = scopeOf(actor);
        // Read before the answer starts: a database that fails now is a 503, not a cut file.
        let plan: ExportPlan;
        if (deidentify) {
          const file = new DeidentifiedAdmissions(options);
          await file.count(admissions.exportAll(scope));
          const lives = await livesOf(scope, filter, (record) => file.add(record));
          plan = file.plan(living(admissions.exportAll(scope), lives), zone);
        } else {
          const lives = await livesOf(scope, filter);
          const body = plainAdmissionChunks(living(admissions.exportAll(scope), lives), zone);
          plan = { k: null, suppressed: 0, body };
        }
        // Written before the first row leaves (the body is read only when it is sent).
        await appendEntries(audit, [
          entryBy(actor, "export", null, {
            details: {
              format: "csv",
              of: "admissions",
              deidentify,
              ...(kMin !== undefined ? { k_min: kMin } : {}),
              ...(coarsen ? { coarsen: true } : {}),
              filter,
            },
          }),
        ]);
        return { ...plan, body: holding(plan.body, release) };
      } catch (error) {
        release();
        throw error;
      }
    },

    importCsv(actor, records, { onConflict, dryRun, zone }) {
      allow(actor, "import");
      return heavy.run(actor, dryRun ? "import check" : "import", async () => {
        const scope = scopeOf(actor);
        const deps = {
          admissions,
          patients: (ids: readonly number[]) => store.getMany(scope, ids),
          sameLife,
          // As an edit would send it: times as text with their offset.
          update: (patientId: number, admissionId: number, fields: AdmissionFields) =>
            update(actor, patientId, admissionId, asInput(fields), "replace", undefined),
          audit: (entries: Parameters<typeof appendEntries>[1]) => appendEntries(audit, entries),
        };
        const importOptions = { onConflict, dryRun, zone, now: now() };
        if (dryRun) return await importAdmissions(deps, actor, scope, records, importOptions, null);
        const entry = entryBy(actor, "import", null, {
          details: { of: "admissions", on_conflict: onConflict },
        });
        await beginEntry(audit, entry);
        try {
          const result = await importAdmissions(deps, actor, scope, records, importOptions, entry);
          const { inserted, updated, skipped, rows, errors_total } = result;
          await finishEntry(audit, entry, {
            status: "done",
            details: {
              of: "admissions",
              on_conflict: onConflict,
              rows,
              inserted,
              updated,
              skipped,
              errors: errors_total,
            },
          });
          return result;
        } catch (error) {
          const refused = error instanceof ImportFileError && error.problem !== "stopped";
          await audit.finish({
            ...entry,
            status: refused ? "failed" : "interrupted",
            details: {
              of: "admissions",
              on_conflict: onConflict,
              error: error instanceof ImportFileError ? error.problem : "interrupted",
            },
          }).catch(() => {});
          throw error;
        }
      });
    },
  };
  return service;
}
