/**
 * The OpenAPI operations of one conditionally written resource (a patient, an admission): read
 * with its ETag (304 on `If-None-Match`), replace and change with `If-Match` (412 when it
 * changed since), delete; the same statuses and protocol sentences for every such resource.
 */
import { etagHeader, ifMatch, type Json, json, pick, reasonHeader, ref } from "./openapi_parts.ts";

/** What an operation says of itself; the builder adds what every such operation shares. */
export interface OperationText {
  operationId: string;
  summary: string;
  description: string;
}

/** One resource's names and texts. */
export interface ConditionalResource {
  tags: string[];
  /** The schema of the stored resource, as every answer carries it (`Patient`). */
  schema: string;
  /** What one is called in the answers' descriptions: `record` → "The new record". */
  name: string;
  /** `name` with its article, in the If-Match sentence: "a record changed since that ETag". */
  aName: string;
  read: OperationText;
  /** `body`: the request body's schema. */
  replace: OperationText & { body: string };
  change: OperationText & { body: string };
  remove: OperationText;
}

/** A resource as stored, with its revision in `ETag`. */
export const revisionResponse = (description: string, schema: string) => ({
  description,
  headers: etagHeader,
  ...json(ref(schema)),
});

/**
 * The `post` that creates one in its collection: the body as `body` says, a 201 with the new
 * resource (its ETag and `Location`), and the problem responses `codes` names.
 */
export function createOperation(
  tags: string[],
  schema: string,
  text: OperationText & { body: string },
  codes: Parameters<typeof pick>,
): Json {
  return {
    operationId: text.operationId,
    tags,
    summary: text.summary,
    description: text.description,
    parameters: [reasonHeader],
    requestBody: { required: true, ...json(ref(text.body)) },
    responses: {
      201: {
        description: "Created",
        headers: { ...etagHeader, Location: { schema: { type: "string" } } },
        ...json(ref(schema)),
      },
      ...pick(...codes),
    },
  };
}

/** The `get`, `put`, `patch` and `delete` operations of one resource's path. */
export function conditionalOperations(resource: ConditionalResource): Json {
  const { tags, schema, name, aName } = resource;
  const head = (text: OperationText, note = "") => ({
    operationId: text.operationId,
    tags,
    summary: text.summary,
    description: note ? `${text.description} ${note}` : text.description,
  });
  const write = (text: OperationText & { body: string }) => ({
    ...head(
      text,
      `With \`If-Match\`, ${aName} changed since that ETag is a 412 and nothing is written.`,
    ),
    parameters: [ifMatch, reasonHeader],
    requestBody: { required: true, ...json(ref(text.body)) },
    responses: {
      200: revisionResponse(`The new ${name}`, schema),
      ...pick(400, 401, 403, 404, 412, 413, 415, 422, 503),
    },
  });
  return {
    get: {
      ...head(resource.read, "`If-None-Match` with the current ETag answers 304."),
      responses: {
        200: revisionResponse(`The ${name}`, schema),
        304: { description: "Not modified (If-None-Match)" },
        ...pick(401, 404, 503),
      },
    },
    put: write(resource.replace),
    patch: write(resource.change),
    delete: {
      ...head(resource.remove),
      parameters: [ifMatch, reasonHeader],
      responses: { 204: { description: "Deleted" }, ...pick(401, 403, 404, 412, 503) },
    },
  };
}
