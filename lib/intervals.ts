/** Proportions with their Wilson score intervals; how rates, odds ratios and p-values read. */

/** A proportion and its confidence interval, all as fractions in [0, 1]. */
export interface RateInterval {
  rate: number;
  low: number;
  high: number;
}

/** The standard normal quantile for a two-sided 95 % interval (the 97.5th percentile). */
export const Z_95 = 1.959963984540054;

/**
 * The Wilson score interval for `events` out of `n` (95 % by default).
 *
 * With `n = 0` nothing is known: the rate is 0 and the interval is the whole of [0, 1].
 * Throws a `RangeError` when the counts are not whole numbers with 0 ≤ events ≤ n.
 */
export function wilsonInterval(events: number, n: number, z = Z_95): RateInterval {
  if (!Number.isInteger(events) || !Number.isInteger(n) || events < 0 || events > n) {
    throw new RangeError(`Cannot compute a rate for ${events} events out of ${n}`);
  }
  if (!(z > 0) || !Number.isFinite(z)) {
    throw new RangeError(`Cannot compute an interval with z = ${z}`);
  }
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const rate = events / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (rate + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n));
  return {
    rate,
    low: events === 0 ? 0 : Math.max(0, centre - half),
    high: events === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * A fraction as a percentage with `digits` decimals and no space before the sign:
 * `formatPercent(0.0487)` is `"4.9%"`. Not-a-number reads as an en dash.
 */
export function formatPercent(x: number, digits = 1): string {
  if (Number.isNaN(x)) return "–";
  const text = (x * 100).toFixed(digits);
  return `${Number(text) === 0 ? (0).toFixed(digits) : text}%`;
}

/** An odds ratio as text: two decimals below 10, fewer above, two significant digits below 0.1. */
export function formatOddsRatio(x: number): string {
  if (Number.isNaN(x)) return "–";
  if (x === Infinity) return "∞";
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 0.1 || x === 0) return x.toFixed(2);
  if (x < 0.001) return "< 0.001";
  return String(Number(x.toPrecision(2)));
}

/** A p-value with three decimals; below 0.001 it reads "< 0.001". */
export function formatPValue(p: number): string {
  if (Number.isNaN(p)) return "–";
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}
