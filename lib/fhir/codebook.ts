/**
 * What the codebook shows of the FHIR mapping: the table as rows (field, resource, element, codes,
 * source, note), and the app's own code systems as CodeSystem resources.
 */
import type { CodeSystem } from "@medplum/fhirtypes";
import { STROKE_TYPES } from "../stroke/admission_fields.ts";
import {
  ADMISSION_MAPPING,
  APP_SYSTEM,
  type Code,
  type FieldMapping,
  PATIENT_MAPPING,
  strokeTypeCodes,
} from "./codes.ts";

/** One row of the mapping as the codebook shows it. */
export interface MappingRow {
  field: string;
  of: "record" | "admission";
  resource: string | null;
  element: string;
  codes: Code[];
  source: string;
  note: string;
}

function rowOf(fieldName: string, of: "record" | "admission", m: FieldMapping): MappingRow {
  if (m.resource === null) {
    return {
      field: fieldName,
      of,
      resource: null,
      element: "",
      codes: [],
      source: "",
      note: m.note,
    };
  }
  if (m.resource === "Observation") {
    const answers = m.value.kind === "coded" ? Object.values(m.value.answers).flat() : [];
    return {
      field: fieldName,
      of,
      resource: "Observation",
      element: m.value.kind === "coded"
        ? "Observation.code, valueCodeableConcept"
        : m.value.kind === "quantity"
        ? `Observation.code, valueQuantity (${m.value.ucum})`
        : "Observation.code, valueInteger",
      codes: [...m.code, ...answers],
      source: m.source,
      note: m.note ?? "",
    };
  }
  if (m.resource === "Condition") {
    return {
      field: fieldName,
      of,
      resource: "Condition",
      element: "Condition.code",
      codes: [...m.code],
      source: m.source,
      note: m.note ?? "",
    };
  }
  const values = Object.values(m.values ?? {}).flatMap((v) => typeof v === "string" ? [] : v);
  return {
    field: fieldName,
    of,
    resource: m.resource,
    element: m.element,
    codes: values,
    source: m.source,
    note: m.note ?? "",
  };
}

/** The whole mapping, record fields then admission fields, for the codebook. */
export function mappingRows(): MappingRow[] {
  return [
    ...Object.entries(PATIENT_MAPPING).map(([f, m]) => rowOf(f, "record", m)),
    ...Object.entries(ADMISSION_MAPPING).map(([f, m]) => rowOf(f, "admission", m)),
  ];
}

/** The app's own code systems as CodeSystem resources (what each code means). */
export function appCodeSystems(): CodeSystem[] {
  const fieldCodes = [
    ...[PATIENT_MAPPING.ever_married, PATIENT_MAPPING.work_type, PATIENT_MAPPING.Residence_type]
      .map((m) => m.code[0]),
    PATIENT_MAPPING.avg_glucose_level.code[1],
    ADMISSION_MAPPING.nihss_arrival.code[1],
    ADMISSION_MAPPING.mrs_discharge.code[1],
    ADMISSION_MAPPING.mrs_90d.code[1],
  ];
  const system = (
    id: string,
    url: string,
    name: string,
    title: string,
    description: string,
    codes: readonly Code[],
  ): CodeSystem => ({
    resourceType: "CodeSystem",
    id,
    url,
    name,
    title,
    status: "active",
    description,
    caseSensitive: true,
    content: "complete",
    count: codes.length,
    concept: codes.map((c) => ({ code: c.code, display: c.display })),
  });
  return [
    system(
      "spm-field",
      APP_SYSTEM.field,
      "StrokeRegistryField",
      "Stroke registry fields",
      "Observations of the stroke registry that no LOINC term names exactly: the code is the field's name.",
      fieldCodes,
    ),
    system(
      "spm-work-type",
      APP_SYSTEM.workType,
      "StrokeRegistryWorkType",
      "Work type",
      "The patient's kind of work, as the stroke dataset records it.",
      Object.values(PATIENT_MAPPING.work_type.value.answers).flat(),
    ),
    system(
      "spm-residence-type",
      APP_SYSTEM.residenceType,
      "StrokeRegistryResidenceType",
      "Residence type",
      "Whether the patient lives in a rural or an urban area.",
      Object.values(PATIENT_MAPPING.Residence_type.value.answers).flat(),
    ),
    system(
      "spm-stroke-type",
      APP_SYSTEM.strokeType,
      "StrokeRegistryStrokeType",
      "Stroke type",
      "The kind of stroke an admission was for, including a stroke mimic.",
      STROKE_TYPES.map((t) => strokeTypeCodes(t)[0]!),
    ),
  ];
}
