/** `/api/patient_data`: list, create, read, replace, patch and delete the caller's patients. */
import { type Context, Hono } from "hono";
import { InvalidQueryError, PatientNotFoundError } from "../lib/errors.ts";
import { parsePatientId, type PatientRecord } from "../lib/patient_fields.ts";
import { etagOf, ifMatchRevisions, patientJson, patientJsonText } from "../lib/patient_json.ts";
import { parseListQuery } from "../lib/patient_query.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";
import { jsonBody } from "./json_body.ts";

export const apiPatientRoutes = new Hono<AppEnv>();

/** The `{id}` of the path; one that cannot be a patient id names no record (404). */
export function pathId(c: Context): number {
  const text = c.req.param("id") ?? "";
  const id = parsePatientId(text);
  if (id === null) throw new PatientNotFoundError(text);
  return id;
}

/** Sends a record with its ETag. */
function record(c: Context, patient: PatientRecord, status: 200 | 201 = 200) {
  c.header("ETag", etagOf(patient));
  return c.json(patientJson(patient), status);
}

apiPatientRoutes.get("/api/patient_data", async (c) => {
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

apiPatientRoutes.post("/api/patient_data", async (c) => {
  const created = await c.get("patients").create(actorOf(c), await jsonBody(c));
  c.header("Location", `/api/patient_data/${created.id}`);
  return record(c, created, 201);
});

apiPatientRoutes.get("/api/patient_data/:id", async (c) => {
  const patient = await c.get("patients").get(actorOf(c), pathId(c));
  if (c.req.header("If-None-Match") === etagOf(patient)) {
    c.header("ETag", etagOf(patient));
    return c.body(null, 304);
  }
  return record(c, patient);
});

for (const [method, write] of [["put", "replace"], ["patch", "patch"]] as const) {
  apiPatientRoutes[method]("/api/patient_data/:id", async (c) => {
    const id = pathId(c);
    const body = await jsonBody(c);
    const expected = ifMatchRevisions(c.req.header("If-Match"));
    return record(c, await c.get("patients")[write](actorOf(c), id, body, expected));
  });
}

apiPatientRoutes.delete("/api/patient_data/:id", async (c) => {
  const id = pathId(c);
  await c.get("patients").delete(actorOf(c), id, ifMatchRevisions(c.req.header("If-Match")));
  return c.body(null, 204);
});
