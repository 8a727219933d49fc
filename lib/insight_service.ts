/**
 * The insight use-cases — statistics (beside the published dataset), data quality and the risk
 * model — over the records of the actor that match a filter. Deleted records are not in the
 * live store, so none of these ever counts them.
 */
import type { PatientFields } from "./patient_fields.ts";
import { patientQuality, type Quality } from "./patient_quality.ts";
import type { PatientFilter } from "./patient_query.ts";
import { patientStats, type Stats } from "./patient_stats.ts";
import type { PatientStore } from "./patient_store.ts";
import { REFERENCE_STATS, type ReferenceStats } from "./reference_stats.ts";
import { fitRiskModel, type RiskReport } from "./risk_model.ts";
import type { Actor } from "./patient_service.ts";

/** The statistics, with the published dataset's beside them when asked for. */
export type StatsReport = Stats & { reference?: ReferenceStats };

export interface InsightService {
  /** Counts of the records matching `filter`; `reference` adds the published dataset's. */
  stats(actor: Actor, filter: PatientFilter, options?: { reference?: boolean }): Promise<
    StatsReport
  >;
  /** Unknown values, possible duplicates and values to check; `stats` of the same records saves queries. */
  quality(actor: Actor, filter: PatientFilter, stats?: Stats): Promise<Quality>;
  /** The logistic regression of stroke on the other fields; throws `RiskModelError` when it cannot fit. */
  risk(actor: Actor, filter: PatientFilter): Promise<RiskReport>;
}

export function createInsightService(store: PatientStore): InsightService {
  return {
    async stats(actor, filter, options = {}) {
      const stats = await patientStats(store, actor.userId, filter);
      return options.reference ? { ...stats, reference: REFERENCE_STATS } : stats;
    },

    quality: (actor, filter, stats) => patientQuality(store, actor.userId, filter, stats),

    async risk(actor, filter) {
      // The model needs every record's fields: read them in batches, keep only the fields.
      const records: PatientFields[] = [];
      for await (const record of store.stream(actor.userId, filter, ID_ORDER)) {
        const { created_at: _c, updated_at: _u, revision: _r, ...fields } = record;
        records.push(fields);
      }
      return fitRiskModel(records);
    },
  };
}

const ID_ORDER = { field: "id", direction: "asc" } as const;
