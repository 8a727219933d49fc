/** FHIR test data: a scope per form, the dataset's rows as stored records, and synthetic admissions. */
import type { Resource } from "@medplum/fhirtypes";
import { type FhirForm, FhirKeys } from "../../lib/fhir/ids.ts";
import type { DateTimeValue, FhirAdmission, FhirScope } from "../../lib/fhir/resources.ts";
import type { PatientFields, PatientRecord } from "../../lib/patient_fields.ts";
import { mulberry32 } from "../../lib/random.ts";
import {
  DISCHARGE_DESTINATIONS,
  MRS_GRADES,
  STROKE_TYPES,
} from "../../lib/stroke/admission_fields.ts";
import { readStoredPatient } from "../../lib/stored_patient.ts";
import { admissionWith } from "./stroke_admissions.ts";

/** The server secret of the tests' keys. */
export const TEST_SECRET = "a test secret of the FHIR ids, 32+ chars";
export const TEST_KEYS = new FhirKeys(TEST_SECRET);
export const REGISTRY = "reg-7f3a";
export const IDENTIFIER_SYSTEM = `https://stroke.example.org/registries/${REGISTRY}`;

export function scopeOf(
  form: FhirForm,
  registry = REGISTRY,
  keys: FhirKeys = TEST_KEYS,
): FhirScope {
  return {
    keys,
    registry,
    identifierSystem: `https://stroke.example.org/registries/${registry}`,
    form,
  };
}

/** When the stored records were last changed (fixed, so that expectations can name it). */
export const UPDATED_AT = new Date("2025-11-03T09:15:00Z");

/** A patient as the store hands it over after the app wrote it. */
export function storedRecord(fields: PatientFields): PatientRecord {
  return readStoredPatient({
    ...fields,
    created_at: UPDATED_AT,
    updated_at: UPDATED_AT,
    revision: "0b4c9a52-0f1e-4a55-9b7a-2b8d51e0c3f4",
  });
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Admissions that follow the SPEC's rules, drawn from a seed: every stroke type and destination,
 * unknown times and scores, a stay still open, short stays (emergency encounters), deaths with
 * mRS 6, and times given as `Date`s and as text with an offset.
 */
export function syntheticAdmissions(seed: number, count: number): FhirAdmission[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maybe = <T>(p: number, value: () => T): T | null => (random() < p ? value() : null);
  const out: FhirAdmission[] = [];
  let arrival = Date.UTC(2023, 0, 1) + Math.floor(random() * 300 * DAY);
  for (let i = 1; i <= count; i++) {
    arrival += Math.floor((10 + random() * 200) * DAY);
    const type = pick(STROKE_TYPES);
    const open = random() < 0.1;
    const stay = random() < 0.2 ? (2 + random() * 20) * HOUR : (1 + random() * 30) * DAY;
    const discharge = open ? null : arrival + Math.floor(stay);
    const destination = discharge === null ? null : pick(DISCHARGE_DESTINATIONS);
    const died = destination === "died";
    const thrombolysed = type !== "mimic" && random() < 0.3;
    const asText = random() < 0.5;
    const time = (ms: number) =>
      asText ? new Date(ms).toISOString().replace("Z", "+00:00") : new Date(ms);
    out.push({
      admission_id: i,
      stroke_type: type,
      last_known_well_at: maybe(0.7, () => time(arrival - Math.floor(random() * 6 * HOUR))),
      arrival_at: time(arrival),
      imaging_at: maybe(0.9, () => time(arrival + Math.floor(random() * 90 * MINUTE))),
      nihss_arrival: maybe(0.8, () => Math.floor(random() * 43)),
      thrombolysis_at: thrombolysed ? time(arrival + Math.floor(random() * 120 * MINUTE)) : null,
      thrombectomy_at: maybe(0.1, () => time(arrival + Math.floor(random() * 4 * HOUR))),
      discharge_at: discharge === null ? null : time(discharge),
      discharge_destination: destination,
      mrs_discharge: died
        ? 6
        : discharge === null
        ? null
        : maybe(0.8, () => pick(MRS_GRADES.slice(0, 6))),
      mrs_90d: died ? maybe(0.5, () => 6 as const) : maybe(0.6, () => pick(MRS_GRADES)),
      updated_at: new Date(arrival + 100 * DAY),
    });
  }
  return out;
}

/** One admission of each kind the mapping treats apart, by hand. */
export const EDGE_ADMISSIONS: readonly FhirAdmission[] = [
  {
    admission_id: 1,
    stroke_type: "ischaemic",
    last_known_well_at: "2024-03-01T08:40:00+01:00",
    arrival_at: "2024-03-01T09:30:00+01:00",
    imaging_at: "2024-03-01T09:52:00+01:00",
    nihss_arrival: 14,
    thrombolysis_at: "2024-03-01T10:15:00+01:00",
    thrombectomy_at: "2024-03-01T11:02:00+01:00",
    discharge_at: "2024-03-12T14:00:00+01:00",
    discharge_destination: "rehabilitation",
    mrs_discharge: 3,
    mrs_90d: 2,
  },
  {
    admission_id: 2,
    ...admissionWith<DateTimeValue>({
      stroke_type: "mimic",
      arrival_at: new Date("2024-06-10T22:05:00Z"),
      discharge_at: new Date("2024-06-11T06:00:00Z"),
      discharge_destination: "home",
    }),
  },
  {
    admission_id: 3,
    ...admissionWith<DateTimeValue>({
      stroke_type: "haemorrhagic",
      arrival_at: "2024-09-02T17:20:00Z",
      imaging_at: "2024-09-02T17:41:00Z",
      nihss_arrival: 31,
      discharge_at: "2024-09-06T03:00:00Z",
      discharge_destination: "died",
      mrs_discharge: 6,
      mrs_90d: 6,
    }),
  },
  {
    admission_id: 4,
    ...admissionWith<DateTimeValue>({
      stroke_type: "TIA",
      last_known_well_at: "2025-01-20T07:00:00Z",
      arrival_at: "2025-01-20T07:45:00Z",
      nihss_arrival: 0,
    }),
  },
];

/** The resources of a list by type, for assertions. */
export function byType<R extends Resource>(
  resources: readonly Resource[],
  type: R["resourceType"],
) {
  return resources.filter((r): r is R => r.resourceType === type);
}
