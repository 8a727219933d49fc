/**
 * `/api/patient_data`: list, create, read, replace, patch and delete the caller's patients, with
 * the data in and out, history and insight of `api_data.ts`, `api_history.ts` and
 * `api_insight.ts`.
 */
import { type Context, Hono } from "hono";
import { InvalidQueryError } from "../lib/errors.ts";
import type { PatientRecord } from "../lib/patient_fields.ts";
import { ifMatchValues, noneMatchHits } from "../lib/entity_tags.ts";
import { etagOf, patientJson, patientJsonText } from "../lib/patient_json.ts";
import { parseListQuery } from "../lib/patient_query.ts";
import { actorOf } from "../http/actor.ts";
import { withRegistry } from "../http/current_registry.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { pathId } from "../http/path_id.ts";
import { apiDataRoutes } from "./api_data.ts";
import { apiHistoryRoutes } from "./api_history.ts";
import { apiInsightRoutes } from "./api_insight.ts";

/**
 * The named paths (`export`, `import`, `deleted`, `stats`, …) are routed before `/{id}`, which
 * would take any of them for an id. (The API's paths carry no pattern such as `:id{[0-9]+}`:
 * the OpenAPI document and its test name each path as the app routes it.)
 */
export const apiPatientRoutes = new Hono<AppEnv>()
  .route("/", apiDataRoutes)
  .route("/", apiHistoryRoutes)
  .route("/", apiInsightRoutes);

/** Sends a record with its ETag. */
function record(c: Context, patient: PatientRecord, status: 200 | 201 = 200) {
  c.header("ETag", etagOf(patient));
  return c.json(patientJson(patient), status);
}

apiPatientRoutes.get("/", async (c) => {
  const parsed = parseListQuery(new URL(c.req.url).searchParams);
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  const { query } = parsed;
  const page = await c.get("patients").list(actorOf(c), query);
  const items = `[${page.items.map(patientJsonText).join(",")}]`;
  const rest = JSON.stringify({ total: page.total, page: query.page, per_page: query.perPage });
  return c.body(`{"items":${items},${rest.slice(1)}`, 200, {
    "Content-Type": "application/json",
  });
});

apiPatientRoutes.post("/", async (c) => {
  const created = await c.get("patients").create(actorOf(c), await jsonBody(c));
  // In a team registry, the new record's address names it (where the record is).
  c.header("Location", withRegistry(`/api/patient_data/${created.id}`, c.get("registry")));
  return record(c, created, 201);
});

apiPatientRoutes.get("/:id", async (c) => {
  const patient = await c.get("patients").get(actorOf(c), pathId(c));
  if (noneMatchHits(c.req.header("If-None-Match"), patient.revision)) {
    c.header("ETag", etagOf(patient));
    return c.body(null, 304);
  }
  return record(c, patient);
});

for (const [method, write] of [["put", "replace"], ["patch", "patch"]] as const) {
  apiPatientRoutes[method]("/:id", async (c) => {
    const id = pathId(c);
    const body = await jsonBody(c);
    const expected = ifMatchValues(c.req.header("If-Match"));
    return record(c, await c.get("patients")[write](actorOf(c), id, body, expected));
  });
}

apiPatientRoutes.delete("/:id", async (c) => {
  const id = pathId(c);
  await c.get("patients").delete(actorOf(c), id, ifMatchValues(c.req.header("If-Match")));
  return c.body(null, 204);
});
