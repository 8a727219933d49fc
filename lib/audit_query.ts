/** The admins' audit-log query: filters by user, action, patient and dates, paging and format, read strictly. */
import { AUDIT_ACTIONS, type AuditAction, type AuditSearch } from "./audit.ts";
import type { FieldError } from "./errors.ts";
import { parsePatientId } from "./patient_fields.ts";
import { onlyKnown, type Paging, readPaging, wholeNumber } from "./query_params.ts";

export const AUDIT_QUERY_PARAMETERS = [
  "user_id",
  "registry",
  "action",
  "patient_id",
  "from",
  "to",
  "page",
  "per_page",
  "format",
] as const;

export interface AuditQuery {
  search: AuditSearch;
  /** A registry's id (`registry`): its entries only, once `http/audit_registry.ts` has found it. */
  registry?: string;
  paging: Paging;
  format: "json" | "csv";
}

const DAY_MS = 86_400_000;

/**
 * A date (`2026-03-01`, the whole day, UTC) or an ISO 8601 time; `end` gives the first moment
 * after it (so that `to` includes its day). Undefined and an error when it is neither.
 */
function timeOf(text: string, end: boolean): Date | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const time = day ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  const iso = day ||
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  if (!iso || Number.isNaN(time)) return undefined;
  return new Date(end ? time + (day ? DAY_MS : 1) : time);
}

/** Reads the query; throws nothing, reports every bad parameter in `errors`. */
export function parseAuditQuery(
  params: URLSearchParams,
  options: { emptyMeansAbsent?: boolean } = {},
): { ok: true; query: AuditQuery } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const empty = options.emptyMeansAbsent ?? false;
  onlyKnown(params, AUDIT_QUERY_PARAMETERS, errors);
  const search: AuditSearch = {};
  const text = (name: string) => {
    const value = params.get(name)?.trim();
    return value === undefined || (value === "" && empty) ? undefined : value;
  };
  const ownerId = wholeNumber(params, "user_id", { min: 1, max: 2 ** 31 - 1 }, errors, empty);
  if (ownerId !== undefined) search.ownerId = ownerId;
  const registry = text("registry")?.toLowerCase();
  if (registry !== undefined && !/^[pt][a-z0-9]{1,39}$/.test(registry)) {
    errors.push({ field: "registry", message: "registry must be a registry's id" });
  } else if (registry !== undefined && ownerId !== undefined) {
    errors.push({ field: "registry", message: "Give user_id or registry, not both" });
  }
  const action = text("action");
  if (action !== undefined) {
    if ((AUDIT_ACTIONS as readonly string[]).includes(action)) {
      search.action = action as AuditAction;
    } else {errors.push({
        field: "action",
        message: `action must be one of: ${AUDIT_ACTIONS.join(", ")}`,
      });}
  }
  const patient = text("patient_id");
  if (patient !== undefined) {
    const id = parsePatientId(patient);
    if (id === null) {
      errors.push({ field: "patient_id", message: "patient_id must be a patient ID" });
    } else search.patientId = id;
  }
  for (const name of ["from", "to"] as const) {
    const value = text(name);
    if (value === undefined) continue;
    const time = timeOf(value, name === "to");
    if (time) search[name] = time;
    else {
      errors.push({
        field: name,
        message: `${name} must be a date (2026-03-01) or an ISO 8601 time (2026-03-01T14:00:00Z)`,
      });
    }
  }
  if (search.from && search.to && search.from >= search.to) {
    errors.push({ field: "from", message: "from must be before to" });
  }
  const format = text("format") ?? "json";
  if (format !== "json" && format !== "csv") {
    errors.push({ field: "format", message: "format must be json or csv" });
  }
  const paging = readPaging(params, errors, empty);
  if (errors.length) return { ok: false, errors };
  const query: AuditQuery = { search, paging, format: format as "json" | "csv" };
  if (registry !== undefined) query.registry = registry;
  return { ok: true, query };
}

/** The query string of a search (for the admin page's links), defaults left out. */
export function auditQueryString(search: AuditSearch, page = 1): string {
  const params = new URLSearchParams();
  if (search.ownerId !== undefined) params.set("user_id", String(search.ownerId));
  if (search.action !== undefined) params.set("action", search.action);
  if (search.patientId !== undefined) params.set("patient_id", String(search.patientId));
  if (search.from !== undefined) params.set("from", search.from.toISOString());
  if (search.to !== undefined) params.set("to", new Date(search.to.getTime() - 1).toISOString());
  if (page !== 1) params.set("page", String(page));
  return params.toString();
}
