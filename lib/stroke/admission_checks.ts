/**
 * The data-quality check of admissions: four rules an admission is worth a second look for (no
 * NIHSS; no 90-day mRS once its follow-up window is over; thrombolysis in a haemorrhagic stroke;
 * thrombolysis more than 4.5 hours after onset), counted in one streaming pass. Each rule keeps
 * its count and the first admissions by patient id then admission number (at most
 * {@link MAX_CHECKS}), so a cursor over a million admissions can be fed through
 * {@link AdmissionChecker.add} without holding them. Reported to be checked, never refused.
 */
import { MAX_CHECKS } from "../patient_quality.ts";
import type { AdmissionFields } from "./admission_fields.ts";
import { dateIn, daysBefore, startOfDay } from "./time_zone.ts";

/** The 90-day mRS is taken at 90 ± 14 days: after day 104 its window is over. */
export const MRS_90D_WINDOW_DAYS = 90 + 14;
/** IV thrombolysis is licensed up to 4.5 hours after onset (or last known well). */
export const THROMBOLYSIS_WINDOW_MINUTES = 270;

/** The rules, in the order the report lists them. */
export const ADMISSION_CHECKS = [
  {
    key: "nihss_missing",
    label: "NIHSS not recorded on arrival",
    why: "the stroke's severity on arrival; the NIHSS-recorded indicator counts it",
  },
  {
    key: "mrs_90d_missing",
    label: "90-day mRS missing after the follow-up window",
    why: "the 90-day mRS is taken 90 ± 14 days on; once that window is over it is missing, " +
      "not pending (an admission that ended in death is not asked for one)",
  },
  {
    key: "thrombolysis_haemorrhagic",
    label: "Thrombolysis in a haemorrhagic stroke",
    why: "thrombolysis is contraindicated in an intracranial haemorrhage: check the stroke type " +
      "and the thrombolysis time",
  },
  {
    key: "onset_to_needle_over_4_5h",
    label: "Thrombolysis more than 4.5 hours after onset",
    why: "beyond the licensed window: check the onset (last known well) and thrombolysis times",
  },
] as const;

export type AdmissionCheckKey = (typeof ADMISSION_CHECKS)[number]["key"];

/** An admission named by its patient and number. */
export interface AdmissionRef {
  patient_id: number;
  admission_id: number;
}

/** One rule's findings. */
export interface AdmissionCheck {
  key: AdmissionCheckKey;
  label: string;
  /** The rule as a condition on the fields (with the dates it was worked out for). */
  rule: string;
  why: string;
  /** Admissions the rule finds. */
  count: number;
  /** The first of them by patient id, then admission number (at most {@link MAX_CHECKS}). */
  admissions: AdmissionRef[];
  /** True when there were more than are listed. */
  truncated: boolean;
}

/** The admissions' part of the data-quality report. */
export interface AdmissionQuality {
  /** Live admissions checked (those of the records the report is of). */
  total: number;
  /** Today's date in `time_zone`, which the 90-day rule counts days from. */
  as_of: string;
  /** The time zone whose days are counted (the user's). */
  time_zone: string;
  checks: AdmissionCheck[];
}

/** What the checks read of an admission. */
export type CheckedAdmission =
  & AdmissionRef
  & Pick<
    AdmissionFields,
    | "stroke_type"
    | "last_known_well_at"
    | "nihss_arrival"
    | "thrombolysis_at"
    | "discharge_at"
    | "discharge_destination"
    | "mrs_90d"
  >;

const MINUTE = 60_000;

const before = (a: AdmissionRef, b: AdmissionRef) =>
  a.patient_id - b.patient_id || a.admission_id - b.admission_id;

/**
 * The lowest `limit` admissions of those added, by patient then number, and how many were added:
 * up to twice the limit are held, then sorted and cut back, and anything above the cut is
 * turned away at once.
 */
class Lowest {
  #items: AdmissionRef[] = [];
  #cut: AdmissionRef | null = null;
  count = 0;

  constructor(readonly limit: number) {}

  add(ref: AdmissionRef): void {
    this.count++;
    if (this.#cut && before(ref, this.#cut) >= 0) return;
    this.#items.push({ patient_id: ref.patient_id, admission_id: ref.admission_id });
    if (this.#items.length >= 2 * this.limit) this.#trim();
  }

  #trim(): void {
    this.#items.sort(before).length = Math.min(this.#items.length, this.limit);
    if (this.#items.length === this.limit) this.#cut = this.#items[this.limit - 1]!;
  }

  result(): AdmissionRef[] {
    this.#trim();
    return this.#items;
  }
}

/**
 * Checks admissions one at a time and reports at the end. "Now" is the server's clock at the
 * checker's making; days are calendar days in `zone` (the user's): an admission discharged alive
 * on a day more than {@link MRS_90D_WINDOW_DAYS} days before today, with no 90-day mRS, is found.
 */
export class AdmissionChecker {
  readonly #zone: string;
  readonly #today: string;
  /** Discharges before this instant (the start of day today − 104, in the zone) are overdue. */
  readonly #overdueBefore: number;
  readonly #lastWindowDay: string;
  readonly #found: Record<AdmissionCheckKey, Lowest>;
  #total = 0;

  constructor({ now, zone, limit = MAX_CHECKS }: { now: Date; zone: string; limit?: number }) {
    this.#zone = zone;
    this.#today = dateIn(now, zone);
    this.#lastWindowDay = daysBefore(this.#today, MRS_90D_WINDOW_DAYS);
    this.#overdueBefore = startOfDay(this.#lastWindowDay, zone).getTime();
    this.#found = Object.fromEntries(
      ADMISSION_CHECKS.map(({ key }) => [key, new Lowest(limit)]),
    ) as Record<AdmissionCheckKey, Lowest>;
  }

  /** Checks one admission. */
  add(a: CheckedAdmission): void {
    this.#total++;
    const found = this.#found;
    if (a.nihss_arrival === null) found.nihss_missing.add(a);
    const discharge = a.discharge_at?.getTime() ?? NaN;
    if (
      discharge < this.#overdueBefore && a.discharge_destination !== "died" && a.mrs_90d === null
    ) {
      found.mrs_90d_missing.add(a);
    }
    const needle = a.thrombolysis_at?.getTime() ?? NaN;
    if (needle === needle) {
      if (a.stroke_type === "haemorrhagic") found.thrombolysis_haemorrhagic.add(a);
      const onset = a.last_known_well_at?.getTime() ?? NaN;
      if (needle - onset > THROMBOLYSIS_WINDOW_MINUTES * MINUTE) {
        found.onset_to_needle_over_4_5h.add(a);
      }
    }
  }

  /** The findings of everything checked so far. */
  result(): AdmissionQuality {
    const rules: Record<AdmissionCheckKey, string> = {
      nihss_missing: "nihss_arrival is null",
      mrs_90d_missing:
        `discharged alive before ${this.#lastWindowDay} (more than ${MRS_90D_WINDOW_DAYS} days ` +
        `before ${this.#today}) and mrs_90d is null`,
      thrombolysis_haemorrhagic: "stroke_type is haemorrhagic and thrombolysis_at is set",
      onset_to_needle_over_4_5h:
        `thrombolysis_at − last_known_well_at > ${THROMBOLYSIS_WINDOW_MINUTES} minutes`,
    };
    return {
      total: this.#total,
      as_of: this.#today,
      time_zone: this.#zone,
      checks: ADMISSION_CHECKS.map(({ key, label, why }) => {
        const found = this.#found[key];
        const admissions = found.result();
        return {
          key,
          label,
          rule: rules[key],
          why,
          count: found.count,
          admissions,
          truncated: found.count > admissions.length,
        };
      }),
    };
  }
}
