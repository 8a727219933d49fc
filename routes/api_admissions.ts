/**
 * `/api/patient_data/{id}/admissions`: a patient's admissions through the JSON API — list
 * (oldest first), create (201 + Location + ETag), read, replace, patch and delete one (ETag,
 * `If-Match`, 412), the deleted ones and their restore. Date-times are written in the user's
 * time zone with their offset. A Hono sub-app, mounted at that prefix.
 */
import { type Context, Hono } from "hono";
import type { AdmissionService } from "../lib/admission_service.ts";
import type { StoredAdmission } from "../lib/admission_store.ts";
import { ifMatchValues, noneMatchHits } from "../lib/entity_tags.ts";
import { admissionToJson } from "../lib/stroke/admission_json.ts";
import { actorOf } from "../http/actor.ts";
import { pathAdmissionId, pathId } from "../http/path_id.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json_body.ts";
import { userTimeZone } from "../http/time_zone.ts";

/** An admission's ETag: its revision, quoted. */
export function admissionEtag(admission: StoredAdmission): string {
  return `"${admission.revision}"`;
}

/** The admissions API over `service`, to mount at `/api/patient_data/:id/admissions`. */
export function admissionApi(service: AdmissionService): Hono<AppEnv> {
  const api = new Hono<AppEnv>();

  /** Sends one admission with its ETag. */
  const one = (c: Context<AppEnv>, admission: StoredAdmission, status: 200 | 201 = 200) => {
    c.header("ETag", admissionEtag(admission));
    return c.json(admissionToJson(admission, userTimeZone(c)), status);
  };

  api.get("/", async (c) => {
    const zone = userTimeZone(c);
    const items = await service.list(actorOf(c), pathId(c));
    return c.json(items.map((admission) => admissionToJson(admission, zone)));
  });

  api.post("/", async (c) => {
    const patientId = pathId(c);
    const created = await service.create(actorOf(c), patientId, await jsonBody(c));
    c.header("Location", `/api/patient_data/${patientId}/admissions/${created.admission_id}`);
    return one(c, created, 201);
  });

  // Before `/:aid`, which "deleted" is not (an admission number is a whole number).
  api.get("/deleted", async (c) => {
    const zone = userTimeZone(c);
    const items = await service.listDeleted(actorOf(c), pathId(c));
    return c.json(items.map((admission) => ({
      ...admissionToJson(admission, zone),
      deleted_at: admission.deleted_at!.toISOString(),
    })));
  });

  api.get("/:aid", async (c) => {
    const patientId = pathId(c);
    const admission = await service.get(actorOf(c), patientId, pathAdmissionId(c, patientId));
    if (noneMatchHits(c.req.header("If-None-Match"), admission.revision)) {
      c.header("ETag", admissionEtag(admission));
      return c.body(null, 304);
    }
    return one(c, admission);
  });

  for (const [method, write] of [["put", "replace"], ["patch", "patch"]] as const) {
    api[method]("/:aid", async (c) => {
      const patientId = pathId(c);
      const admissionId = pathAdmissionId(c, patientId);
      const body = await jsonBody(c);
      const expected = ifMatchValues(c.req.header("If-Match"));
      return one(c, await service[write](actorOf(c), patientId, admissionId, body, expected));
    });
  }

  api.delete("/:aid", async (c) => {
    const patientId = pathId(c);
    const admissionId = pathAdmissionId(c, patientId);
    await service.delete(
      actorOf(c),
      patientId,
      admissionId,
      ifMatchValues(c.req.header("If-Match")),
    );
    return c.body(null, 204);
  });

  api.post("/:aid/restore", async (c) => {
    const patientId = pathId(c);
    return one(c, await service.restore(actorOf(c), patientId, pathAdmissionId(c, patientId)));
  });

  return api;
}
