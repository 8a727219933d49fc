/**
 * The CapabilityStatement of `GET /fhir/metadata`: FHIR R4 (4.0.1) in `application/fhir+json`,
 * `Patient` read and search, `Observation`, `Condition` and `Encounter` searched by patient, and
 * Bulk Data Access 2.0 exports of the whole registry and of its patients.
 */
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
} from "@medplum/fhirtypes";

export interface CapabilityOptions {
  /** The FHIR base, absolute, without a trailing slash (`https://host/fhir`). */
  base: string;
  /** The app's version. */
  version: string;
  /** When this statement was last changed (a FHIR dateTime, e.g. the release date). */
  date: string;
}

/** The formats the server reads and writes. */
export const FHIR_FORMATS = ["application/fhir+json"] as const;

const BULK_DATA = "http://hl7.org/fhir/uv/bulkdata";

const BY_PATIENT: CapabilityStatementRestResourceSearchParam = {
  name: "patient",
  definition: "http://hl7.org/fhir/SearchParameter/clinical-patient",
  type: "reference",
  documentation: "Required: the id of a Patient of the registry (a `Patient/` prefix is allowed).",
};

function searchedByPatient(
  type: "Observation" | "Condition" | "Encounter",
  documentation: string,
): CapabilityStatementRestResource {
  return {
    type,
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    documentation,
    interaction: [{ code: "search-type" }],
    versioning: "no-version",
    searchParam: [BY_PATIENT],
  };
}

/** The server's CapabilityStatement. */
export function capabilityStatement(options: CapabilityOptions): CapabilityStatement {
  const base = options.base.replace(/\/+$/, "");
  return {
    resourceType: "CapabilityStatement",
    url: `${base}/metadata`,
    version: options.version,
    name: "StrokeRegistryFhirServer",
    title: "Stroke registry FHIR server",
    status: "active",
    experimental: false,
    date: options.date,
    publisher: "Stroke Patient Management",
    description:
      "Read-only FHIR R4 access to a stroke registry's records: one Patient per record, Observations " +
      "for its measured and coded fields, Conditions for its risk factors, and an Encounter per admission " +
      "with its NIHSS and mRS. Bulk Data Access 2.0 exports the registry as NDJSON.",
    kind: "instance",
    instantiates: [`${BULK_DATA}/CapabilityStatement/bulk-data`],
    software: { name: "Stroke Patient Management", version: options.version },
    implementation: { description: "Stroke registry", url: base },
    fhirVersion: "4.0.1",
    format: [...FHIR_FORMATS],
    rest: [{
      mode: "server",
      documentation:
        "Every request but this statement needs a bearer token (an API token) or the browser session, " +
        "and reads one registry (`registry=` or the token's own); a viewer of the registry receives the " +
        "de-identified form: other ids, no record id, dates moved back by a per-patient shift.",
      security: {
        cors: false,
        description: "Bearer tokens made in the app's profile page, as for the JSON API.",
      },
      resource: [
        {
          type: "Patient",
          profile: "http://hl7.org/fhir/StructureDefinition/Patient",
          documentation:
            "One Patient per record of the registry, in pages (`_count`, `next` links).",
          interaction: [{ code: "read" }, { code: "search-type" }],
          versioning: "no-version",
          readHistory: false,
          operation: [{
            name: "export",
            definition: `${BULK_DATA}/OperationDefinition/patient-export`,
            documentation: "Bulk Data export of the registry's patients and their resources.",
          }],
        },
        searchedByPatient(
          "Observation",
          "Age, BMI, glucose, smoking status and the other recorded fields; NIHSS and mRS per admission.",
        ),
        searchedByPatient("Condition", "Hypertension, heart disease and stroke, where recorded."),
        searchedByPatient("Encounter", "One per admission: arrival to discharge."),
      ],
      operation: [{
        name: "export",
        definition: `${BULK_DATA}/OperationDefinition/export`,
        documentation:
          "Bulk Data export of the whole registry (`Prefer: respond-async`; `_type`, `_since`).",
      }],
    }],
  };
}
