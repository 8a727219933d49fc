/**
 * The htmx vocabulary that pages and routes share: the DOM ids that fragments target, list URLs,
 * and telling a fragment request from a full-page one.
 */
import { listQueryString, type PatientListQuery } from "../lib/patient_query.ts";
import { here } from "./registry_url.ts";

/** Ids of the page regions that htmx requests target or swap out of band. */
export const DOM_IDS = {
  /** The page's message region (`aria-live`). */
  alerts: "alerts",
  /** The count, table and pagination of the patient list. */
  patientTable: "patient-table",
  patientRows: "patient-rows",
  /** The rows added inline since the table was drawn, above the page's rows. */
  patientAdded: "just-added",
  patientCount: "patient-count",
  /** The bar above the table that holds the count and the message region. */
  listBar: "list-bar",
  patientEmpty: "patient-empty",
  /** The message region beside the table (`aria-live`): saved, deleted, what the table shows. */
  patientStatus: "patient-status",
  /** The add-patient section and its form. */
  addPatient: "add",
  addPatientForm: "add-patient",
  filters: "filters",
  /** "(2 active)" in the filters' summary. */
  filtersActive: "filters-active",
  /** A message about the list's address that belongs to no filter field. */
  filtersAlert: "filters-alert",
  /** The export panel's part that follows the list's view. */
  exportView: "export-view",
} as const;

/** A CSS selector for one of {@link DOM_IDS}. */
export function selector(id: (typeof DOM_IDS)[keyof typeof DOM_IDS]): string {
  return `#${id}`;
}

/** What fragment detection reads of a request (a Hono context fits). */
export interface HeaderSource {
  req: { header(name: string): string | undefined };
}

/** True for an htmx request that expects a fragment (not a boosted or history-restore one). */
export function isFragmentRequest(c: HeaderSource): boolean {
  return c.req.header("HX-Request") === "true" && c.req.header("HX-Boosted") !== "true" &&
    c.req.header("HX-History-Restore-Request") !== "true";
}

/** True when the htmx request targets the region with this id. */
export function targets(c: HeaderSource, id: (typeof DOM_IDS)[keyof typeof DOM_IDS]): boolean {
  return isFragmentRequest(c) && c.req.header("HX-Target") === id;
}

/**
 * The browser URL of a list view (defaults left out, so that URLs stay short and stable), in the
 * registry of the page being drawn.
 */
export function listUrl(query: PatientListQuery): string {
  return withListQuery("/patients", query);
}

/**
 * A path that carries the list view along (an edit or delete page), so that a plain form can
 * come back to the same filters, sort and page — and the page's registry (`here`).
 */
export function withListQuery(path: string, query: PatientListQuery): string {
  const qs = listQueryString(query);
  return here(qs ? `${path}?${qs}` : path);
}
