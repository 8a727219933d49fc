/**
 * Storing an import's valid rows in batches: new ids inserted, ids the user has compared with
 * the stored record (left alone, or updated where they differ), rows without an id given free
 * ids — retried past whatever a concurrent writer took — and every record stored told to the
 * caller (for its audit entry). A dry run only reads and counts. A run that continues an
 * interrupted one recognises the records that run stored, so that nothing is imported twice.
 */
import { type AuditChanges, changedFields } from "./audit.ts";
import { PatientIdTakenError } from "./errors.ts";
import type { ImportReport } from "./import_report.ts";
import {
  MAX_PATIENT_ID,
  type NewPatient,
  PATIENT_FIELDS,
  type PatientFields,
  type PatientRecord,
} from "./patient_fields.ts";
import type { PatientStore } from "./patient_store.ts";

/** A valid row waiting to be stored. */
export interface PendingRow {
  line: number;
  patient: NewPatient;
}

/** A record an import stored, for its audit entry. */
export interface StoredRow {
  action: "create" | "update";
  line: number;
  id: number;
  /** Each field's `[before, after]` (every field, null before, for a new record). */
  changes: AuditChanges;
  revisionBefore: string | null;
  revisionAfter: string | null;
  /**
   * Stored by an earlier, interrupted run of the same import: its audit entry may exist
   * already, and an update's values before it are no longer known.
   */
  recovered: boolean;
}

/** Where the rows without an id stand: the next id to give, and how many of them are stored. */
export interface NewIdsProgress {
  next: number;
  done: number;
}

export interface BatchOptions {
  onConflict: "skip" | "update";
  dryRun: boolean;
  /** Told of the records of each batch once they are stored. */
  onStored?: (rows: StoredRow[]) => Promise<void>;
  /** When an interrupted run of this import began: records it stored are recognised. */
  since?: Date;
}

/** Rounds of renumbering before giving up on free ids (each round follows other writers). */
const MAX_ROUNDS = 1000;
/** Tries of a single create at the top of the id range. */
const CREATE_TRIES = 5;

function sameFields(a: PatientFields, b: PatientFields): boolean {
  return PATIENT_FIELDS.every((f) => a[f] === b[f]);
}

function byId(records: PatientRecord[]): Map<number, PatientRecord> {
  return new Map(records.map((r) => [r.id, r]));
}

function created(line: number, patient: PatientFields, recovered = false): StoredRow {
  return {
    action: "create",
    line,
    id: patient.id,
    changes: changedFields(null, patient),
    revisionBefore: null,
    revisionAfter: null,
    recovered,
  };
}

/** Stores (or, in a dry run, counts) an import's rows for one user, into `report`. */
export class BatchWriter {
  constructor(
    readonly store: PatientStore,
    readonly userId: number,
    readonly report: ImportReport,
    readonly options: BatchOptions,
  ) {}

  /** True when `record` was written by the interrupted run this one continues. */
  #ours(record: PatientRecord): boolean {
    const since = this.options.since?.getTime();
    return since !== undefined && (record.updated_at?.getTime() ?? 0) >= since;
  }

  /** Stores rows that have ids (all different). */
  async write(rows: PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    const { store, userId, report } = this;
    const result = report.result;
    const patients = rows.map((r) => r.patient as PatientFields);
    if (this.options.dryRun) {
      const current = byId(await store.getMany(userId, patients.map((p) => p.id)));
      for (const [i, patient] of patients.entries()) {
        const stored = current.get(patient.id);
        if (!stored) result.inserted++;
        else if (sameFields(stored, patient)) result.skipped++;
        else {
          report.difference({
            line: rows[i]!.line,
            id: patient.id,
            changes: changedFields(stored, patient),
          });
          if (this.options.onConflict === "update") result.updated++;
          else result.skipped++;
        }
      }
      return;
    }
    // New ids are inserted; the database's duplicate-key answers say which ids the user had.
    const { inserted, duplicateIds } = await store.insertMany(userId, patients);
    result.inserted += inserted;
    const taken = new Set(duplicateIds);
    const stored = rows.filter((r) => !taken.has(r.patient.id!))
      .map((r) => created(r.line, r.patient as PatientFields));
    const owned = rows.filter((r) => taken.has(r.patient.id!));
    const current = owned.length
      ? byId(await store.getMany(userId, owned.map((r) => r.patient.id!)))
      : new Map<number, PatientRecord>();
    const differing: { row: PendingRow; before: PatientRecord }[] = [];
    for (const row of owned) {
      const patient = row.patient as PatientFields;
      const before = current.get(patient.id);
      if (!before) result.skipped++; // deleted since the insert found it
      else if (!sameFields(before, patient)) differing.push({ row, before });
      else if (!this.#ours(before)) result.skipped++;
      else if ((before.created_at?.getTime() ?? 0) >= this.options.since!.getTime()) {
        result.inserted++;
        stored.push(created(row.line, patient, true));
      } else {
        // Changed by the lost run: what it changed from is no longer known.
        result.updated++;
        stored.push({
          ...this.#update(row, before, before),
          changes: {},
          revisionBefore: null,
          revisionAfter: null,
          recovered: true,
        });
      }
    }
    for (const { row, before } of differing) {
      report.difference({
        line: row.line,
        id: before.id,
        changes: changedFields(before, row.patient),
      });
    }
    if (this.options.onConflict === "update" && differing.length) {
      await store.updateMany(userId, differing.map((d) => d.row.patient as PatientFields));
      // Which of them this import changed: those whose revision moved on.
      const after = byId(await store.getMany(userId, differing.map((d) => d.before.id)));
      for (const { row, before } of differing) {
        const now = after.get(before.id);
        if (now && now.revision !== before.revision) {
          result.updated++;
          stored.push(this.#update(row, before, now));
        } else result.skipped++;
      }
    } else result.skipped += differing.length;
    if (stored.length) await this.options.onStored?.(stored);
  }

  #update(row: PendingRow, before: PatientRecord, after: PatientRecord): StoredRow {
    return {
      action: "update",
      line: row.line,
      id: before.id,
      changes: changedFields(before, row.patient),
      revisionBefore: before.revision,
      revisionAfter: after.revision,
      recovered: false,
    };
  }

  /** The user's highest id, or 0 (ids stored as text included; see `PatientStore.highestId`). */
  #top(): Promise<number> {
    return this.store.highestId(this.userId);
  }

  /** The first id to give to rows without one: after the user's highest (read now). */
  async firstFreeId(): Promise<number> {
    return (await this.#top()) + 1;
  }

  /**
   * Stores rows without an id under the ids from `next` on, in order; an id another writer took
   * meanwhile sends its row on past the user's highest id, read again. Returns the next id.
   * (Not for a dry run, which only counts them.)
   */
  async writeNumbered(rows: PendingRow[], next: number): Promise<number> {
    const { store, userId, report } = this;
    let left = rows;
    for (let round = 0; left.length; round++) {
      if (round === MAX_ROUNDS) throw new Error("No free patient ids were found for the import");
      const room = Math.max(0, Math.min(left.length, MAX_PATIENT_ID - next + 1));
      if (room === 0) {
        await this.#createEach(left);
        return next;
      }
      const numbered = left.slice(0, room).map((row, k) => ({
        line: row.line,
        patient: { ...row.patient, id: next + k } as PatientFields,
      }));
      next += room;
      const { duplicateIds } = await store.insertMany(userId, numbered.map((n) => n.patient));
      const taken = new Set(duplicateIds);
      const stored: StoredRow[] = [];
      const retry: typeof numbered = [];
      const mine = this.options.since && taken.size
        ? byId(await store.getMany(userId, [...taken]))
        : new Map<number, PatientRecord>();
      for (const n of numbered) {
        const found = mine.get(n.patient.id);
        const recovered = found !== undefined && this.#ours(found) && sameFields(found, n.patient);
        if (taken.has(n.patient.id) && !recovered) {
          retry.push(n);
          continue;
        }
        report.result.inserted++;
        report.assigned({ line: n.line, id: n.patient.id });
        stored.push(created(n.line, n.patient, recovered));
      }
      if (stored.length) await this.options.onStored?.(stored);
      left = [
        ...retry.map(({ line, patient: { id: _id, ...patient } }) => ({ line, patient })),
        ...left.slice(room),
      ];
      if (retry.length) next = Math.max(next, (await this.#top()) + 1);
    }
    return next;
  }

  /** At the top of the id range: each row takes a free id wherever the store finds one. */
  async #createEach(rows: PendingRow[]): Promise<void> {
    for (const row of rows) {
      const { id: _id, ...patient } = row.patient;
      for (let attempt = 1;; attempt++) {
        try {
          const record = await this.store.create(this.userId, patient);
          this.report.result.inserted++;
          this.report.assigned({ line: row.line, id: record.id });
          await this.options.onStored?.([created(row.line, record)]);
          break;
        } catch (error) {
          if (!(error instanceof PatientIdTakenError) || attempt === CREATE_TRIES) throw error;
        }
      }
    }
  }
}
