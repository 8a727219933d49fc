/**
 * The patient list's admission filter ("has an admission in a period, of a stroke type, with a
 * treatment") made into what every store reads: the set of matching patient ids. The criteria
 * are resolved once per read from the admission store — one pass over the scope's admissions
 * arriving in the period, then the patients' records checked to be the ones the admissions were
 * made for (see "the patient's life" in `admission_service.ts`) — and the store is asked for
 * `ids`. `withAdmissionFilter` wraps a patient store so that every read taking a filter does so,
 * whichever use-case asks; the period's days are the user's time zone's.
 */
import type { StoredAdmission } from "./admission_store.ts";
import type { AdmissionCriteria, PatientFilter, Treatment } from "./patient_query.ts";
import type { PatientStore } from "./patient_store.ts";
import { ADMISSION_RULES } from "./stroke/admission_fields.ts";
import { endOfDay, startOfDay } from "./stroke/time_zone.ts";
import { Pace } from "./work_pace.ts";

/** What each treatment choice is called. */
export const TREATMENT_LABELS: Readonly<Record<Treatment, string>> = {
  thrombolysis: "Thrombolysis",
  thrombectomy: "Thrombectomy",
  either: "Thrombolysis or thrombectomy",
  neither: "Neither",
};

/**
 * Admission criteria in words ("an admission (ischaemic stroke) arriving 2026-01-01 to
 * 2026-03-31 with thrombolysis"), or "" for none.
 */
export function admissionCriteriaInWords(criteria: AdmissionCriteria | undefined): string {
  if (!criteria) return "";
  const rule = ADMISSION_RULES.stroke_type;
  const labels = (rule.kind === "category" ? rule.valueLabels : undefined) as
    | Record<string, string>
    | undefined;
  const type = criteria.stroke_type;
  const what = type ? ` (${(labels?.[type] ?? type).toLowerCase()})` : "";
  const parts = [`an admission${what}`];
  const { from, to, treatment } = criteria;
  if (from && to) parts.push(`arriving ${from} to ${to}`);
  else if (from) parts.push(`arriving from ${from}`);
  else if (to) parts.push(`arriving by ${to}`);
  if (treatment === "neither") parts.push("without thrombolysis or thrombectomy");
  else if (treatment) parts.push(`with ${TREATMENT_LABELS[treatment].toLowerCase()}`);
  return parts.join(" ");
}

/** Patient records read at once to check the admissions' patients. */
const RECORDS_PER_READ = 1000;

/** Whether an admission had the treatment asked for. */
function treated(admission: StoredAdmission, treatment: Treatment | undefined): boolean {
  const lysis = admission.thrombolysis_at !== null;
  const ectomy = admission.thrombectomy_at !== null;
  switch (treatment) {
    case undefined:
      return true;
    case "thrombolysis":
      return lysis;
    case "thrombectomy":
      return ectomy;
    case "either":
      return lysis || ectomy;
    case "neither":
      return !lysis && !ectomy;
  }
}

/**
 * The ids (ascending) of the scope's live patients with an admission matching `criteria`, the
 * period's days read in `zone`.
 */
export async function admissionPatientIds(
  store: PatientStore,
  scope: number,
  criteria: AdmissionCriteria,
  zone: string,
): Promise<number[]> {
  const from = criteria.from ? startOfDay(criteria.from, zone) : null;
  const to = criteria.to ? endOfDay(criteria.to, zone) : null;
  // Each patient id with the creation times of the records its matching admissions were made for.
  const made = new Map<number, Set<number>>();
  const pace = new Pace();
  let read = 0;
  for await (const admission of store.admissions.iterate(scope, from, to)) {
    if (++read % 5000 === 0) await pace.breathe();
    if (criteria.stroke_type && admission.stroke_type !== criteria.stroke_type) continue;
    if (!treated(admission, criteria.treatment)) continue;
    const created = admission.patient_created_at?.getTime() ?? -1;
    const times = made.get(admission.patient_id);
    if (times) times.add(created);
    else made.set(admission.patient_id, new Set([created]));
  }
  const candidates = [...made.keys()];
  const ids: number[] = [];
  for (let i = 0; i < candidates.length; i += RECORDS_PER_READ) {
    for (const record of await store.getMany(scope, candidates.slice(i, i + RECORDS_PER_READ))) {
      if (made.get(record.id)?.has(record.created_at?.getTime() ?? -1)) ids.push(record.id);
    }
  }
  return ids.sort((a, b) => a - b);
}

/** What a store reads of a filter: its admission criteria as the ids they match. */
export async function resolveFilter(
  store: PatientStore,
  scope: number,
  filter: PatientFilter,
  zone: string,
): Promise<PatientFilter> {
  if (!filter.admission) return filter;
  const { admission, ...rest } = filter;
  const ids = await admissionPatientIds(store, scope, admission, zone);
  const within = rest.ids && new Set(rest.ids);
  const narrowed = within ? ids.filter((id) => within.has(id)) : ids;
  return { ...rest, ids: narrowed };
}

/** The error a store throws for admission criteria nobody resolved (a bug, never a user's). */
export function unresolvedCriteria(): Error {
  return new TypeError("A patient filter's admission criteria must be resolved to ids first");
}

/** A patient store that resolves its own admission criteria (see {@link withAdmissionFilter}). */
export type AdmissionFilteredStore = PatientStore & {
  /** The filter as the store reads it (criteria resolved now, in the current user's zone). */
  resolveFilter(scope: number, filter: PatientFilter): Promise<PatientFilter>;
};

/** The reads that take a filter as their second argument. */
const FILTERED = [
  "count",
  "countGroups",
  "countRanges",
  "duplicateGroups",
  "findAbove",
  "findIrregular",
] as const;
const FILTERED_STREAMS = ["stream", "streamIds"] as const;

/**
 * `store`, with every read that takes a filter resolving its admission criteria first (in the
 * zone `zone()` names when the read is made: the request's user's).
 */
export function withAdmissionFilter(
  store: PatientStore,
  zone: () => string,
): AdmissionFilteredStore {
  const resolve = (scope: number, filter: PatientFilter) =>
    resolveFilter(store, scope, filter, zone());
  // deno-lint-ignore no-explicit-any
  type Method = (...args: any[]) => any;
  const own: Record<string, Method> = {
    resolveFilter: resolve,
    async list(scope: number, query: Parameters<PatientStore["list"]>[1]) {
      if (!query.filter.admission) return await store.list(scope, query);
      return await store.list(scope, { ...query, filter: await resolve(scope, query.filter) });
    },
  };
  for (const name of FILTERED) {
    own[name] = async (scope: number, filter: PatientFilter | undefined, ...rest: unknown[]) => {
      const read = store[name] as Method;
      const resolved = filter?.admission ? await resolve(scope, filter) : filter;
      return await read.call(store, scope, resolved, ...rest);
    };
  }
  for (const name of FILTERED_STREAMS) {
    own[name] = async function* (scope: number, filter: PatientFilter, ...rest: unknown[]) {
      const read = store[name] as Method;
      const resolved = filter.admission ? await resolve(scope, filter) : filter;
      yield* read.call(store, scope, resolved, ...rest);
    };
  }
  return new Proxy(store, {
    get(target, property, receiver) {
      if (typeof property === "string" && Object.hasOwn(own, property)) return own[property];
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as AdmissionFilteredStore;
}

/**
 * The filter as a store reads it, through the store's own resolution when it has one (a store
 * from {@link withAdmissionFilter}); a filter without criteria as it is.
 */
export function storedFilter(
  store: PatientStore,
  scope: number,
  filter: PatientFilter,
): Promise<PatientFilter> {
  if (!filter.admission) return Promise.resolve(filter);
  const own = (store as Partial<AdmissionFilteredStore>).resolveFilter;
  if (!own) throw unresolvedCriteria();
  return own(scope, filter);
}
