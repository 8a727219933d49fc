/**
 * The insight use-cases — statistics (beside the published dataset), data quality (of the records
 * and of their admissions) and the risk model — over the records of the actor that match a
 * filter. Deleted records are not in the live store, so none of these ever counts them.
 *
 * They are heavy on a big registry, so each is kept until the user's records change (keyed by
 * the data version the database holds, see `SummaryCache`), and computing one takes the user's
 * heavy-work slot (one at a time per user, a few in all: see `HeavyWork`). The database queries
 * run one at a time with other requests let in between, and the model is fitted in a worker.
 * The admissions' part of the quality report is checked afresh each time (in the same slot):
 * admissions change without the records' version, and its 90-day rule counts from today.
 */
import { storedFilter } from "./admission_filter.ts";
import type { AdmissionService } from "./admission_service.ts";
import { formatCount } from "./count_format.ts";
import type { PatientFields } from "./patient_fields.ts";
import { patientQuality, type Quality } from "./patient_quality.ts";
import type { PatientFilter } from "./patient_query.ts";
import { patientStats, type Stats } from "./patient_stats.ts";
import type { PatientStore } from "./patient_store.ts";
import type { AdmissionQuality } from "./stroke/admission_checks.ts";
import { REFERENCE_STATS, type ReferenceStats } from "./reference_stats.ts";
import { RiskModelError, type RiskReport } from "./risk_model.ts";
import { fitRiskModelOffThread } from "./risk_off_thread.ts";
import { hasUnreadable } from "./stored_patient.ts";
import { allow, scopeOf } from "./audit_trail.ts";
import type { Actor } from "./patient_service.ts";
import { SummaryCache } from "./summary_cache.ts";
import { HeavyWork } from "./work_gate.ts";
import { breathe, Pace } from "./work_pace.ts";

/** The statistics, with the published dataset's beside them when asked for. */
export type StatsReport = Stats & { reference?: ReferenceStats };

/** The data-quality report: the records' (see `patient_quality.ts`) and their admissions'. */
export type QualityReport = Quality & { admissions: AdmissionQuality };

/** What the dashboard shows: statistics beside the dataset, quality, and the model or why not. */
export interface DashboardReport {
  stats: StatsReport;
  quality: QualityReport;
  risk: RiskReport | { refused: string };
}

/** The summaries kept until the records change. */
type Summaries = Omit<DashboardReport, "quality"> & { quality: Quality };

export interface InsightService {
  /** Counts of the records matching `filter`; `reference` adds the published dataset's. */
  stats(actor: Actor, filter: PatientFilter, options?: { reference?: boolean }): Promise<
    StatsReport
  >;
  /**
   * Unknown values, possible duplicates and values to check, and the admissions to check (days
   * counted in `zone`).
   */
  quality(actor: Actor, filter: PatientFilter, zone: string): Promise<QualityReport>;
  /** The logistic regression of stroke on the other fields; throws `RiskModelError` when it cannot fit. */
  risk(actor: Actor, filter: PatientFilter): Promise<RiskReport>;
  /** All three as one heavy request (one slot); a model that cannot be fitted says why. */
  dashboard(actor: Actor, filter: PatientFilter, zone: string): Promise<DashboardReport>;
}

/** Records read between two breaths while the model's records are gathered. */
const SLICE_ROWS = 100;

type Kind = "stats" | "quality" | "risk";

/** What each kind is, in the words of a 429 ("Your … is still running"). */
const LABELS: Record<Kind | "dashboard", string> = {
  stats: "statistics request",
  quality: "data-quality check",
  risk: "risk model",
  dashboard: "dashboard",
};

/** The store's summary queries, one at a time, each after a breath (see `breathe`). */
function pacedReads(store: PatientStore): PatientStore {
  let last: Promise<unknown> = Promise.resolve();
  const paced = <A extends unknown[], R>(read: (...args: A) => Promise<R>) => (...args: A) => {
    const next = last.then(breathe).then(() => read.apply(store, args));
    last = next.catch(() => {});
    return next;
  };
  return {
    ...store,
    countGroups: paced(store.countGroups),
    countRanges: paced(store.countRanges),
    duplicateGroups: paced(store.duplicateGroups),
    findAbove: paced(store.findAbove),
    count: paced(store.count),
  };
}

export function createInsightService(
  store: PatientStore,
  admissions: Pick<AdmissionService, "checks">,
  heavy: HeavyWork = new HeavyWork(),
): InsightService {
  const cache = new SummaryCache((error) => error instanceof RiskModelError);

  /** The model's records, read in slices with breaths between, then fitted in a worker. */
  async function fitRisk(userId: number, filter: PatientFilter): Promise<RiskReport> {
    // The model needs every record's fields: read them in batches, keep only the fields. A
    // record holding a value that cannot be read (the original app's) is left out, and said.
    const records: PatientFields[] = [];
    let unreadable = 0;
    const pace = new Pace();
    for await (const record of store.stream(userId, filter, ID_ORDER)) {
      if (hasUnreadable(record)) {
        unreadable++;
        continue;
      }
      const { created_at: _c, updated_at: _u, revision: _r, stored: _s, ...fields } = record;
      if (records.push(fields) % SLICE_ROWS === 0) await pace.breathe();
    }
    const report = await fitRiskModelOffThread(records);
    if (unreadable > 0) {
      report.warnings.unshift(
        `${formatCount(unreadable)} ${unreadable === 1 ? "record holds" : "records hold"} a ` +
          "value that cannot be read (see the data-quality check) and " +
          `${unreadable === 1 ? "is" : "are"} left out of the model.`,
      );
    }
    return report;
  }

  /**
   * The `kinds` of summary of `filter`: those kept are answered at once; one being computed is
   * waited for (its computation is kept from the moment it is asked for, so that concurrent asks
   * share it); the rest are computed in the user's heavy-work slot (named `label` to a user
   * refused for running another). Several kinds share one slot. With `refusal`, a model that
   * cannot be fitted is answered `{refused}` instead of thrown.
   */
  async function summaries(
    actor: Actor,
    filter: PatientFilter,
    kinds: readonly Kind[],
    label: string,
    { refusal = false } = {},
  ): Promise<Partial<Summaries>> {
    allow(actor, "dashboard");
    const userId = scopeOf(actor); // the registry's records
    const version = await store.dataVersion(userId);
    // Admission criteria as the patients they match now: admissions change without the records.
    filter = await storedFilter(store, userId, filter);
    const view = JSON.stringify(filter);
    const reads = pacedReads(store);
    /** The kept summary, or its computation in the slot (shared by the same request's asks). */
    const kept = <T>(kind: Kind, compute: () => Promise<T>) =>
      cache.get(
        cache.key(userId, version, `${kind} ${view}`),
        () => heavy.run(actor, label, compute),
      );
    const stats = () => kept("stats", () => patientStats(reads, userId, filter));
    const parts: Record<Kind, () => Promise<unknown>> = {
      stats,
      quality: () =>
        kept("quality", async () => patientQuality(reads, userId, filter, await stats())),
      risk: () =>
        kept("risk", () => fitRisk(userId, filter)).catch((error) => {
          if (refusal && error instanceof RiskModelError) return { refused: error.message };
          throw error;
        }),
    };
    const all = async () => {
      const values = await Promise.all(kinds.map((kind) => parts[kind]()));
      return Object.fromEntries(kinds.map((kind, i) => [kind, values[i]]));
    };
    return kinds.length === 1 ? await all() : await heavy.run(actor, label, all);
  }

  return {
    async stats(actor, filter, options = {}) {
      const { stats } = await summaries(actor, filter, ["stats"], LABELS.stats);
      return options.reference ? { ...stats!, reference: REFERENCE_STATS } : stats!;
    },

    quality(actor, filter, zone) {
      return heavy.run(actor, LABELS.quality, async () => ({
        ...(await summaries(actor, filter, ["quality"], LABELS.quality)).quality!,
        admissions: await admissions.checks(actor, filter, zone),
      }));
    },

    async risk(actor, filter) {
      return (await summaries(actor, filter, ["risk"], LABELS.risk)).risk as RiskReport;
    },

    dashboard(actor, filter, zone) {
      return heavy.run(actor, LABELS.dashboard, async () => {
        const { stats, quality, risk } = await summaries(
          actor,
          filter,
          ["stats", "quality", "risk"],
          LABELS.dashboard,
          { refusal: true },
        );
        return {
          stats: { ...stats!, reference: REFERENCE_STATS },
          quality: { ...quality!, admissions: await admissions.checks(actor, filter, zone) },
          risk: risk!,
        };
      });
    },
  };
}

const ID_ORDER = { field: "id", direction: "asc" } as const;
