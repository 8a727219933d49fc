/**
 * The FHIR mapping: one table saying, for every field of a record and of an admission, which FHIR
 * element carries it and with which codes (LOINC, SNOMED CT, ICD-10 where one exists, a code system
 * of the app's own otherwise), and where each code was looked up. The resource builders read their
 * codes from here and the codebook shows it, so the two cannot disagree.
 */
import type { Coding } from "@medplum/fhirtypes";
import { FIELD_RULES, type PatientField } from "../patient_fields.ts";
import type { DischargeDestination, StrokeType } from "../stroke/admission_fields.ts";

/** The code systems the mapping uses, by their canonical URLs. */
export const SYSTEM = {
  loinc: "http://loinc.org",
  snomed: "http://snomed.info/sct",
  /** WHO ICD-10 (not ICD-10-CM, which has no I64). */
  icd10: "http://hl7.org/fhir/sid/icd-10",
  ucum: "http://unitsofmeasure.org",
  observationCategory: "http://terminology.hl7.org/CodeSystem/observation-category",
  conditionCategory: "http://terminology.hl7.org/CodeSystem/condition-category",
  conditionClinical: "http://terminology.hl7.org/CodeSystem/condition-clinical",
  conditionVerification: "http://terminology.hl7.org/CodeSystem/condition-ver-status",
  dataAbsentReason: "http://terminology.hl7.org/CodeSystem/data-absent-reason",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  dischargeDisposition: "http://terminology.hl7.org/CodeSystem/discharge-disposition",
  maritalStatus: "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
  yesNo: "http://terminology.hl7.org/CodeSystem/v2-0136",
  identifierType: "http://terminology.hl7.org/CodeSystem/v2-0203",
  securityLabel: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
} as const;

/**
 * The app's own code systems, for what no standard code says. Fixed `urn:uuid` names rather than
 * URLs under the app's address: a code must mean the same in every installation and after a move
 * to another host, and a receiver merging several registries must see one system, not one per
 * server. Each is described by a CodeSystem resource (`appCodeSystems`).
 */
export const APP_SYSTEM = {
  /** Observation codes: the app's field names (`work_type`, `mrs_90d`, …). */
  field: "urn:uuid:9c26aaa5-d71c-4677-b5e8-1f8c482462b3",
  workType: "urn:uuid:75d3b3f1-3e66-48fb-89b8-67033e789d0d",
  residenceType: "urn:uuid:f2acd323-b353-4e56-ab28-613aa5d115f0",
  strokeType: "urn:uuid:c0412b0b-e31c-42eb-b516-d4b3c8bbba14",
} as const;

/** A code of a system, with the display its publisher gives it. */
export interface Code {
  system: string;
  code: string;
  display: string;
}

function code(system: string, value: string, display: string): Code {
  return { system, code: value, display };
}
const loinc = (value: string, display: string) => code(SYSTEM.loinc, value, display);
const snomed = (value: string, display: string) => code(SYSTEM.snomed, value, display);
const icd10 = (value: string, display: string) => code(SYSTEM.icd10, value, display);
const own = (system: string, value: string, display: string) => code(system, value, display);
const field = (name: string, display: string) => own(APP_SYSTEM.field, name, display);

/** Where the codes were looked up (the table's `source` points here). */
export const SOURCES = {
  loinc: "loinc.org term pages and the LOINC panels they belong to",
  usCoreSmoking:
    "HL7 US Core and IPS smoking-status value sets (LOINC 72166-2 with its SNOMED CT answers)",
  snomed: "SNOMED CT concepts as published in HL7 implementation guides (IPS, US Core examples)",
  icd10: "WHO ICD-10 (2019) chapter IX",
  hl7: "HL7 terminology (terminology.hl7.org) code systems, as shipped with the R4 definitions",
  app: "the app's own code system (no standard code carries this)",
} as const;

export type ObservationCategory =
  | "social-history"
  | "vital-signs"
  | "laboratory"
  | "survey";

/** How an Observation's value is written. */
export type ValueMapping =
  | { kind: "quantity"; unit: string; ucum: string }
  | { kind: "integer" }
  | { kind: "coded"; answers: Readonly<Record<string, readonly Code[]>> };

export interface ObservationMapping {
  resource: "Observation";
  /** The first code is the standard one when there is one; an app code may follow. */
  code: readonly Code[];
  text: string;
  category: ObservationCategory | null;
  value: ValueMapping;
  /** When it is taken, for an admission's observation. */
  effective?: "arrival_at" | "discharge_at";
  source: string;
  note?: string;
}

export interface ConditionMapping {
  resource: "Condition";
  code: readonly Code[];
  text: string;
  source: string;
  note?: string;
}

export interface ElementMapping {
  resource: "Patient" | "Encounter";
  element: string;
  /** The field's values and the codes they become, when they are coded. */
  values?: Readonly<Record<string, string | Code | readonly Code[]>>;
  source: string;
  note?: string;
}

export interface Unmapped {
  resource: null;
  note: string;
}

export type FieldMapping = ObservationMapping | ConditionMapping | ElementMapping | Unmapped;

const YES_NO: Record<string, readonly Code[]> = {
  Yes: [code(SYSTEM.yesNo, "Y", "Yes")],
  No: [code(SYSTEM.yesNo, "N", "No")],
};

const labelsOf = (labels: Readonly<Record<string, string>>, value: string) =>
  labels[value] ?? value;

const workTypeLabels: Readonly<Record<string, string>> = FIELD_RULES.work_type.valueLabels;
const WORK_TYPE_ANSWERS = Object.fromEntries(
  FIELD_RULES.work_type.values.map((v) => [
    v,
    [own(APP_SYSTEM.workType, v, labelsOf(workTypeLabels, v))],
  ]),
);
const RESIDENCE_ANSWERS = Object.fromEntries(
  FIELD_RULES.Residence_type.values.map((v) => [v, [own(APP_SYSTEM.residenceType, v, v)]]),
);

/** The modified Rankin Scale score as LOINC names it. */
const MRS = loinc("75859-9", "Modified Rankin Scale");

/** A social-history Observation the app's own code names (no LOINC term fits), its answers coded. */
function ownCoded<A extends Readonly<Record<string, readonly Code[]>>>(
  name: PatientField,
  text: string,
  answers: A,
  source: string,
  note?: string,
): ObservationMapping & { code: readonly [Code]; value: { kind: "coded"; answers: A } } {
  return {
    resource: "Observation",
    code: [field(name, text)],
    text,
    category: "social-history",
    value: { kind: "coded", answers },
    source,
    ...(note !== undefined ? { note } : {}),
  };
}

/** A risk factor written as a Condition (SNOMED CT, then ICD-10) when the record says 1. */
function riskFactor(text: string, snomedCode: Code, icd10Code: Code, more = ""): ConditionMapping {
  return {
    resource: "Condition",
    code: [snomedCode, icd10Code],
    text,
    source: `${SOURCES.snomed}; ${SOURCES.icd10}`,
    note: `Only when the record says 1; none for 0.${more}`,
  };
}

/** An mRS of an admission: LOINC's one mRS term and the app's code that says when it was taken. */
function mrsScore(
  name: "mrs_discharge" | "mrs_90d",
  short: string,
  when: string,
  note: string,
  effective?: "discharge_at",
): ObservationMapping & { code: readonly [Code, Code] } {
  return {
    resource: "Observation",
    code: [MRS, field(name, short)],
    text: `Modified Rankin Scale ${when}`,
    category: "survey",
    value: { kind: "integer" },
    ...(effective !== undefined ? { effective } : {}),
    source: `${SOURCES.loinc}; ${SOURCES.app}`,
    note,
  };
}

/** Every field of a record, in the dataset's order: what it becomes in FHIR. */
export const PATIENT_MAPPING = {
  id: {
    resource: "Patient",
    element: "Patient.identifier",
    source: SOURCES.hl7,
    note:
      "System: the registry's address in the app; value: the record id; type v2-0203 LR (local registry ID). " +
      "Patient.id is derived from the registry and the record id by a keyed cipher: stable and opaque. " +
      "The de-identified form has no identifier.",
  },
  gender: {
    resource: "Patient",
    element: "Patient.gender",
    values: { Male: "male", Female: "female", Other: "other" },
    source: "FHIR R4 AdministrativeGender (required binding)",
    note: "A value that cannot be read is `unknown`.",
  },
  age: {
    resource: "Observation",
    code: [loinc("30525-0", "Age")],
    text: "Age",
    category: null,
    value: { kind: "quantity", unit: "years", ucum: "a" },
    source: SOURCES.loinc,
    note: "The dataset records no date of birth; infants' fractions are kept (0.08 a).",
  },
  hypertension: riskFactor(
    "Hypertension",
    snomed("38341003", "Hypertensive disorder, systemic arterial"),
    icd10("I10", "Essential (primary) hypertension"),
  ),
  heart_disease: riskFactor(
    "Heart disease",
    snomed("56265001", "Heart disease"),
    icd10("I51.9", "Heart disease, unspecified"),
  ),
  ever_married: ownCoded(
    "ever_married",
    "Ever married",
    YES_NO,
    `${SOURCES.app}; answers ${SOURCES.hl7} (v2-0136)`,
    "No LOINC term says 'ever married'. `No` also sets Patient.maritalStatus to v3-MaritalStatus S (never married); " +
      "`Yes` says nothing of the current status, so it sets none.",
  ),
  work_type: ownCoded(
    "work_type",
    "Work type",
    WORK_TYPE_ANSWERS,
    SOURCES.app,
    "The dataset's sectors (private, government, self-employed) have no LOINC answer list.",
  ),
  Residence_type: ownCoded("Residence_type", "Residence type", RESIDENCE_ANSWERS, SOURCES.app),
  avg_glucose_level: {
    resource: "Observation",
    code: [
      loinc("2339-0", "Glucose [Mass/volume] in Blood"),
      field("avg_glucose_level", "Average glucose level"),
    ],
    text: "Average glucose level",
    category: "laboratory",
    value: { kind: "quantity", unit: "mg/dL", ucum: "mg/dL" },
    source: `${SOURCES.loinc}; ${SOURCES.app}`,
    note:
      "LOINC's mean-glucose terms say how the mean was made (27353-2: estimated from HbA1c; 97507-8: " +
      "interstitial fluid, CGM), which the dataset does not say; 2339-0 is glucose in blood with no method, " +
      "and the app's code beside it says it is an average.",
  },
  bmi: {
    resource: "Observation",
    code: [loinc("39156-5", "Body mass index (BMI) [Ratio]")],
    text: "BMI",
    category: "vital-signs",
    value: { kind: "quantity", unit: "kg/m2", ucum: "kg/m2" },
    source: SOURCES.loinc,
    note: "Unknown (null, N/A): dataAbsentReason `unknown`.",
  },
  smoking_status: {
    resource: "Observation",
    code: [loinc("72166-2", "Tobacco smoking status")],
    text: "Smoking status",
    category: "social-history",
    value: {
      kind: "coded",
      answers: {
        "never smoked": [snomed("266919005", "Never smoked tobacco")],
        "formerly smoked": [snomed("8517006", "Ex-smoker")],
        smokes: [snomed("77176002", "Smoker")],
        Unknown: [snomed("266927001", "Tobacco smoking consumption unknown")],
      },
    },
    source: SOURCES.usCoreSmoking,
  },
  stroke: riskFactor(
    "Stroke",
    snomed("230690007", "Cerebrovascular accident"),
    icd10("I64", "Stroke, not specified as haemorrhage or infarction"),
    " The dataset does not say when.",
  ),
} as const satisfies Record<keyof typeof FIELD_RULES, FieldMapping>;

/** Encounter.class by how long the patient stayed. */
export const ENCOUNTER_CLASS = {
  inpatient: code(SYSTEM.actCode, "IMP", "inpatient encounter"),
  emergency: code(SYSTEM.actCode, "EMER", "emergency"),
} as const;

/** A stay shorter than this, ended by a discharge, is an emergency encounter, not an admission. */
export const EMERGENCY_STAY_MS = 24 * 60 * 60 * 1000;

const STROKE_TYPE_CODES: Record<StrokeType, readonly Code[]> = {
  ischaemic: [
    own(APP_SYSTEM.strokeType, "ischaemic", "Ischaemic stroke"),
    snomed("422504002", "Ischemic stroke"),
  ],
  haemorrhagic: [
    own(APP_SYSTEM.strokeType, "haemorrhagic", "Haemorrhagic stroke"),
    snomed("274100004", "Cerebral hemorrhage"),
  ],
  TIA: [
    own(APP_SYSTEM.strokeType, "TIA", "Transient ischaemic attack"),
    snomed("266257000", "Transient ischemic attack"),
  ],
  mimic: [own(APP_SYSTEM.strokeType, "mimic", "Stroke mimic")],
};

const DISPOSITIONS: Record<DischargeDestination, Code> = {
  home: code(SYSTEM.dischargeDisposition, "home", "Home"),
  rehabilitation: code(SYSTEM.dischargeDisposition, "rehab", "Rehabilitation"),
  care_home: code(SYSTEM.dischargeDisposition, "long", "Long-term care"),
  other_hospital: code(SYSTEM.dischargeDisposition, "other-hcf", "Other healthcare facility"),
  died: code(SYSTEM.dischargeDisposition, "exp", "Expired"),
};

const NOT_EXPORTED =
  "Not in the FHIR output yet: a time of a procedure or an assessment belongs in a Procedure resource, " +
  "which the SPEC's list of resources does not include. The admissions' CSV and JSON carry it.";

/** Every field of an admission: what it becomes in FHIR. */
export const ADMISSION_MAPPING = {
  admission_id: {
    resource: "Encounter",
    element: "Encounter.id",
    source: SOURCES.hl7,
    note: "Derived with the registry and the record id by a keyed cipher: stable and opaque.",
  },
  stroke_type: {
    resource: "Encounter",
    element: "Encounter.reasonCode",
    values: STROKE_TYPE_CODES,
    source: `${SOURCES.app}; ${SOURCES.snomed}`,
    note: "The app's code first, SNOMED CT beside it where one exists (none for a mimic).",
  },
  last_known_well_at: { resource: null, note: NOT_EXPORTED },
  arrival_at: {
    resource: "Encounter",
    element: "Encounter.period.start",
    source: SOURCES.hl7,
    note:
      "Encounter.class is IMP (inpatient encounter, v3-ActCode), or EMER when the patient was discharged " +
      "less than 24 hours after arrival (seen and sent on, not admitted).",
  },
  imaging_at: { resource: null, note: NOT_EXPORTED },
  nihss_arrival: {
    resource: "Observation",
    code: [
      loinc("72089-6", "Total score [NIH Stroke Scale]"),
      field("nihss_arrival", "NIHSS on arrival"),
    ],
    text: "NIHSS on arrival",
    category: "survey",
    value: { kind: "integer" },
    effective: "arrival_at",
    source: SOURCES.loinc,
    note:
      "72089-6 is the total score; 70182-1 is the NIH Stroke Scale panel (its items), not a score. " +
      "Only when recorded.",
  },
  thrombolysis_at: { resource: null, note: NOT_EXPORTED },
  thrombectomy_at: { resource: null, note: NOT_EXPORTED },
  discharge_at: {
    resource: "Encounter",
    element: "Encounter.period.end",
    source: SOURCES.hl7,
    note: "Encounter.status `finished` when set, `in-progress` until then.",
  },
  discharge_destination: {
    resource: "Encounter",
    element: "Encounter.hospitalization.dischargeDisposition",
    values: DISPOSITIONS,
    source: SOURCES.hl7,
  },
  mrs_discharge: mrsScore(
    "mrs_discharge",
    "mRS at discharge",
    "at discharge",
    "LOINC has one mRS term; the app's code says when it was taken. Only when recorded.",
    "discharge_at",
  ),
  mrs_90d: mrsScore(
    "mrs_90d",
    "mRS at 90 days",
    "at 90 days",
    "Taken 90 ± 14 days after the stroke; the day is not recorded, so it has no date.",
  ),
} as const satisfies Record<string, FieldMapping>;

/** The codes of a stroke type (the app's first). */
export function strokeTypeCodes(type: StrokeType): readonly Code[] {
  return STROKE_TYPE_CODES[type];
}

/** The discharge disposition of a destination. */
export function dischargeDisposition(
  destination: DischargeDestination,
): Code {
  return DISPOSITIONS[destination];
}

/** A code as a FHIR Coding. */
export function coding(c: Code): Coding {
  return { system: c.system, code: c.code, display: c.display };
}

/** The category codes of Observations. */
export const OBSERVATION_CATEGORY_DISPLAY: Record<ObservationCategory, string> = {
  "social-history": "Social History",
  "vital-signs": "Vital Signs",
  laboratory: "Laboratory",
  survey: "Survey",
};
