/**
 * The quality indicators a stroke unit is judged by (SPEC "Stroke care"), from admissions in one
 * streaming pass: each admission adds counts and, for the four times, a minute value to a typed
 * array; the medians and quartiles (R's `type = 7`) come from sorting those arrays at the end.
 * Nothing else is kept, so a database cursor of a million admissions can be fed through
 * {@link QualityCounter.add} without holding the documents.
 */
import { wilsonInterval } from "../intervals.ts";
import type { AdmissionFields, AdmissionTimesAs } from "./admission_fields.ts";
import { periodBounds, type QualityPeriod } from "./quality_period.ts";
import { monthKey, type MonthNumber, monthOfText, ZoneMonths } from "./time_zone.ts";

export { PERIOD_YEARS, periodBounds, type QualityPeriod, readPeriod } from "./quality_period.ts";

/** An instant as a `Date` or as milliseconds since the epoch (a store may keep either). */
export type InstantValue = Date | number;

/**
 * What the indicators read of an admission: its fields but the mRS at discharge, times as `Date`s
 * or epoch milliseconds, and the 90-day mRS as any number (one outside 0..6 is not counted).
 */
export type AdmissionFacts =
  & Omit<AdmissionTimesAs<InstantValue, AdmissionFields>, "mrs_discharge" | "mrs_90d">
  & { mrs_90d: number | null };

/** A proportion: `rate` is numerator / denominator, null when the denominator is 0. */
export interface ProportionIndicator {
  key: ProportionKey;
  label: string;
  numerator: number;
  denominator: number;
  rate: number | null;
}

/** A time in minutes: median and quartiles (R type 7), null when `n` is 0. */
export interface TimeIndicator {
  key: TimeKey;
  label: string;
  n: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
}

export type Indicator = ProportionIndicator | TimeIndicator;

/** Counts of each 90-day mRS grade, 0 to 6. */
export type MrsCounts = [number, number, number, number, number, number, number];

export interface MonthRow {
  /** `YYYY-MM` in the user's time zone. */
  month: string;
  admissions: number;
  /** Median door-to-needle minutes of the month's thrombolysed admissions; null when none. */
  door_to_needle_median: number | null;
  /** How many door-to-needle times the median is of (kept for the small-numbers rule). */
  door_to_needle_n: number;
}

/** The answer of `GET /api/quality_indicators`. */
export interface QualityIndicators {
  /** The period's first and last day (inclusive), `YYYY-MM-DD`, or null when open. */
  from: string | null;
  to: string | null;
  admissions: number;
  indicators: Indicator[];
  mrs_90d: { all: MrsCounts; thrombolysed: MrsCounts; not_thrombolysed: MrsCounts };
  by_month: MonthRow[];
}

/** The indicators in the SPEC's order, with their labels and what they are. */
export const INDICATORS = [
  { key: "door_to_imaging", kind: "time", label: "Door to imaging (minutes)" },
  { key: "door_to_needle", kind: "time", label: "Door to needle (minutes)" },
  { key: "door_to_needle_60", kind: "proportion", label: "Door to needle within 60 minutes" },
  { key: "door_to_puncture", kind: "time", label: "Door to groin puncture (minutes)" },
  { key: "onset_to_arrival", kind: "time", label: "Onset to arrival (minutes)" },
  { key: "thrombolysis_rate", kind: "proportion", label: "Thrombolysis of ischaemic strokes" },
  { key: "thrombectomy_rate", kind: "proportion", label: "Thrombectomy of ischaemic strokes" },
  { key: "nihss_recorded", kind: "proportion", label: "NIHSS recorded on arrival" },
  {
    key: "mrs_90d_recorded",
    kind: "proportion",
    label: "90-day mRS recorded (discharged alive)",
  },
  { key: "in_hospital_death", kind: "proportion", label: "Died in hospital" },
  { key: "mrs_90d_good", kind: "proportion", label: "Good outcome at 90 days (mRS 0–2)" },
] as const;

export type IndicatorKey = (typeof INDICATORS)[number]["key"];
export type TimeKey = Extract<(typeof INDICATORS)[number], { kind: "time" }>["key"];
export type ProportionKey = Extract<(typeof INDICATORS)[number], { kind: "proportion" }>["key"];

/** The door-to-needle target, in minutes. */
export const DOOR_TO_NEEDLE_TARGET = 60;
const MINUTE = 60_000;
/** Months counted in an array: 1900 to 2199 (admissions are from 1900 and never in the future). */
const FIRST_MONTH = 1900 * 12;
const MONTHS = 300 * 12;

/**
 * The `type = 7` quantile of R (and Excel's PERCENTILE.INC, NumPy's default) of sorted values:
 * at h = (n − 1)p, the value at ⌊h⌋ plus (h − ⌊h⌋) of the step to the next. Null when empty.
 */
export function quantileType7(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const j = Math.floor(h);
  const low = sorted[j]!;
  return j + 1 < n ? low + (h - j) * (sorted[j + 1]! - low) : low;
}

/** The median of sorted values: the middle one, or the mean of the two middle ones. */
export function medianOfSorted(sorted: ArrayLike<number>): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A growing typed array, doubled when full. */
class Growing<A extends Float64Array | Int32Array> {
  values: A;
  length = 0;

  constructor(readonly make: (size: number) => A) {
    this.values = make(1024);
  }

  push(value: number) {
    if (this.length === this.values.length) {
      const bigger = this.make(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
}

/** Minutes, as doubles. */
class Column extends Growing<Float64Array> {
  constructor() {
    super((size) => new Float64Array(size));
  }

  /** The values sorted: in place, or in a copy when their order still matters (`keepOrder`). */
  sorted(keepOrder = false): Float64Array {
    const values = this.values.subarray(0, this.length);
    return (keepOrder ? values.slice() : values).sort();
  }
}

const ms = (value: InstantValue | null): number =>
  value === null ? NaN : typeof value === "number" ? value : value.getTime();

function timeIndicator(
  key: TimeKey,
  label: string,
  column: Column,
  keepOrder = false,
): TimeIndicator {
  const sorted = column.sorted(keepOrder);
  return {
    key,
    label,
    n: sorted.length,
    median: medianOfSorted(sorted),
    q1: quantileType7(sorted, 0.25),
    q3: quantileType7(sorted, 0.75),
  };
}

function proportion(
  key: ProportionKey,
  label: string,
  numerator: number,
  denominator: number,
): ProportionIndicator {
  return {
    key,
    label,
    numerator,
    denominator,
    rate: denominator === 0 ? null : numerator / denominator,
  };
}

/**
 * Adds admissions up one at a time and gives the indicators at the end. Admissions whose
 * arrival is outside the period are skipped, so a store may hand over more than the period.
 */
export class QualityCounter {
  readonly #period: QualityPeriod;
  readonly #start: number;
  readonly #end: number;
  readonly #months: ZoneMonths;
  #admissions = 0;
  readonly #doorToImaging = new Column();
  readonly #doorToNeedle = new Column();
  /** The month of each door-to-needle time, beside it. */
  readonly #needleMonths = new Growing((size) => new Int32Array(size));
  readonly #doorToPuncture = new Column();
  readonly #onsetToArrival = new Column();
  #within60 = 0;
  #ischaemic = 0;
  #ischaemicThrombolysed = 0;
  #ischaemicThrombectomy = 0;
  #nihss = 0;
  #dischargedAlive = 0;
  #aliveWithMrs90 = 0;
  #discharged = 0;
  #died = 0;
  #withMrs90 = 0;
  #mrs90Good = 0;
  readonly #mrsAll: MrsCounts = [0, 0, 0, 0, 0, 0, 0];
  readonly #mrsLysed: MrsCounts = [0, 0, 0, 0, 0, 0, 0];
  readonly #mrsNotLysed: MrsCounts = [0, 0, 0, 0, 0, 0, 0];
  /** Admissions by month (number − {@link FIRST_MONTH}); months outside, in a map. */
  readonly #monthAdmissions = new Int32Array(MONTHS);
  readonly #otherMonths = new Map<MonthNumber, number>();

  constructor(period: QualityPeriod) {
    this.#period = period;
    const { start, end } = periodBounds(period);
    this.#start = start;
    this.#end = end;
    this.#months = new ZoneMonths(period.zone);
  }

  /** Counts one admission (skipped when its arrival is outside the period). */
  add(a: AdmissionFacts): void {
    const arrival = ms(a.arrival_at);
    if (!(arrival >= this.#start && arrival < this.#end)) return;
    this.#admissions++;
    const month = this.#months.monthOf(arrival);
    const slot = month - FIRST_MONTH;
    if (slot >= 0 && slot < MONTHS) this.#monthAdmissions[slot]!++;
    else this.#otherMonths.set(month, (this.#otherMonths.get(month) ?? 0) + 1);

    const imaging = ms(a.imaging_at);
    if (imaging === imaging) this.#doorToImaging.push((imaging - arrival) / MINUTE);
    const onset = ms(a.last_known_well_at);
    if (onset === onset) this.#onsetToArrival.push((arrival - onset) / MINUTE);
    const needle = ms(a.thrombolysis_at);
    const lysed = needle === needle;
    if (lysed) {
      const minutes = (needle - arrival) / MINUTE;
      this.#doorToNeedle.push(minutes);
      this.#needleMonths.push(month);
      if (minutes <= DOOR_TO_NEEDLE_TARGET) this.#within60++;
    }
    const puncture = ms(a.thrombectomy_at);
    const thrombectomy = puncture === puncture;
    if (thrombectomy) this.#doorToPuncture.push((puncture - arrival) / MINUTE);

    if (a.stroke_type === "ischaemic") {
      this.#ischaemic++;
      if (lysed) this.#ischaemicThrombolysed++;
      if (thrombectomy) this.#ischaemicThrombectomy++;
    }
    if (a.nihss_arrival !== null) this.#nihss++;

    const mrs = a.mrs_90d;
    const destination = a.discharge_destination;
    if (destination !== null || a.discharge_at !== null) {
      this.#discharged++;
      if (destination === "died") this.#died++;
      else {
        this.#dischargedAlive++;
        if (mrs !== null) this.#aliveWithMrs90++;
      }
    }
    if (mrs !== null && mrs >= 0 && mrs <= 6 && (mrs | 0) === mrs) {
      this.#withMrs90++;
      if (mrs <= 2) this.#mrs90Good++;
      this.#mrsAll[mrs as 0]++;
      (lysed ? this.#mrsLysed : this.#mrsNotLysed)[mrs as 0]++;
    }
  }

  /** The indicators of everything added so far. */
  result(): QualityIndicators {
    const label = Object.fromEntries(INDICATORS.map((i) => [i.key, i.label])) as Record<
      IndicatorKey,
      string
    >;
    const indicators: Indicator[] = [
      timeIndicator("door_to_imaging", label.door_to_imaging, this.#doorToImaging),
      // Door-to-needle times stay in arrival order beside their months, for `by_month`.
      timeIndicator("door_to_needle", label.door_to_needle, this.#doorToNeedle, true),
      proportion(
        "door_to_needle_60",
        label.door_to_needle_60,
        this.#within60,
        this.#doorToNeedle.length,
      ),
      timeIndicator("door_to_puncture", label.door_to_puncture, this.#doorToPuncture),
      timeIndicator("onset_to_arrival", label.onset_to_arrival, this.#onsetToArrival),
      proportion(
        "thrombolysis_rate",
        label.thrombolysis_rate,
        this.#ischaemicThrombolysed,
        this.#ischaemic,
      ),
      proportion(
        "thrombectomy_rate",
        label.thrombectomy_rate,
        this.#ischaemicThrombectomy,
        this.#ischaemic,
      ),
      proportion("nihss_recorded", label.nihss_recorded, this.#nihss, this.#admissions),
      proportion(
        "mrs_90d_recorded",
        label.mrs_90d_recorded,
        this.#aliveWithMrs90,
        this.#dischargedAlive,
      ),
      proportion("in_hospital_death", label.in_hospital_death, this.#died, this.#discharged),
      proportion("mrs_90d_good", label.mrs_90d_good, this.#mrs90Good, this.#withMrs90),
    ];
    return {
      from: this.#period.from,
      to: this.#period.to,
      admissions: this.#admissions,
      indicators,
      mrs_90d: {
        all: [...this.#mrsAll],
        thrombolysed: [...this.#mrsLysed],
        not_thrombolysed: [...this.#mrsNotLysed],
      },
      by_month: this.#byMonth(),
    };
  }

  #monthCount(month: MonthNumber): number {
    const slot = month - FIRST_MONTH;
    return slot >= 0 && slot < MONTHS
      ? this.#monthAdmissions[slot]!
      : this.#otherMonths.get(month) ?? 0;
  }

  /**
   * Every month of the period (or from the first admission's to the last's when open), empty
   * months included, so that a run chart shows its gaps.
   */
  #byMonth(): MonthRow[] {
    const seen = [...this.#otherMonths.keys()];
    const firstSlot = this.#monthAdmissions.findIndex((n) => n > 0);
    if (firstSlot >= 0) {
      seen.push(
        FIRST_MONTH + firstSlot,
        FIRST_MONTH + this.#monthAdmissions.findLastIndex((n) => n > 0),
      );
    }
    const first = this.#period.from !== null ? monthOfText(this.#period.from) : Math.min(...seen);
    const last = this.#period.to !== null ? monthOfText(this.#period.to) : Math.max(...seen);
    if (!Number.isFinite(first) || !Number.isFinite(last) || last < first) return [];
    const count = last - first + 1;
    // Door-to-needle minutes grouped by month (a counting sort), then each group sorted.
    const sizes = new Int32Array(count + 1);
    const months = this.#needleMonths.values;
    const n = this.#needleMonths.length;
    for (let i = 0; i < n; i++) sizes[months[i]! - first + 1]!++;
    for (let m = 1; m <= count; m++) sizes[m]! += sizes[m - 1]!;
    const grouped = new Float64Array(n);
    const next = sizes.slice(0, count);
    const minutes = this.#doorToNeedle.values;
    for (let i = 0; i < n; i++) grouped[next[months[i]! - first]!++] = minutes[i]!;
    const rows: MonthRow[] = [];
    for (let m = 0; m < count; m++) {
      const group = grouped.subarray(sizes[m]!, sizes[m + 1]!).sort();
      rows.push({
        month: monthKey(first + m),
        admissions: this.#monthCount(first + m),
        door_to_needle_median: medianOfSorted(group),
        door_to_needle_n: group.length,
      });
    }
    return rows;
  }
}

/** The indicators of `admissions` in the period (see {@link QualityCounter}). */
export function qualityIndicators(
  admissions: Iterable<AdmissionFacts>,
  period: QualityPeriod,
): QualityIndicators {
  const counter = new QualityCounter(period);
  for (const admission of admissions) counter.add(admission);
  return counter.result();
}

/** The same over a stream (a database cursor), one admission at a time. */
export async function qualityIndicatorsOf(
  admissions: AsyncIterable<AdmissionFacts> | Iterable<AdmissionFacts>,
  period: QualityPeriod,
): Promise<QualityIndicators> {
  const counter = new QualityCounter(period);
  for await (const admission of admissions) counter.add(admission);
  return counter.result();
}

/** A proportion's 95 % Wilson interval, for the page; null when the denominator is 0. */
export function rateInterval(
  indicator: Pick<ProportionIndicator, "numerator" | "denominator">,
): { low: number; high: number } | null {
  if (indicator.denominator === 0) return null;
  const { low, high } = wilsonInterval(indicator.numerator, indicator.denominator);
  return { low, high };
}
