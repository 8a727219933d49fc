/** Percentiles and summaries of measured times. */

/** The `p` quantile (0 … 1) of `values` by nearest rank (NaN when there are none). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** Times of a set of requests, in milliseconds to 1/100. */
export interface Latencies {
  requests: number;
  failed: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** The five slowest requests, for finding what is slow. */
  slowest?: { path: string; ms: number }[];
  /** p50 and count by the query's sort field (its first filter-free trait). */
  by_sort?: Record<string, { requests: number; p50: number }>;
}

/** The p50, p99, mean and max of `samples` (ms), with how many requests failed. */
export function summarize(samples: readonly number[], failed: number): Latencies {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: samples.length,
    failed,
    p50: round(percentile(samples, 0.5)),
    p99: round(percentile(samples, 0.99)),
    mean: round(samples.reduce((s, v) => s + v, 0) / (samples.length || 1)),
    // Not `Math.max(...samples)`: a long import's lists are too many arguments for one call.
    max: round(samples.reduce((a, b) => (b > a ? b : a), samples.length ? -Infinity : NaN)),
  };
}
