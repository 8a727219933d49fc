/** `/api/patient_data`: list, create, read, replace, patch and delete the caller's patients. */
import { type Context, Hono } from "hono";
import {
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  StaleRevisionError,
} from "../db/errors.ts";
import type { PatientPage } from "../db/patient_store.ts";
import type { NewPatient, PatientFields } from "../lib/patient_fields.ts";
import { parsePatientId } from "../lib/patient_fields.ts";
import { etagOf, ifMatchRevisions, NO_REVISION, patientJson } from "../lib/patient_json.ts";
import { parseListQuery } from "../lib/patient_query.ts";
import { type FieldError, validatePatient } from "../lib/patient_validation.ts";
import { jsonBody } from "./json_body.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./problem.ts";

export const apiPatientRoutes = new Hono<AppEnv>();

/**
 * The JSON of a page's records, kept while the store keeps the page (the embedded store hands
 * out the same page object until the data changes).
 */
const serializedItems = new WeakMap<PatientPage, string>();

function owner(c: Context<AppEnv>): number {
  return c.get("user")!.id;
}

function invalid(c: Context, errors: FieldError[]): Response {
  return problem(c, {
    title: "Invalid patient",
    status: 422,
    detail: `${errors.length.toLocaleString("en-US")} field${
      errors.length === 1 ? " has a problem" : "s have problems"
    }; nothing was stored.`,
    errors,
  });
}

function notFound(c: Context, id: string): Response {
  return problem(c, {
    title: "Not found",
    status: 404,
    detail: `You have no patient with ID ${id}.`,
  });
}

function stale(c: Context, id: number): Response {
  return problem(c, {
    title: "Changed in the meantime",
    status: 412,
    detail:
      `Patient ${id} has changed since you read it (If-Match is stale); nothing was written. Read it again and retry.`,
  });
}

/** The `{id}` of the path, or null when it cannot be a patient id (then no record has it). */
function pathId(c: Context): number | null {
  return parsePatientId(c.req.param("id") ?? "");
}

/**
 * The revision a write must find, from `If-Match`: one named tag is passed on as it is; with
 * several, the record's current revision when it is among them.
 */
async function expectedRevision(c: Context<AppEnv>, id: number): Promise<string | undefined> {
  const tags = ifMatchRevisions(c.req.header("If-Match"));
  if (tags === undefined || tags.length === 1) return tags?.[0];
  const current = await c.get("deps").stores.patients.get(owner(c), id);
  return current && tags.includes(current.revision) ? current.revision : NO_REVISION;
}

/** Sends a record with its ETag. */
function record(c: Context, patient: Parameters<typeof patientJson>[0], status: 200 | 201 = 200) {
  c.header("ETag", etagOf(patient));
  return c.json(patientJson(patient), status);
}

apiPatientRoutes.get("/api/patient_data", async (c) => {
  const parsed = parseListQuery(new URL(c.req.url).searchParams);
  if (!parsed.ok) {
    return problem(c, {
      title: "Bad query",
      status: 400,
      detail: "The query string has problems; see `errors`.",
      errors: parsed.errors,
    });
  }
  const { query } = parsed;
  const page = await c.get("deps").stores.patients.list(owner(c), query);
  let items = serializedItems.get(page);
  if (items === undefined) {
    items = JSON.stringify(page.items.map(patientJson));
    serializedItems.set(page, items);
  }
  const rest = JSON.stringify({ total: page.total, page: query.page, per_page: query.perPage });
  return c.body(`{"items":${items},${rest.slice(1)}`, 200, {
    "Content-Type": "application/json",
  });
});

apiPatientRoutes.post("/api/patient_data", async (c) => {
  const body = await jsonBody(c);
  if (!body.ok) return body.res;
  const result = validatePatient(body.body, "create");
  if (!result.ok) return invalid(c, result.errors);
  try {
    const created = await c.get("deps").stores.patients.create(
      owner(c),
      result.value as NewPatient,
    );
    c.header("Location", `/api/patient_data/${created.id}`);
    return record(c, created, 201);
  } catch (error) {
    if (error instanceof NoFreePatientIdError) {
      return problem(c, {
        title: "No free patient ID",
        status: 409,
        detail: `${error.message}. Give the new record an id of your own.`,
        errors: [{ field: "id", message: error.message }],
      });
    }
    if (!(error instanceof PatientIdTakenError)) throw error;
    return problem(c, {
      title: "Patient ID taken",
      status: 409,
      detail: `You already have a patient with ID ${error.id}. Leave id out to have one assigned.`,
      errors: [{ field: "id", message: error.message }],
    });
  }
});

apiPatientRoutes.get("/api/patient_data/:id", async (c) => {
  const id = pathId(c);
  const patient = id === null ? null : await c.get("deps").stores.patients.get(owner(c), id);
  if (!patient) return notFound(c, c.req.param("id"));
  if (c.req.header("If-None-Match") === etagOf(patient)) {
    c.header("ETag", etagOf(patient));
    return c.body(null, 304);
  }
  return record(c, patient);
});

for (const method of ["put", "patch"] as const) {
  apiPatientRoutes[method]("/api/patient_data/:id", async (c) => {
    const id = pathId(c);
    if (id === null) return notFound(c, c.req.param("id"));
    const body = await jsonBody(c);
    if (!body.ok) return body.res;
    const patients = c.get("deps").stores.patients;
    const revision = await expectedRevision(c, id);
    const result = method === "put"
      ? validatePatient(body.body, "replace", id)
      : validatePatient(body.body, "patch", id);
    if (!result.ok) {
      // A record that does not exist is a 404 whatever the body says.
      if (!(await patients.get(owner(c), id))) return notFound(c, c.req.param("id"));
      return invalid(c, result.errors);
    }
    try {
      const changes = result.value as Partial<PatientFields>;
      const updated = method === "put"
        ? await patients.replace(owner(c), id, changes as Omit<PatientFields, "id">, revision)
        : await patients.patch(owner(c), id, changes, revision);
      return record(c, updated);
    } catch (error) {
      if (error instanceof NotFoundError) return notFound(c, c.req.param("id"));
      if (error instanceof StaleRevisionError) return stale(c, id);
      throw error;
    }
  });
}

apiPatientRoutes.delete("/api/patient_data/:id", async (c) => {
  const id = pathId(c);
  if (id === null) return notFound(c, c.req.param("id"));
  try {
    await c.get("deps").stores.patients.delete(owner(c), id, await expectedRevision(c, id));
    return c.body(null, 204);
  } catch (error) {
    if (error instanceof NotFoundError) return notFound(c, c.req.param("id"));
    if (error instanceof StaleRevisionError) return stale(c, id);
    throw error;
  }
});
