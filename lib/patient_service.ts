/**
 * The patient use-cases — list, read, create, replace, patch, delete — shared by the JSON API,
 * the browser forms and the importer: each validates its input, calls the store and throws
 * typed errors, so that handlers only parse requests and choose responses.
 */
import type { CsvRecord } from "./csv_rows.ts";
import { PatientInvalidError, PatientNotFoundError } from "./errors.ts";
import {
  anonymity,
  type ExportOptions,
  exportPatients,
  type ExportPlan,
  quasiIdentifierGroups,
} from "./patient_export.ts";
import { type ImportOptions, importPatients, type ImportResult } from "./patient_import.ts";
import type { PatientRecord } from "./patient_fields.ts";
import type { PatientFilter, PatientListQuery, PatientSort } from "./patient_query.ts";
import { NO_REVISION, type PatientPage, type PatientStore } from "./patient_store.ts";
import { validatePatient } from "./patient_validation.ts";

/** Who asks: the owner whose records are used, and where the request came from. */
export interface Actor {
  userId: number;
  /** The client's address. */
  client?: string;
  /** The request id, as the log has it. */
  requestId?: string;
  /** Why the change is made, when the user said. */
  reason?: string;
}

/**
 * The revision(s) a write must find (an `If-Match` list, or the edit form's one); any one of
 * them will do. Undefined: write whatever the record holds now.
 */
export type ExpectedRevisions = readonly string[] | undefined;

export interface PatientService {
  list(actor: Actor, query: PatientListQuery): Promise<PatientPage>;
  count(actor: Actor, filter: PatientFilter): Promise<number>;
  /** Throws `PatientNotFoundError`. */
  get(actor: Actor, id: number): Promise<PatientRecord>;
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
  /** Throws `PatientNotFoundError`, `StaleRevisionError`. */
  delete(actor: Actor, id: number, expected?: ExpectedRevisions): Promise<void>;
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
  /** The one revision to pass to the store: with several, the current one if it is named. */
  async function revisionFor(
    actor: Actor,
    id: number,
    expected: ExpectedRevisions,
  ): Promise<string | undefined> {
    if (expected === undefined || expected.length === 1) return expected?.[0];
    const current = await store.get(actor.userId, id);
    return current && expected.includes(current.revision) ? current.revision : NO_REVISION;
  }

  /** Refuses invalid input; a record that does not exist is a 404 whatever the input says. */
  async function refuse(actor: Actor, id: number, errors: PatientInvalidError): Promise<never> {
    if (!(await store.get(actor.userId, id))) throw new PatientNotFoundError(id);
    throw errors;
  }

  return {
    list: (actor, query) => store.list(actor.userId, query),
    count: (actor, filter) => store.count(actor.userId, filter),

    async get(actor, id) {
      const patient = await store.get(actor.userId, id);
      if (!patient) throw new PatientNotFoundError(id);
      return patient;
    },

    async create(actor, input) {
      const result = validatePatient(input, "create");
      if (!result.ok) throw new PatientInvalidError(result.errors);
      return await store.create(actor.userId, result.value);
    },

    async replace(actor, id, input, expected) {
      const revision = await revisionFor(actor, id, expected);
      const result = validatePatient(input, "replace", id);
      if (!result.ok) return await refuse(actor, id, new PatientInvalidError(result.errors));
      return await store.replace(actor.userId, id, result.value, revision);
    },

    async patch(actor, id, input, expected) {
      const revision = await revisionFor(actor, id, expected);
      const result = validatePatient(input, "patch", id);
      if (!result.ok) return await refuse(actor, id, new PatientInvalidError(result.errors));
      return await store.patch(actor.userId, id, result.value, revision);
    },

    async delete(actor, id, expected) {
      await store.delete(actor.userId, id, await revisionFor(actor, id, expected));
    },

    importRecords: (actor, records, options) =>
      importPatients(store, actor.userId, records, options),

    exportRecords: (actor, query, options) => exportPatients(store, actor.userId, query, options),

    async anonymity(actor, filter, kMin) {
      const groups = await quasiIdentifierGroups(store, actor.userId, filter);
      const total = [...groups.values()].reduce((sum, size) => sum + size, 0);
      return { ...anonymity(groups, kMin), total, smallestGroup: anonymity(groups).k };
    },
  };
}
