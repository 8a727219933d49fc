/** The period the quality indicators are for: inclusive dates in the user's time zone. */
import type { FieldError } from "../errors.ts";
import { excerpt } from "../excerpt.ts";
import { endOfDay, isPlainDate, startOfDay } from "./time_zone.ts";

/** The period and the user's time zone the indicators are for. */
export interface QualityPeriod {
  /** First day (inclusive), `YYYY-MM-DD` in `zone`; null: from the first admission. */
  from: string | null;
  /** Last day (inclusive), `YYYY-MM-DD` in `zone`; null: to the last admission. */
  to: string | null;
  /** The IANA zone the days and months are read in. */
  zone: string;
}

/** The first and last years a period may name (the years an admission may have, and some). */
export const PERIOD_YEARS = [1900, 2199] as const;

/**
 * A period from query text (`from`, `to`: `YYYY-MM-DD`, inclusive; empty or absent is open) in
 * the user's `zone`, or the problems with it, each naming its parameter (the API's `400`).
 */
export function readPeriod(
  query: { from?: string | null | undefined; to?: string | null | undefined },
  zone: string,
): { ok: true; period: QualityPeriod } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const day = (name: "from" | "to"): string | null => {
    const text = query[name]?.trim() ?? "";
    if (text === "") return null;
    if (!isPlainDate(text)) {
      errors.push({
        field: name,
        message: `${name} must be a date written YYYY-MM-DD, such as 2026-01-31 (got "${
          excerpt(text, 20)
        }")`,
      });
      return null;
    }
    const year = Number(text.slice(0, 4));
    if (year < PERIOD_YEARS[0] || year > PERIOD_YEARS[1]) {
      errors.push({
        field: name,
        message: `${name} must be a date from ${PERIOD_YEARS[0]} to ${PERIOD_YEARS[1]}`,
      });
      return null;
    }
    return text;
  };
  const from = day("from");
  const to = day("to");
  if (from !== null && to !== null && to < from) {
    errors.push({ field: "to", message: `to (${to}) must not be before from (${from})` });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, period: { from, to, zone } };
}

/** The instants (ms) a period covers: arrivals from `start` (inclusive) to `end` (exclusive). */
export function periodBounds(period: QualityPeriod): { start: number; end: number } {
  return {
    start: period.from === null ? -Infinity : startOfDay(period.from, period.zone).getTime(),
    end: period.to === null ? Infinity : endOfDay(period.to, period.zone).getTime(),
  };
}
