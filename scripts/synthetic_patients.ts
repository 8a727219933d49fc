/**
 * Realistic synthetic patients for seeding and scale benchmarks, drawn from aggregates of the
 * published dataset (`bench/seed_distribution.json`, written by `deno task reference-stats`)
 * rather than from its records, so that no row of the dataset is ever copied.
 *
 * The model: an age band (5 years under 20, then 10 years; weighted by the dataset's counts),
 * an exact age from that band's own ages, then — each from the band's counts — gender, marriage
 * and work type together (so that no married toddler works in private), residence, smoking,
 * hypertension and heart disease together; stroke from the band's rate among records with
 * hypertension or heart disease and among the others (so stroke rises with age and with both);
 * glucose and BMI from the band's quantiles (interpolated), BMI unknown at the band's rate among
 * stroke and other records (the dataset's ~4 %, more often with stroke). Seeded with mulberry32:
 * the same seed and ids give the same records.
 */
import { mulberry32 } from "../lib/random.ts";
import {
  type Flag,
  PATIENT_FIELDS,
  type PatientFields,
  type PatientRecord,
} from "../lib/patient_fields.ts";

/** Lower ends of the age bands (years); a band runs to the next one's lower end. */
export const SEED_AGE_BANDS = [0, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80] as const;

/** Quantiles kept of glucose and BMI per band: 0 %, 1 %, …, 100 % (fine enough for the tails). */
const QUANTILE_STEPS = 100;

/** Counts of one band of the dataset. */
export interface SeedBand {
  /** Ages from `from` (inclusive) to `to` (exclusive; null: no upper end). */
  from: number;
  to: number | null;
  records: number;
  /** Each age that occurs, with how many records have it. */
  ages: [number, number][];
  gender: Record<string, number>;
  /** `ever_married|work_type` → records. */
  married_work: Record<string, number>;
  Residence_type: Record<string, number>;
  smoking_status: Record<string, number>;
  /** `hypertension|heart_disease` → records. */
  conditions: Record<string, number>;
  /** Records and strokes among those with hypertension or heart disease, and among the others. */
  stroke: { with_condition: [number, number]; without: [number, number] };
  /** Glucose at 0 %, 1 %, …, 100 % of the band. */
  glucose: number[];
  /** Known BMI at 0 %, 1 %, …, 100 % of the band. */
  bmi: number[];
  /** Records and unknown BMIs among strokes, and among the others. */
  bmi_missing: { stroke: [number, number]; no_stroke: [number, number] };
}

export interface SeedDistribution {
  source: { file: string; sha256: string; records: number; generated_by: string };
  bands: SeedBand[];
}

function bump(counts: Record<string, number>, key: string) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Linear-interpolated quantiles of sorted values at 0, 1/steps, …, 1. */
function quantiles(sorted: number[], steps: number): number[] {
  if (sorted.length === 0) return [];
  return Array.from({ length: steps + 1 }, (_, i) => {
    const at = (i / steps) * (sorted.length - 1);
    const low = Math.floor(at);
    const high = Math.min(sorted.length - 1, low + 1);
    const value = sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
    return Math.round(value * 100) / 100;
  });
}

function bandIndex(age: number): number {
  let index = 0;
  for (let i = 0; i < SEED_AGE_BANDS.length; i++) if (age >= SEED_AGE_BANDS[i]!) index = i;
  return index;
}

/** The aggregates of a set of records (the published dataset), per age band. */
export function seedDistribution(
  records: Iterable<PatientFields>,
  source: SeedDistribution["source"],
): SeedDistribution {
  const groups = SEED_AGE_BANDS.map(() => [] as PatientFields[]);
  for (const record of records) groups[bandIndex(record.age)]!.push(record);
  const bands = groups.map((rows, i): SeedBand => {
    const ages = new Map<number, number>();
    const band: SeedBand = {
      from: SEED_AGE_BANDS[i]!,
      to: SEED_AGE_BANDS[i + 1] ?? null,
      records: rows.length,
      ages: [],
      gender: {},
      married_work: {},
      Residence_type: {},
      smoking_status: {},
      conditions: {},
      stroke: { with_condition: [0, 0], without: [0, 0] },
      glucose: [],
      bmi: [],
      bmi_missing: { stroke: [0, 0], no_stroke: [0, 0] },
    };
    for (const r of rows) {
      ages.set(r.age, (ages.get(r.age) ?? 0) + 1);
      bump(band.gender, r.gender);
      bump(band.married_work, `${r.ever_married}|${r.work_type}`);
      bump(band.Residence_type, r.Residence_type);
      bump(band.smoking_status, r.smoking_status);
      bump(band.conditions, `${r.hypertension}|${r.heart_disease}`);
      const tally = r.hypertension || r.heart_disease
        ? band.stroke.with_condition
        : band.stroke.without;
      tally[0]++;
      tally[1] += r.stroke;
      const missing = r.stroke ? band.bmi_missing.stroke : band.bmi_missing.no_stroke;
      missing[0]++;
      if (r.bmi === null) missing[1]++;
    }
    band.ages = [...ages].sort((a, b) => a[0] - b[0]);
    band.glucose = quantiles(
      rows.map((r) => r.avg_glucose_level).sort((a, b) => a - b),
      QUANTILE_STEPS,
    );
    band.bmi = quantiles(
      rows.flatMap((r) => r.bmi === null ? [] : [r.bmi]).sort((a, b) => a - b),
      QUANTILE_STEPS,
    );
    return band;
  });
  return { source, bands };
}

/** Picks a key with probability proportional to its count. */
function weighted<K>(entries: readonly [K, number][], random: () => number): K {
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  let left = random() * total;
  for (const [key, n] of entries) {
    left -= n;
    if (left < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/** A value between quantiles, at a uniformly random position. */
function fromQuantiles(points: readonly number[], random: () => number): number {
  const at = random() * (points.length - 1);
  const low = Math.floor(at);
  const high = Math.min(points.length - 1, low + 1);
  return points[low]! + (points[high]! - points[low]!) * (at - low);
}

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** Turns a band's counts into ready-to-sample tables. */
function sampler(band: SeedBand) {
  const entries = (counts: Record<string, number>) => Object.entries(counts);
  const rate = ([records, hits]: [number, number]) => records ? hits / records : 0;
  return {
    ages: band.ages,
    gender: entries(band.gender),
    marriedWork: entries(band.married_work),
    residence: entries(band.Residence_type),
    smoking: entries(band.smoking_status),
    conditions: entries(band.conditions),
    strokeWith: rate(band.stroke.with_condition),
    strokeWithout: rate(band.stroke.without),
    glucose: band.glucose,
    bmi: band.bmi,
    bmiMissingStroke: rate(band.bmi_missing.stroke),
    bmiMissingOther: rate(band.bmi_missing.no_stroke),
  };
}

export interface SyntheticOptions {
  /** The first id; the others follow one by one. */
  firstId: number;
  count: number;
  /** PRNG seed (the same seed gives the same records). */
  seed?: number;
}

/** `count` synthetic patients with ids `firstId`, `firstId + 1`, …, valid by the app's rules. */
export function* syntheticPatients(
  distribution: SeedDistribution,
  { firstId, count, seed = 1 }: SyntheticOptions,
): Generator<PatientFields> {
  const random = mulberry32(seed);
  const bands = distribution.bands.filter((b) => b.records > 0);
  const samplers = bands.map(sampler);
  const bandWeights = samplers.map((s, i) => [s, bands[i]!.records] as [typeof s, number]);
  for (let i = 0; i < count; i++) {
    const s = weighted(bandWeights, random);
    const [married, work] = weighted(s.marriedWork, random).split("|") as [string, string];
    const [hyper, heart] = weighted(s.conditions, random).split("|").map(Number) as [
      Flag,
      Flag,
    ];
    const stroke: Flag = random() < (hyper || heart ? s.strokeWith : s.strokeWithout) ? 1 : 0;
    const bmiMissing = random() < (stroke ? s.bmiMissingStroke : s.bmiMissingOther);
    yield {
      id: firstId + i,
      gender: weighted(s.gender, random) as PatientFields["gender"],
      age: weighted(s.ages, random),
      hypertension: hyper,
      heart_disease: heart,
      ever_married: married as PatientFields["ever_married"],
      work_type: work as PatientFields["work_type"],
      Residence_type: weighted(s.residence, random) as PatientFields["Residence_type"],
      avg_glucose_level: Math.max(0.01, round(fromQuantiles(s.glucose, random), 2)),
      bmi: bmiMissing ? null : Math.min(150, Math.max(5, round(fromQuantiles(s.bmi, random), 1))),
      smoking_status: weighted(s.smoking, random) as PatientFields["smoking_status"],
      stroke,
    };
  }
}

/** The committed aggregates of the published dataset. */
export async function loadSeedDistribution(): Promise<SeedDistribution> {
  const url = new URL("../bench/seed_distribution.json", import.meta.url);
  return JSON.parse(await Deno.readTextFile(url)) as SeedDistribution;
}

/** A record as a line of the dataset's CSV (`N/A` for an unknown BMI), without its line end. */
export function syntheticCsvLine(patient: PatientFields | PatientRecord): string {
  return PATIENT_FIELDS.map((f) => patient[f] === null ? "N/A" : String(patient[f])).join(",");
}

/** The dataset's header line, without its line end. */
export const SYNTHETIC_CSV_HEADER = PATIENT_FIELDS.join(",");
