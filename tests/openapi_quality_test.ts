/**
 * The OpenAPI document is one script authors can generate clients from: every operation has a
 * unique `operationId` and declared tags, every tag a description, every array its `items`,
 * every schema a type, and `info` a licence and a contact. (`deno task openapi-lint` runs the
 * Redocly and Spectral linters on it too; CI does.)
 */
import assert from "node:assert/strict";
import { openApiDocument } from "../lib/openapi.ts";
import { documentedOperations } from "./helpers/api.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const doc: Json = openApiDocument();

Deno.test("every operation has an operationId of its own and only declared tags", () => {
  const operations = documentedOperations(doc);
  assert.ok(operations.length >= 24);
  const ids = operations.map(([path, method, operation]) => {
    assert.match(operation.operationId ?? "", /^[a-z][A-Za-z]+$/, `${method} ${path}`);
    return operation.operationId;
  });
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  const declared = new Map(doc.tags.map((t: Json) => [t.name, t.description]));
  for (const [name, description] of declared) assert.ok(description, `tag ${name} is described`);
  for (const [path, method, operation] of operations) {
    for (const tag of operation.tags) assert.ok(declared.has(tag), `${method} ${path}: ${tag}`);
    assert.ok(operation.summary, `${method} ${path} has a summary`);
  }
});

Deno.test("the document names its licence and contact", () => {
  assert.ok(doc.info.license.name);
  assert.ok(doc.info.contact.name);
});

/** Every schema object under `node` (in components, parameters, bodies and responses). */
function* schemas(node: Json, path: string, isSchema = false): Generator<[string, Json]> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* schemas(item, `${path}/${i}`, isSchema);
    return;
  }
  if (!node || typeof node !== "object") return;
  if (isSchema) yield [path, node];
  for (const [key, value] of Object.entries(node)) {
    const at = `${path}/${key}`;
    if (["properties", "patternProperties"].includes(key) && isSchema) {
      for (const [name, sub] of Object.entries(value as Json)) {
        yield* schemas(sub, `${at}/${name}`, true);
      }
    } else if (key === "schemas" && path === "/components") {
      for (const [name, sub] of Object.entries(value as Json)) {
        yield* schemas(sub, `${at}/${name}`, true);
      }
    } else if (["anyOf", "oneOf", "allOf", "prefixItems"].includes(key)) {
      yield* schemas(value, at, true);
    } else {
      const sub = ["schema", "items", "additionalProperties", "not"].includes(key) &&
        typeof value === "object";
      yield* schemas(value, at, sub);
    }
  }
}

Deno.test("every schema says its type, and every array what it holds", () => {
  let seen = 0;
  for (const [path, schema] of schemas(doc, "")) {
    seen++;
    const typed = ["type", "anyOf", "oneOf", "allOf", "$ref", "const", "enum"]
      .some((key) => key in schema);
    assert.ok(typed, `${path} has a type`);
    if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) {
      assert.ok("items" in schema || "prefixItems" in schema, `${path} says what it holds`);
    }
  }
  assert.ok(seen > 100, `${seen} schemas checked`);
  const pair = doc.components.schemas.HistoryEntry.properties.changes.additionalProperties;
  assert.deepEqual(pair.items, { type: ["string", "number", "null"] });
});
