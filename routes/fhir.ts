/**
 * `/fhir`: the registry as FHIR R4 for hospital systems, read-only, `application/fhir+json`.
 * `GET /fhir/metadata` (public), a Patient by id, pages of Patients, and a patient's Observations,
 * Conditions and Encounters; the Bulk Data export is `fhir_bulk.ts`. Same authentication and
 * registry scoping as the JSON API (`registry=`, or a bound token's); every error is an
 * OperationOutcome (the app's error handler).
 */
import { Hono } from "hono";
import { searchsetBundle } from "../lib/fhir/bundle.ts";
import { capabilityStatement } from "../lib/fhir/capability.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import {
  BY_PATIENT_TYPES,
  type ByPatientType,
  FhirResourceNotFoundError,
  type FhirService,
} from "../lib/fhir_service.ts";
import type { FhirExports } from "../lib/fhir_export.ts";
import { wholeNumber } from "../lib/query_params.ts";
import { actorOf } from "../http/actor.ts";
import type { AppEnv } from "../http/env.ts";
import { fhirJson } from "../http/fhir_response.ts";
import { fhirBase, fhirParams, originOf, requestUrl } from "../http/fhir_request.ts";
import { fhirBulkRoutes } from "./fhir_bulk.ts";

/** The app's version and when its CapabilityStatement last changed. */
const VERSION = "1.0.0";
const STATEMENT_DATE = "2026-12-07";

/** Patients per page without `_count`, and the most `_count` may ask for. */
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;
/** The deepest page a cursor may name (a million pages of one). */
const MAX_PAGE = 1_000_000;

/** FHIR's `id` type: what any resource id of this server (or any other) looks like. */
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/;

/** The page a `_cursor` names (one this server wrote: base64url of `{"page":n}`), or null. */
function pageOfCursor(cursor: string): number | null {
  try {
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
    const text = new TextDecoder().decode(
      Uint8Array.from(
        atob(cursor.replaceAll("-", "+").replaceAll("_", "/")),
        (ch) => ch.charCodeAt(0),
      ),
    );
    const page = (JSON.parse(text) as { page?: unknown }).page;
    return Number.isInteger(page) && (page as number) >= 2 && (page as number) <= MAX_PAGE
      ? page as number
      : null;
  } catch {
    return null;
  }
}

function cursorOfPage(page: number): string {
  return btoa(JSON.stringify({ page })).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** A Patient id as `patient=` gives it: `{id}`, `Patient/{id}` or `{base}/Patient/{id}`. */
function patientIdOf(value: string): string {
  const match = /(?:^|\/)Patient\/([^/]+)$/.exec(value);
  return match ? match[1]! : value;
}

/** The FHIR routes, over their use-cases. */
export function fhirRoutes(service: FhirService, exports: FhirExports): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/metadata", (c) => {
    fhirParams(c, []);
    return fhirJson(
      c,
      capabilityStatement({ base: fhirBase(c), version: VERSION, date: STATEMENT_DATE }),
    );
  });

  // The Bulk Data export, before `/Patient/:id` (which would take `$export` for an id).
  routes.route("/", fhirBulkRoutes(exports));

  routes.get("/Patient/:id", async (c) => {
    fhirParams(c, []);
    const id = c.req.param("id");
    if (!FHIR_ID.test(id)) throw new FhirResourceNotFoundError("Patient", id);
    return fhirJson(c, await service.readPatient(actorOf(c), originOf(c), id));
  });

  routes.get("/Patient", async (c) => {
    const errors: FieldError[] = [];
    const params = fhirParams(c, ["_count", "_cursor"], errors);
    const count = wholeNumber(params, "_count", { min: 0, max: MAX_COUNT }, errors) ??
      DEFAULT_COUNT;
    const cursor = params.get("_cursor");
    const page = cursor === null ? 1 : pageOfCursor(cursor);
    if (page === null) {
      errors.push({
        field: "_cursor",
        message: "_cursor is not one this server gave: follow the Bundle's next link as it is",
      });
    }
    if (errors.length > 0) throw new InvalidQueryError(errors);
    const found = await service.searchPatients(actorOf(c), originOf(c), page!, count);
    return fhirJson(
      c,
      searchsetBundle({
        base: fhirBase(c),
        self: requestUrl(c),
        resources: found.resources,
        total: found.total,
        nextCursor: found.more ? cursorOfPage(page! + 1) : null,
      }),
    );
  });

  for (const type of BY_PATIENT_TYPES) {
    routes.get(`/${type}`, async (c) => {
      const params = fhirParams(c, ["patient"]);
      const patient = params.get("patient")?.trim() ?? "";
      if (patient === "") {
        throw new InvalidQueryError([{
          field: "patient",
          message: `Search ${type} by patient: ${type}?patient={id of a Patient}`,
        }]);
      }
      const id = patientIdOf(patient);
      if (!FHIR_ID.test(id)) throw new FhirResourceNotFoundError("Patient", id);
      const resources = await service.byPatient(
        actorOf(c),
        originOf(c),
        type as ByPatientType,
        id,
      );
      return fhirJson(
        c,
        searchsetBundle({
          base: fhirBase(c),
          self: requestUrl(c),
          resources,
          total: resources.length,
          nextCursor: null,
        }),
      );
    });
  }

  return routes;
}
