/**
 * `/api/patient_data`'s history and deletes: a record's audit history, the recently deleted
 * records and their restore.
 */
import { Hono } from "hono";
import { historyItem } from "../lib/audit.ts";
import { withNames } from "../http/history_names.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { etagOf, patientJson } from "../lib/patient_json.ts";
import type { DeletedRecord } from "../lib/patient_store.ts";
import { onlyKnown, readPaging } from "../lib/query_params.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { pathId } from "../http/path_id.ts";

export const apiHistoryRoutes = new Hono<AppEnv>();

/** A deleted record as JSON: the record's fields and times, and when it was deleted. */
function deletedJson(record: DeletedRecord) {
  return { ...patientJson(record), deleted_at: record.deleted_at.toISOString() };
}

apiHistoryRoutes.get("/deleted", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [];
  onlyKnown(params, ["page", "per_page"], errors);
  const paging = readPaging(params, errors);
  if (errors.length) throw new InvalidQueryError(errors);
  const { items, total } = await c.get("patients").listDeleted(actorOf(c), paging);
  return c.json({
    items: items.map(deletedJson),
    total,
    page: paging.page,
    per_page: paging.perPage,
  });
});

apiHistoryRoutes.get("/:id/history", async (c) => {
  const entries = await c.get("patients").history(actorOf(c), pathId(c));
  return c.json((await withNames(c, entries)).map(historyItem));
});

apiHistoryRoutes.post("/:id/restore", async (c) => {
  const restored = await c.get("patients").restore(actorOf(c), pathId(c));
  c.header("ETag", etagOf(restored));
  return c.json(patientJson(restored), 200);
});
