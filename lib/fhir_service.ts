/**
 * The FHIR use-cases over the stores: a Patient read by its FHIR id, a page of the registry's
 * Patients, and a patient's Observations, Conditions or Encounters — in the registry the actor
 * acts in, in the form its role gets (a viewer the de-identified one), each single-patient read
 * audited as a view before it is handed out. The resources are built by `lib/fhir/`.
 */
import type { Condition, Encounter, Observation, Patient, Resource } from "@medplum/fhirtypes";
import type { AccountsDb } from "../db/accounts/database.ts";
import { sharedSecret } from "../db/accounts/app_secrets.ts";
import { onceSucceeded } from "../db/once.ts";
import { type Actor, allow, appendEntries, entryBy, scopeOf } from "./audit_trail.ts";
import { sameLife } from "./admission_service.ts";
import { type FhirForm, FhirKeys, readFhirId } from "./fhir/ids.ts";
import { operationOutcome } from "./fhir/outcome.ts";
import {
  admissionObservations,
  conditionResources,
  encounterResource,
  FhirMappingError,
  type FhirScope,
  observationResources,
  patientResource,
} from "./fhir/resources.ts";
import { NotFoundError } from "./errors.ts";
import type { PatientRecord } from "./patient_fields.ts";
import type { PatientStore } from "./patient_store.ts";
import { personalRegistryId } from "./registry_service.ts";

/** The name the FHIR id key is kept under in `app_secrets` when `FHIR_ID_SECRET` is not set. */
export const FHIR_SECRET_NAME = "fhir_id_secret";

/** 256 random bits in hex: a new FHIR id key. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The keys of the FHIR ids: from `FHIR_ID_SECRET`, or the secret made once and kept in the
 * accounts database (read once it succeeds; a database that cannot answer is a 503 and is asked
 * again next time).
 */
export function fhirKeySource(
  secret: string | null,
  accounts: AccountsDb,
): () => Promise<FhirKeys> {
  if (secret !== null) {
    const keys = new FhirKeys(secret);
    return () => Promise.resolve(keys);
  }
  let keys: FhirKeys | null = null;
  const load = onceSucceeded(async () => {
    keys = new FhirKeys(await sharedSecret(accounts, FHIR_SECRET_NAME, newSecret));
  });
  return async () => {
    await load();
    return keys!;
  };
}

/** The resource types read by patient (`?patient=`). */
export const BY_PATIENT_TYPES = ["Observation", "Condition", "Encounter"] as const;
export type ByPatientType = (typeof BY_PATIENT_TYPES)[number];

/** The form a role gets: a viewer the de-identified one, everyone else the plain one. */
export function formOf(actor: Actor): FhirForm {
  return actor.registry?.role === "viewer" ? "deidentified" : "plain";
}

/**
 * The system of the records' identifiers: the registry's address in the app (`origin` is where
 * people reach the app: `PUBLIC_URL`, or the request's own).
 */
export function identifierSystem(origin: string, registryId: string): string {
  return `${origin.replace(/\/+$/, "")}/registries/${encodeURIComponent(registryId)}`;
}

/** An id that names no Patient of the registry (made up, another registry's, the other form's). */
export class FhirResourceNotFoundError extends NotFoundError {
  constructor(readonly type: string, readonly id: string) {
    super(`There is no ${type} ${JSON.stringify(id.slice(0, 80))} in this registry.`);
    this.name = "FhirResourceNotFoundError";
  }
}

/** One page of Patients (with an OperationOutcome for each record that could not be written). */
export interface PatientSearchPage {
  resources: (Patient | ReturnType<typeof operationOutcome>)[];
  total: number;
  /** Whether pages follow this one. */
  more: boolean;
}

export interface FhirService {
  /** The scope the actor reads in: the keys, the registry, the identifier system, the form. */
  scope(actor: Actor, origin: string): Promise<FhirScope>;
  /** A Patient by its FHIR id (audited as a view). */
  readPatient(actor: Actor, origin: string, id: string): Promise<Patient>;
  /** Page `page` (from 1) of `count` Patients, by record id. */
  searchPatients(
    actor: Actor,
    origin: string,
    page: number,
    count: number,
  ): Promise<PatientSearchPage>;
  /** The resources of one type of the Patient with this FHIR id (audited as a view). */
  byPatient(
    actor: Actor,
    origin: string,
    type: ByPatientType,
    patientId: string,
  ): Promise<(Observation | Condition | Encounter)[]>;
}

/** An OperationOutcome saying a record could not be written (its id cannot be read). */
export function mappingOutcome(error: FhirMappingError) {
  const outcome = operationOutcome(422, error.message);
  outcome.issue[0]!.severity = "warning";
  return outcome;
}

export function createFhirService(
  store: PatientStore,
  keys: () => Promise<FhirKeys>,
): FhirService {
  async function scope(actor: Actor, origin: string): Promise<FhirScope> {
    const registry = actor.registry?.registryId ?? personalRegistryId(actor.userId);
    return {
      keys: await keys(),
      registry,
      identifierSystem: identifierSystem(origin, registry),
      form: formOf(actor),
    };
  }

  /** The live record a Patient id names in the scope, or a 404. */
  async function recordOf(actor: Actor, fhir: FhirScope, id: string): Promise<PatientRecord> {
    const target = readFhirId(fhir.keys, fhir.registry, id, fhir.form);
    const record = target?.kind === "patient" && target.part === null
      ? await store.get(scopeOf(actor), target.recordId)
      : null;
    if (!record) throw new FhirResourceNotFoundError("Patient", id);
    return record;
  }

  /** Written before the resources are handed out: a view that cannot be logged is not shown. */
  const viewed = (actor: Actor, record: PatientRecord, resource: string) =>
    appendEntries(store.audit, [
      entryBy(actor, "view", record.id, { details: { via: "fhir", resource } }),
    ]);

  return {
    scope,

    async readPatient(actor, origin, id) {
      allow(actor, "read");
      const fhir = await scope(actor, origin);
      const record = await recordOf(actor, fhir, id);
      await viewed(actor, record, "Patient");
      return patientResource(record, fhir);
    },

    async searchPatients(actor, origin, page, count) {
      allow(actor, "search");
      const fhir = await scope(actor, origin);
      if (count === 0) {
        return { resources: [], total: await store.count(scopeOf(actor), {}), more: false };
      }
      const { items, total } = await store.list(scopeOf(actor), {
        filter: {},
        sort: { field: "id", direction: "asc" },
        page,
        perPage: count,
      });
      const resources = items.map((record) => {
        try {
          return patientResource(record, fhir);
        } catch (error) {
          if (error instanceof FhirMappingError) return mappingOutcome(error);
          throw error;
        }
      });
      return { resources, total, more: (page - 1) * count + items.length < total };
    },

    async byPatient(actor, origin, type, patientId) {
      allow(actor, "read");
      const fhir = await scope(actor, origin);
      const record = await recordOf(actor, fhir, patientId);
      const admissions = type === "Condition"
        ? []
        : (await store.admissions.list(scopeOf(actor), record.id, "live"))
          .filter((admission) => sameLife(admission, record));
      await viewed(actor, record, type);
      if (type === "Condition") return conditionResources(record, fhir);
      if (type === "Encounter") {
        return admissions.map((admission) => encounterResource(admission, record.id, fhir));
      }
      return [
        ...observationResources(record, fhir),
        ...admissions.flatMap((admission) => admissionObservations(admission, record.id, fhir)),
      ];
    },
  };
}

/** Every resource type the app writes, in the order an export writes them. */
export const RESOURCE_TYPES = ["Patient", "Observation", "Condition", "Encounter"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Whether a resource is of one of the app's types (for narrowing). */
export function isResourceType(type: string): type is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(type);
}

export type { Resource };
