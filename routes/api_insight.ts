/**
 * Insight through the JSON API: statistics (with the published dataset beside them), data
 * quality and the risk model of the caller's records matching the list's filters. Mounted
 * before `/api/patient_data/{id}`, whose path would otherwise take `stats` for an id.
 */
import { Hono } from "hono";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { parseListQuery, type PatientFilter } from "../lib/patient_query.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";

export const apiInsightRoutes = new Hono<AppEnv>();

/** The list's parameters that choose a page or an order, which a summary of every record has not. */
const LIST_ONLY = ["page", "per_page", "sort"] as const;

/**
 * The list's filters of an insight request, with the same 400 rules; `page`, `per_page` and
 * `sort` are refused (an API caller) or ignored (the dashboard, reached from a list view).
 * `options` names the request's own further parameters, which the caller reads.
 */
export function insightFilter(
  params: URLSearchParams,
  { options = [], browser = false }: { options?: readonly string[]; browser?: boolean } = {},
): PatientFilter {
  const errors: FieldError[] = [];
  const ignore = browser ? [...options, ...LIST_ONLY] : options;
  const parsed = parseListQuery(params, { ignore, emptyMeansAbsent: browser });
  if (!parsed.ok) errors.push(...parsed.errors);
  for (const name of browser ? [] : LIST_ONLY) {
    if (params.has(name)) {
      errors.push({
        field: name,
        message: `Insight covers every matching record, in no order; leave ${name} out`,
      });
    }
  }
  for (const name of options) {
    if (params.getAll(name).length > 1) {
      errors.push({ field: name, message: `Give "${name}" once` });
    }
  }
  if (errors.length || !parsed.ok) throw new InvalidQueryError(errors);
  return parsed.query.filter;
}

/** `compare=reference` (or absent); anything else is reported. */
export function compareReference(params: URLSearchParams, browser = false): boolean {
  const compare = params.get("compare");
  if (compare === null || (browser && compare === "")) return false;
  if (compare === "reference") return true;
  throw new InvalidQueryError([{ field: "compare", message: "compare must be reference" }]);
}

apiInsightRoutes.get("/api/patient_data/stats", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const filter = insightFilter(params, { options: ["compare"] });
  const reference = compareReference(params);
  return c.json(await c.get("insight").stats(actorOf(c), filter, { reference }));
});

apiInsightRoutes.get("/api/patient_data/quality", async (c) => {
  const filter = insightFilter(new URL(c.req.url).searchParams);
  return c.json(await c.get("insight").quality(actorOf(c), filter));
});

apiInsightRoutes.get("/api/patient_data/risk", async (c) => {
  const filter = insightFilter(new URL(c.req.url).searchParams);
  return c.json(await c.get("insight").risk(actorOf(c), filter));
});
