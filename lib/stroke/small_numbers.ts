/**
 * The quality indicators "for sharing" (SPEC "Small numbers"): a count from 1 to 4 is shown as
 * `<5`, and a rate, median or quartile built on such a count is left out (null), so that no one
 * patient can be picked out of a shared summary. The indicators' CSV is always in this form.
 */
import { formatCount } from "../count_format.ts";
import { csvLine } from "../csv_writer.ts";
import {
  type Indicator,
  type MonthRow,
  type ProportionIndicator,
  type QualityIndicators,
  rateInterval,
  type TimeIndicator,
} from "./quality_indicators.ts";

/** What a shared count shows. */
export const SUPPRESSED = "<5";
export type SharedCount = number | typeof SUPPRESSED;

/** The smallest count shown as it is (besides 0). */
export const SMALLEST_SHOWN = 5;

/** Whether a count is too small to share: 1 to 4 (0 says nothing about anyone). */
export function isSmall(count: number): boolean {
  return count >= 1 && count < SMALLEST_SHOWN;
}

/** A count as shared: `<5` for 1 to 4. */
export function shareCount(count: number): SharedCount {
  return isSmall(count) ? SUPPRESSED : count;
}

/** A count as shown: thousands separated, a shared small one (`<5`) as it is. */
export function sharedCountText(count: number | string): string {
  return typeof count === "number" ? formatCount(count) : count;
}

export type SharedProportion = Omit<ProportionIndicator, "numerator" | "denominator"> & {
  numerator: SharedCount;
  denominator: SharedCount;
};
export type SharedTime = Omit<TimeIndicator, "n"> & { n: SharedCount };
export type SharedIndicator = SharedProportion | SharedTime;
export type SharedMrsCounts = SharedCount[];
export type SharedMonthRow = Omit<MonthRow, "admissions" | "door_to_needle_n"> & {
  admissions: SharedCount;
  door_to_needle_n: SharedCount;
};

/** The indicators for sharing (same shape; counts may be `<5`, values built on them null). */
export interface SharedQualityIndicators {
  from: string | null;
  to: string | null;
  admissions: SharedCount;
  indicators: SharedIndicator[];
  mrs_90d: {
    all: SharedMrsCounts;
    thrombolysed: SharedMrsCounts;
    not_thrombolysed: SharedMrsCounts;
  };
  by_month: SharedMonthRow[];
}

function shareIndicator(indicator: Indicator): SharedIndicator {
  if ("n" in indicator) {
    const small = isSmall(indicator.n);
    return {
      ...indicator,
      n: shareCount(indicator.n),
      median: small ? null : indicator.median,
      q1: small ? null : indicator.q1,
      q3: small ? null : indicator.q3,
    };
  }
  const small = isSmall(indicator.numerator) || isSmall(indicator.denominator);
  return {
    ...indicator,
    numerator: shareCount(indicator.numerator),
    denominator: shareCount(indicator.denominator),
    rate: small ? null : indicator.rate,
  };
}

/** The indicators in the form meant for sharing. */
export function forSharing(q: QualityIndicators): SharedQualityIndicators {
  return {
    from: q.from,
    to: q.to,
    admissions: shareCount(q.admissions),
    indicators: q.indicators.map(shareIndicator),
    mrs_90d: {
      all: q.mrs_90d.all.map(shareCount),
      thrombolysed: q.mrs_90d.thrombolysed.map(shareCount),
      not_thrombolysed: q.mrs_90d.not_thrombolysed.map(shareCount),
    },
    by_month: q.by_month.map((row) => ({
      month: row.month,
      admissions: shareCount(row.admissions),
      door_to_needle_median: isSmall(row.door_to_needle_n) ? null : row.door_to_needle_median,
      door_to_needle_n: shareCount(row.door_to_needle_n),
    })),
  };
}

/** The CSV's columns. */
export const INDICATOR_CSV_COLUMNS = [
  "key",
  "label",
  "numerator",
  "denominator",
  "rate",
  "rate_low_95",
  "rate_high_95",
  "n",
  "median",
  "q1",
  "q3",
] as const;

/** A number as the CSV writes it: rates to 4 decimals, minutes to 1; null stays empty. */
const rounded = (x: number | null, digits: number) => x === null ? null : Number(x.toFixed(digits));

/**
 * The indicators as CSV, always for sharing: a first row of the period's admissions (its
 * count in `n`), then one row per indicator, proportions with their 95 % Wilson interval.
 */
export function qualityIndicatorsCsv(q: QualityIndicators): string {
  const shared = forSharing(q);
  const lines = [
    csvLine(INDICATOR_CSV_COLUMNS),
    csvLine([
      "admissions",
      "Admissions",
      null,
      null,
      null,
      null,
      null,
      shared.admissions,
      null,
      null,
      null,
    ]),
  ];
  q.indicators.forEach((indicator, i) => {
    const s = shared.indicators[i]!;
    if ("n" in s) {
      lines.push(csvLine([
        s.key,
        s.label,
        null,
        null,
        null,
        null,
        null,
        s.n,
        rounded(s.median, 1),
        rounded(s.q1, 1),
        rounded(s.q3, 1),
      ]));
      return;
    }
    const ci = s.rate === null ? null : rateInterval(indicator as ProportionIndicator);
    lines.push(csvLine([
      s.key,
      s.label,
      s.numerator,
      s.denominator,
      rounded(s.rate, 4),
      rounded(ci?.low ?? null, 4),
      rounded(ci?.high ?? null, 4),
      null,
      null,
      null,
      null,
    ]));
  });
  return lines.join("");
}
