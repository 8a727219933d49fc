/**
 * A record and its admissions as FHIR R4 resources: one Patient, an Observation per measured or
 * coded field, a Condition per risk factor the record says 1 for, and per admission an Encounter
 * with its NIHSS and mRS Observations. Codes come from the mapping table (`codes.ts`). The
 * de-identified form (for a registry's viewers) has other ids, no identifier, no record times and
 * every date moved back by the patient's own shift.
 */
import type {
  CodeableConcept,
  Condition,
  Encounter,
  Meta,
  Observation,
  Patient,
  Reference,
} from "@medplum/fhirtypes";
import { PATIENT_FIELDS, type PatientField, type PatientRecord } from "../patient_fields.ts";
import { ADMISSION_FIELDS, type AdmissionTimesAs } from "../stroke/admission_fields.ts";
import {
  ADMISSION_MAPPING,
  type Code,
  coding,
  dischargeDisposition,
  EMERGENCY_STAY_MS,
  ENCOUNTER_CLASS,
  type FieldMapping,
  OBSERVATION_CATEGORY_DISPLAY,
  type ObservationMapping,
  PATIENT_MAPPING,
  strokeTypeCodes,
  SYSTEM,
} from "./codes.ts";
import {
  admissionToken,
  childId,
  dateShiftDays,
  type FhirForm,
  type FhirKeys,
  patientToken,
} from "./ids.ts";

/** A date-time as the stores hand it over: a `Date`, or ISO 8601 text with an offset. */
export type DateTimeValue = Date | string;

/**
 * An admission as the mapping reads it: the stroke-care domain's (SPEC "Stroke care"), its times
 * as `Date`s or text, and when the app last changed it (for `meta.lastUpdated`), when known.
 */
export type FhirAdmission = AdmissionTimesAs<DateTimeValue> & {
  updated_at?: DateTimeValue | null;
};

/** Whose resources, in which form: what every builder needs besides the record. */
export interface FhirScope {
  keys: FhirKeys;
  /** The registry's opaque id. */
  registry: string;
  /** The system of the records' identifiers: the registry's address in the app. */
  identifierSystem: string;
  form: FhirForm;
}

/** A record that cannot be written as FHIR (its id cannot be read); the export reports it. */
export class FhirMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FhirMappingError";
  }
}

/** The fields of `M` that the mapping writes as resource `R`. */
type MappedAs<M, R> = { [F in keyof M]: M[F] extends { resource: R } ? F : never }[keyof M];

/** The fields of `fields` that `mapping` writes as `resource`, in the order of `fields`. */
function mappedAs<M extends Readonly<Record<string, FieldMapping>>, R extends string>(
  fields: readonly (keyof M & string)[],
  mapping: M,
  resource: R,
): MappedAs<M, R>[] {
  return fields.filter((f): f is MappedAs<M, R> & string => mapping[f]!.resource === resource);
}

/** The record fields written as Observations, in the dataset's order. */
export const OBSERVED_FIELDS = mappedAs(PATIENT_FIELDS, PATIENT_MAPPING, "Observation");

/** The record fields written as a Condition when they say 1. */
export const CONDITION_FIELDS = mappedAs(PATIENT_FIELDS, PATIENT_MAPPING, "Condition");

/** The admission fields written as Observations. */
export const ADMISSION_OBSERVED_FIELDS = mappedAs(
  ADMISSION_FIELDS,
  ADMISSION_MAPPING,
  "Observation",
);

const DAY_MS = 24 * 60 * 60 * 1000;
/** The longest stored text quoted in a note. */
const NOTE_MAX_CHARS = 200;

const PSEUDONYMISED: Meta = {
  security: [{ system: SYSTEM.securityLabel, code: "PSEUDED", display: "pseudonymized" }],
};

/** The record's id, or a `FhirMappingError` when the stored one cannot be read. */
export function recordIdOf(record: PatientRecord): number {
  const id: unknown = record.id;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1) {
    throw new FhirMappingError(
      `A record whose id is stored as ${
        quoted(record.stored?.id?.value)
      } cannot be written as FHIR until its id is corrected`,
    );
  }
  return id;
}

function quoted(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return text.length > NOTE_MAX_CHARS ? `${text.slice(0, NOTE_MAX_CHARS)}…` : text;
}

function instant(value: DateTimeValue, what: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new FhirMappingError(`${what} is not a date-time`);
  return date;
}

/** How a scope writes the dates of one patient (moved back by its shift when de-identified). */
function dateWriter(scope: FhirScope, recordId: number): (value: DateTimeValue) => string {
  const shift = scope.form === "deidentified"
    ? dateShiftDays(scope.keys, scope.registry, recordId) * DAY_MS
    : 0;
  return (value) => new Date(instant(value, "A date").getTime() - shift).toISOString();
}

/** `meta`: when the record last changed (plain), or the pseudonymised label (de-identified). */
function metaOf(scope: FhirScope, updated: DateTimeValue | null | undefined): Meta | undefined {
  if (scope.form === "deidentified") return PSEUDONYMISED;
  if (updated === null || updated === undefined) return undefined;
  return { lastUpdated: instant(updated, "A record's time").toISOString() };
}

function withMeta(meta: Meta | undefined): { meta?: Meta } {
  return meta ? { meta } : {};
}

function concept(codes: readonly Code[], text?: string): CodeableConcept {
  return { coding: codes.map(coding), ...(text !== undefined ? { text } : {}) };
}

function patientReference(scope: FhirScope, recordId: number): Reference<Patient> {
  return { reference: `Patient/${patientToken(scope.keys, scope.registry, recordId, scope.form)}` };
}

/** The record's Patient. */
export function patientResource(record: PatientRecord, scope: FhirScope): Patient {
  const recordId = recordIdOf(record);
  const gender = PATIENT_MAPPING.gender.values;
  const maritalStatus: CodeableConcept | undefined = record.ever_married === "No" &&
      !record.stored?.ever_married
    ? {
      coding: [{ system: SYSTEM.maritalStatus, code: "S", display: "Never Married" }],
      text: "Never married",
    }
    : undefined;
  return {
    resourceType: "Patient",
    id: patientToken(scope.keys, scope.registry, recordId, scope.form),
    ...withMeta(metaOf(scope, record.updated_at)),
    ...(scope.form === "plain"
      ? {
        identifier: [{
          use: "usual",
          type: {
            coding: [{ system: SYSTEM.identifierType, code: "LR", display: "Local Registry ID" }],
            text: "Registry record ID",
          },
          system: scope.identifierSystem,
          value: String(recordId),
        }],
      }
      : {}),
    gender: readable(record, "gender")
      ? gender[record.gender as keyof typeof gender] ?? "unknown"
      : "unknown",
    ...(maritalStatus ? { maritalStatus } : {}),
  };
}

/** Whether the record holds a value of this field that can be read (null counts as read). */
function readable(record: PatientRecord, field: PatientField): boolean {
  const stored = record.stored?.[field];
  return !stored || stored.readable;
}

function category(mapping: ObservationMapping): { category?: CodeableConcept[] } {
  if (mapping.category === null) return {};
  return {
    category: [{
      coding: [{
        system: SYSTEM.observationCategory,
        code: mapping.category,
        display: OBSERVATION_CATEGORY_DISPLAY[mapping.category],
      }],
    }],
  };
}

function absent(code: "unknown" | "error", display: string): { dataAbsentReason: CodeableConcept } {
  return {
    dataAbsentReason: { coding: [{ system: SYSTEM.dataAbsentReason, code, display }] },
  };
}

/** The value part of an Observation: `value[x]`, or `dataAbsentReason` when there is none. */
function valueOf(
  mapping: ObservationMapping,
  value: unknown,
): Partial<Observation> {
  if (value === null || value === undefined) return absent("unknown", "Unknown");
  const rule = mapping.value;
  if (rule.kind === "quantity" && typeof value === "number") {
    return {
      valueQuantity: { value, unit: rule.unit, system: SYSTEM.ucum, code: rule.ucum },
    };
  }
  if (rule.kind === "integer" && typeof value === "number" && Number.isInteger(value)) {
    return { valueInteger: value };
  }
  if (rule.kind === "coded" && typeof value === "string" && Object.hasOwn(rule.answers, value)) {
    return { valueCodeableConcept: concept(rule.answers[value]!, value) };
  }
  return absent("error", "Error");
}

/** What every Observation starts with: its id, meta, status, category, code and patient. */
function observationHead(
  id: string,
  meta: Meta | undefined,
  mapping: ObservationMapping,
  patient: string,
) {
  return {
    resourceType: "Observation",
    id,
    ...withMeta(meta),
    status: "final",
    ...category(mapping),
    code: concept(mapping.code, mapping.text),
    subject: { reference: `Patient/${patient}` },
  } as const satisfies Observation;
}

/** The record's Observations: one per field of `OBSERVED_FIELDS`, in that order. */
export function observationResources(record: PatientRecord, scope: FhirScope): Observation[] {
  const recordId = recordIdOf(record);
  const token = patientToken(scope.keys, scope.registry, recordId, scope.form);
  const meta = metaOf(scope, record.updated_at);
  return OBSERVED_FIELDS.map((field) => {
    const mapping: ObservationMapping = PATIENT_MAPPING[field];
    const stored = record.stored?.[field];
    const unreadable = stored !== undefined && !stored.readable;
    const missing = unreadable && (stored.value === undefined || stored.value === null);
    const value = unreadable
      ? (missing ? absent("unknown", "Unknown") : absent("error", "Error"))
      : valueOf(mapping, record[field]);
    return {
      ...observationHead(childId(token, field), meta, mapping, token),
      ...value,
      ...(unreadable && !missing && scope.form === "plain"
        ? {
          note: [{
            text: `Stored as ${
              quoted(stored.value)
            }, which cannot be read as ${mapping.text.toLowerCase()}.`,
          }],
        }
        : {}),
    } satisfies Observation;
  });
}

/** The record's Conditions: one per field of `CONDITION_FIELDS` that says 1. */
export function conditionResources(record: PatientRecord, scope: FhirScope): Condition[] {
  const recordId = recordIdOf(record);
  const token = patientToken(scope.keys, scope.registry, recordId, scope.form);
  const meta = metaOf(scope, record.updated_at);
  return CONDITION_FIELDS.filter((field) => readable(record, field) && record[field] === 1).map(
    (field) => {
      const mapping = PATIENT_MAPPING[field];
      return {
        resourceType: "Condition",
        id: childId(token, field),
        ...withMeta(meta),
        clinicalStatus: {
          coding: [{ system: SYSTEM.conditionClinical, code: "active", display: "Active" }],
        },
        verificationStatus: {
          coding: [{
            system: SYSTEM.conditionVerification,
            code: "confirmed",
            display: "Confirmed",
          }],
        },
        category: [{
          coding: [{
            system: SYSTEM.conditionCategory,
            code: "problem-list-item",
            display: "Problem List Item",
          }],
        }],
        code: concept(mapping.code, mapping.text),
        subject: { reference: `Patient/${token}` },
      } satisfies Condition;
    },
  );
}

function encounterId(admission: FhirAdmission, recordId: number, scope: FhirScope): string {
  return admissionToken(scope.keys, scope.registry, recordId, admission.admission_id, scope.form);
}

/** An admission's Encounter; `recordId` is its patient's. */
export function encounterResource(
  admission: FhirAdmission,
  recordId: number,
  scope: FhirScope,
): Encounter {
  const write = dateWriter(scope, recordId);
  const arrival = instant(admission.arrival_at, "The arrival time");
  const discharge = admission.discharge_at === null
    ? null
    : instant(admission.discharge_at, "The discharge time");
  const emergency = discharge !== null &&
    discharge.getTime() - arrival.getTime() < EMERGENCY_STAY_MS;
  const type = strokeTypeCodes(admission.stroke_type);
  return {
    resourceType: "Encounter",
    id: encounterId(admission, recordId, scope),
    ...withMeta(metaOf(scope, admission.updated_at)),
    status: discharge === null ? "in-progress" : "finished",
    class: coding(emergency ? ENCOUNTER_CLASS.emergency : ENCOUNTER_CLASS.inpatient),
    subject: patientReference(scope, recordId),
    period: {
      start: write(arrival),
      ...(discharge !== null ? { end: write(discharge) } : {}),
    },
    reasonCode: [concept(type, type[0]!.display)],
    ...(admission.discharge_destination !== null
      ? {
        hospitalization: {
          dischargeDisposition: concept(
            [dischargeDisposition(admission.discharge_destination)],
            admission.discharge_destination.replaceAll("_", " "),
          ),
        },
      }
      : {}),
  };
}

/** An admission's NIHSS and mRS Observations, those recorded, linked to its Encounter. */
export function admissionObservations(
  admission: FhirAdmission,
  recordId: number,
  scope: FhirScope,
): Observation[] {
  const write = dateWriter(scope, recordId);
  const token = patientToken(scope.keys, scope.registry, recordId, scope.form);
  const encounter = encounterId(admission, recordId, scope);
  const meta = metaOf(scope, admission.updated_at);
  const out: Observation[] = [];
  for (const field of ADMISSION_OBSERVED_FIELDS) {
    const value = admission[field];
    if (value === null) continue;
    const mapping: ObservationMapping = ADMISSION_MAPPING[field];
    const when = mapping.effective === undefined ? null : admission[mapping.effective];
    out.push({
      ...observationHead(childId(encounter, field), meta, mapping, token),
      encounter: { reference: `Encounter/${encounter}` },
      ...(when !== null ? { effectiveDateTime: write(when) } : {}),
      ...valueOf(mapping, value),
    });
  }
  return out;
}

/** Every resource of one record and its admissions, the Patient first. */
export function recordResources(
  record: PatientRecord,
  admissions: readonly FhirAdmission[],
  scope: FhirScope,
): (Patient | Observation | Condition | Encounter)[] {
  const recordId = recordIdOf(record);
  return [
    patientResource(record, scope),
    ...observationResources(record, scope),
    ...conditionResources(record, scope),
    ...admissions.flatMap((a) => [
      encounterResource(a, recordId, scope),
      ...admissionObservations(a, recordId, scope),
    ]),
  ];
}
