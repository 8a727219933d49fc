/**
 * The quality indicators over a million admissions, timed: synthetic admissions
 * (lib/stroke/synthetic_admissions.ts) are made first and kept as columns, then fed one row at a
 * time to the streaming counter as a database cursor would hand them over — once with `Date`
 * objects (as the MongoDB driver gives them), once with epoch milliseconds — and the time from
 * the first row to the finished answer is measured (wall clock and the process's CPU time, the
 * steadier figure on a shared machine). `deno task bench-scale` runs it (goal: a million in under
 * 2 s); on its own:
 * `deno run -A bench/runs/quality_indicators.ts [count]` (default 1,000,000).
 */
import process from "node:process";
import {
  DISCHARGE_DESTINATIONS,
  STROKE_TYPES,
  TIME_FIELDS,
  type TimeField,
} from "../../lib/stroke/admission_fields.ts";
import {
  type AdmissionFacts,
  QualityCounter,
  type QualityIndicators,
} from "../../lib/stroke/quality_indicators.ts";
import { syntheticAdmissions } from "../../lib/stroke/synthetic_admissions.ts";

/** A destination's column value is its index here (0 = not discharged). */
const DESTINATIONS = [null, ...DISCHARGE_DESTINATIONS] as const;

/** Admissions as columns: compact enough to hold a million (about 60 MB). */
interface AdmissionColumns {
  count: number;
  times: Record<TimeField, Float64Array>;
  type: Uint8Array;
  destination: Uint8Array;
  /** 255 = unknown. */
  nihss: Uint8Array;
  mrs90: Uint8Array;
}

/** `count` synthetic admissions of synthetic stroke patients, as columns. */
export function admissionColumns(count: number, seed: number, now: Date): AdmissionColumns {
  const times = Object.fromEntries(
    TIME_FIELDS.map((t) => [t, new Float64Array(count)]),
  ) as AdmissionColumns["times"];
  const columns: AdmissionColumns = {
    count,
    times,
    type: new Uint8Array(count),
    destination: new Uint8Array(count),
    nihss: new Uint8Array(count),
    mrs90: new Uint8Array(count),
  };
  function* patients() {
    for (let id = 1;; id++) yield { id, age: 40 + (id * 7919 % 55), stroke: 1 as const };
  }
  let i = 0;
  for (const { admission: a } of syntheticAdmissions(patients(), { seed, now })) {
    if (i === count) break;
    for (const t of TIME_FIELDS) times[t][i] = a[t]?.getTime() ?? NaN;
    columns.type[i] = STROKE_TYPES.indexOf(a.stroke_type);
    columns.destination[i] = DESTINATIONS.indexOf(a.discharge_destination);
    columns.nihss[i] = a.nihss_arrival ?? 255;
    columns.mrs90[i] = a.mrs_90d ?? 255;
    i++;
  }
  return columns;
}

/** Row `i` as a cursor would give it, with `Date`s or with epoch milliseconds. */
function row(c: AdmissionColumns, i: number, dates: boolean): AdmissionFacts {
  const time = (t: TimeField) => {
    const ms = c.times[t][i]!;
    return ms !== ms ? null : dates ? new Date(ms) : ms;
  };
  return {
    stroke_type: STROKE_TYPES[c.type[i]!]!,
    last_known_well_at: time("last_known_well_at"),
    arrival_at: time("arrival_at")!,
    imaging_at: time("imaging_at"),
    nihss_arrival: c.nihss[i] === 255 ? null : c.nihss[i]!,
    thrombolysis_at: time("thrombolysis_at"),
    thrombectomy_at: time("thrombectomy_at"),
    discharge_at: time("discharge_at"),
    discharge_destination: DESTINATIONS[c.destination[i]!]!,
    mrs_90d: c.mrs90[i] === 255 ? null : c.mrs90[i]!,
  };
}

export interface QualityTiming {
  admissions: number;
  /** Seconds from the first row to the answer. */
  seconds: number;
  /** CPU seconds of the process meanwhile (user + system): less hurt by a busy machine. */
  cpu_seconds: number;
  admissions_per_s: number;
  rows: "Date" | "epoch ms";
  answer: QualityIndicators;
}

/** Feeds every admission to a counter (over all time, in `zone`), timed. */
export function timeQualityIndicators(
  columns: AdmissionColumns,
  dates: boolean,
  zone = "Europe/London",
): QualityTiming {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const counter = new QualityCounter({ from: null, to: null, zone });
  for (let i = 0; i < columns.count; i++) counter.add(row(columns, i, dates));
  const answer = counter.result();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    admissions: answer.admissions,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    admissions_per_s: answer.admissions / seconds,
    rows: dates ? "Date" : "epoch ms",
    answer,
  };
}

/** What `deno task bench-scale` reports: each kind of row timed twice, the answers checked. */
export interface QualityResult {
  admissions: number;
  runs: Omit<QualityTiming, "answer">[];
  /** Both kinds of rows gave the same indicators. */
  same_answers: boolean;
}

/** The quality indicators over `count` synthetic admissions, timed (runs/… in `bench-scale`). */
export function measureQualityIndicators(count: number): QualityResult {
  const columns = admissionColumns(count, 25, new Date("2026-12-01T00:00:00Z"));
  const timings = [true, false, true, false].map((dates) => timeQualityIndicators(columns, dates));
  const answers = new Set(timings.map((t) => JSON.stringify(t.answer)));
  return {
    admissions: timings[0]!.admissions,
    runs: timings.map(({ answer: _answer, ...timing }) => timing),
    same_answers: answers.size === 1,
  };
}

if (import.meta.main) {
  const count = Number(Deno.args[0] ?? 1_000_000);
  const made = performance.now();
  const columns = admissionColumns(count, 25, new Date("2026-12-01T00:00:00Z"));
  console.error(
    `Made ${count.toLocaleString("en-US")} admissions in ${
      ((performance.now() - made) / 1000).toFixed(1)
    } s`,
  );
  for (const dates of [true, false, true, false]) {
    const t = timeQualityIndicators(columns, dates);
    const dtn = t.answer.indicators.find((x) => x.key === "door_to_needle");
    console.log(
      `${t.admissions.toLocaleString("en-US")} admissions (rows with ${t.rows}): ` +
        `${t.seconds.toFixed(2)} s (CPU ${t.cpu_seconds.toFixed(2)} s), ${
          Math.round(t.admissions_per_s).toLocaleString("en-US")
        }/s; ` +
        `${t.answer.by_month.length} months; door-to-needle ${JSON.stringify(dtn)}`,
    );
  }
}
