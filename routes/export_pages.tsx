/**
 * `GET /patients/export`: the export of a list view — the de-identified export's form that the
 * list's folded panel fetches when it first opens (htmx), or, without JavaScript, a page with
 * the view's downloads and that form. `GET /patients/export/anonymity`: how a de-identified
 * export of the current view would come out, before it is downloaded.
 */
import { Hono } from "hono";
import {
  AnonymityCheck,
  AnonymityProblem,
  DEFAULT_K_MIN,
  ExportForms,
  ExportPage,
} from "../components/ExportPanel.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import { listViewOf } from "../http/patient_list_view.ts";
import { exportParameters } from "../lib/data_params.ts";
import { InvalidQueryError } from "../lib/errors.ts";
import { ownSiteDownloads } from "../middleware/fetch_metadata.ts";
import { requireUser } from "../middleware/require_user.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";

export const exportRoutes = new Hono<AppEnv>();
exportRoutes.use("*", requireUser(), ownSiteDownloads());

/** A problem with the check's parameters, in the panel's words (the API's name parameters). */
function problemInWords(error: InvalidQueryError): string {
  const k = error.errors.find((e) => e.field === "k_min");
  if (k) {
    return "The smallest group (k) must be a whole number of at least 1, such as 5. " +
      "Correct it and check again.";
  }
  return "The list's filters have a problem, so nothing could be checked. Correct them above.";
}

exportRoutes.get("/", async (c) => {
  if (isFragmentRequest(c)) return c.html(<ExportForms />);
  const { query } = listViewOf(new URL(c.req.url).searchParams);
  const total = await c.get("patients").count(actorOf(c), query.filter);
  return c.render(<ExportPage query={query} total={total} />, { title: "Export" });
});

exportRoutes.get("/anonymity", async (c) => {
  let parameters;
  try {
    parameters = exportParameters(new URL(c.req.url).searchParams, { emptyMeansAbsent: true });
  } catch (error) {
    if (!(error instanceof InvalidQueryError)) throw error;
    return c.html(<AnonymityProblem message={problemInWords(error)} />, 422);
  }
  const { query, options } = parameters;
  const kMin = options.kMin ?? DEFAULT_K_MIN;
  const coarsen = options.coarsen ?? false;
  const result = await c.get("patients").anonymity(actorOf(c), query.filter, kMin, coarsen);
  return c.html(<AnonymityCheck {...result} kMin={kMin} coarsen={coarsen} />);
});
