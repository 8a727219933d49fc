/**
 * Synthetic admissions, seeded and deterministic, shaped like a real stroke unit's, for the
 * seeder, the benchmarks and the tests. Each patient's admissions come from a generator seeded
 * by the seed and the patient's id alone, so a patient gets the same admissions whichever
 * others are generated with it. Every admission passes the admission rules.
 *
 * Who is admitted: every patient with `stroke = 1` (one admission, a second for about 1 in 10),
 * ischaemic about 85 % and haemorrhagic 15 % (intracerebral and subarachnoid haemorrhage, which
 * the stroke types do not tell apart); about 2 % of the others once, with a TIA or a stroke
 * mimic (on the dataset's stroke rate, about one admission in four). The shapes aim at approximate ranges the national audits publish (GWTG-Stroke, SSNAP,
 * Riksstroke; see the README): onset known for about 70 %, median onset-to-arrival near 2½
 * hours; thrombolysis for about 14–15 % of ischaemic strokes, nearly all within 4.5 hours of
 * onset, door-to-needle median about 52 minutes with about two-thirds within 60; thrombectomy
 * for about 8 % (door-to-puncture median about 95 minutes); NIHSS recorded for about 92 %
 * (median 4 for ischaemic strokes, about 10 for haemorrhagic); about 8 % of strokes die in
 * hospital (6 % of ischaemic, 23 % of haemorrhagic), their mRS 6; the 90-day mRS recorded for
 * about 82 % of those alive once 90 days have passed, 0–2 for about 55 %, better after
 * thrombolysis. A few admissions are made to be found by the data-quality check, as real ones
 * are: thrombolysis after 4.5 hours (about 3 % of those thrombolysed) or, very rarely, in a
 * haemorrhage; no NIHSS; no 90-day mRS.
 */
import { mulberry32 } from "../random.ts";
import type { Admission, DischargeDestination, MrsGrade, StrokeType } from "./admission_fields.ts";

/** What the generator reads of a patient. */
export interface SyntheticPatient {
  id: number;
  age: number;
  stroke: 0 | 1;
}

export interface SyntheticOptions {
  /** The same seed gives the same admissions. */
  seed: number;
  /** Every time is before this instant (at least two days before it for arrivals). */
  now: Date;
  /** Arrivals spread over this many years before `now` (default 3). */
  years?: number;
}

/** An admission and whose it is. */
export interface PatientAdmission {
  patient_id: number;
  admission: Admission;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A generator for one patient, from the seed and the id alone. */
function patientRandom(seed: number, id: number): () => number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  return mulberry32(h ^ (h >>> 15));
}

/** The draws one patient's admissions are made of. */
class Draw {
  constructor(readonly random: () => number) {}

  chance(p: number): boolean {
    return this.random() < p;
  }

  between(low: number, high: number): number {
    return low + this.random() * (high - low);
  }

  /** A standard normal value (Box–Muller). */
  normal(): number {
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** A log-normal value with this median and spread (σ of its logarithm). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Whole minutes from a log-normal, kept within [min, max]. */
  minutes(median: number, sigma: number, min: number, max: number): number {
    return Math.round(Math.min(max, Math.max(min, this.logNormal(median, sigma))));
  }

  pick<T>(weighted: readonly (readonly [T, number])[]): T {
    let r = this.random() * weighted.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, weight] of weighted) if ((r -= weight) < 0) return value;
    return weighted[weighted.length - 1]![0];
  }
}

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));

function nihssOf(draw: Draw, type: StrokeType): number {
  switch (type) {
    case "ischaemic":
      return clamp(Math.round(draw.logNormal(5, 0.85)) - 1, 0, 42);
    case "haemorrhagic":
      return clamp(Math.round(draw.logNormal(11, 0.7)) - 1, 0, 42);
    case "TIA":
      return draw.pick([[0, 80], [1, 15], [2, 5]] as const);
    default:
      return draw.pick([[0, 50], [1, 25], [2, 15], [3, 10]] as const);
  }
}

function deathChance(type: StrokeType, nihss: number, age: number): number {
  const old = age >= 80 ? 0.04 : 0;
  if (type === "ischaemic") return Math.min(0.6, 0.015 + 0.006 * nihss + old);
  if (type === "haemorrhagic") return Math.min(0.7, 0.1 + 0.01 * nihss + old);
  return type === "TIA" ? 0.002 : 0.005;
}

function destinationOf(draw: Draw, mrs: number): DischargeDestination {
  return mrs <= 2
    ? draw.pick([["home", 85], ["rehabilitation", 8], ["other_hospital", 5], ["care_home", 2]])
    : draw.pick([["rehabilitation", 50], ["care_home", 25], ["home", 15], ["other_hospital", 10]]);
}

/** One admission arriving at `arrival` (ms), every time before `now`. */
function admissionOf(
  draw: Draw,
  patient: SyntheticPatient,
  type: StrokeType,
  arrival: number,
  now: number,
): Omit<Admission, "admission_id"> {
  const stroke = type === "ischaemic" || type === "haemorrhagic";
  const onsetKnown = draw.chance(stroke ? 0.7 : 0.8);
  const onsetToArrival = draw.minutes(type === "TIA" ? 600 : 160, 0.9, 15, 3 * 24 * 60);
  const nihss = nihssOf(draw, type);
  const nihssRecorded = draw.chance(0.92);

  const doorToNeedle = draw.minutes(53, 0.41, 12, 6 * 60);
  // Thrombolysed within 4.5 hours of a known onset; now and then outside it (an extended window
  // read from imaging, a wake-up stroke), and very rarely, an entry error, for a haemorrhage.
  const inWindow = onsetKnown && onsetToArrival + doorToNeedle <= 270;
  const eligible = type === "ischaemic" && inWindow && nihss >= 3;
  const lysed = type === "ischaemic"
    ? draw.chance(eligible ? 0.45 : 0.02)
    : type === "haemorrhagic" && draw.chance(0.003);
  const thrombectomy = type === "ischaemic" && draw.chance(nihss >= 6 ? 0.2 : 0.01);
  const doorToPuncture = draw.minutes(95, 0.45, 30, 12 * 60);
  const imaged = lysed || thrombectomy || draw.chance(stroke ? 0.97 : 0.85);
  const doorToImaging = lysed
    ? Math.max(1, Math.round(doorToNeedle * draw.between(0.3, 0.7)))
    : draw.minutes(stroke ? 45 : 150, 1, 2, 12 * 60);

  const died = draw.chance(deathChance(type, nihss, patient.age));
  const stayDays = died
    ? draw.logNormal(6, 1)
    : draw.logNormal(type === "haemorrhagic" ? 12 : type === "ischaemic" ? 7 : 1.5, 0.7);
  const dischargeAt = arrival + Math.max(120, Math.round(stayDays * DAY / MINUTE)) * MINUTE;
  const discharged = dischargeAt <= now;

  const severity = stroke
    ? nihss / 4 + 0.8 + draw.normal() + (patient.age >= 75 ? 0.5 : 0) - (lysed ? 0.6 : 0)
    : draw.between(-0.5, type === "TIA" ? 1.4 : 2.4);
  const mrsDischarge = (died ? 6 : clamp(Math.round(severity), 0, 5)) as MrsGrade;

  let mrs90: MrsGrade | null = null;
  if (discharged && arrival + 90 * DAY <= now && (died || draw.chance(0.82))) {
    if (died) mrs90 = 6;
    else {
      const later = draw.random();
      const dies = 0.03 + (mrsDischarge >= 4 ? 0.04 : 0) + (patient.age >= 80 ? 0.03 : 0);
      const better = lysed ? 0.55 : 0.42;
      const change = later < dies ? null : later < dies + better ? -1 : later < 0.88 ? 0 : 1;
      mrs90 = (change === null ? 6 : clamp(mrsDischarge + change, 0, 5)) as MrsGrade;
    }
  }
  const at = (minutes: number) => new Date(arrival + minutes * MINUTE);
  return {
    stroke_type: type,
    last_known_well_at: onsetKnown ? at(-onsetToArrival) : null,
    arrival_at: new Date(arrival),
    imaging_at: imaged ? at(doorToImaging) : null,
    nihss_arrival: nihssRecorded ? nihss : null,
    thrombolysis_at: lysed ? at(doorToNeedle) : null,
    thrombectomy_at: thrombectomy ? at(doorToPuncture) : null,
    discharge_at: discharged ? new Date(dischargeAt) : null,
    discharge_destination: discharged ? (died ? "died" : destinationOf(draw, mrsDischarge)) : null,
    mrs_discharge: discharged ? mrsDischarge : null,
    mrs_90d: mrs90,
  };
}

/** A patient's synthetic admissions, oldest first (none for most patients without a stroke). */
export function admissionsOfPatient(
  patient: SyntheticPatient,
  options: SyntheticOptions,
): Admission[] {
  const draw = new Draw(patientRandom(options.seed, patient.id));
  const types: StrokeType[] = [];
  if (patient.stroke === 1) {
    const count = draw.chance(0.1) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      types.push(draw.chance(0.85) ? "ischaemic" : "haemorrhagic");
    }
  } else if (draw.chance(0.02)) {
    types.push(draw.chance(0.6) ? "TIA" : "mimic");
  }
  const now = options.now.getTime();
  const spanDays = Math.max(1, Math.round((options.years ?? 3) * 365));
  const lastDay = Math.floor(now / DAY) - 2;
  const arrivals = types.map(() => {
    const day = lastDay - Math.floor(draw.random() * spanDays);
    // Two in three arrive in the day (07:00–21:00 UTC), the rest at any hour.
    const minute = draw.chance(2 / 3)
      ? Math.floor(draw.between(7 * 60, 21 * 60))
      : Math.floor(draw.random() * 24 * 60);
    return day * DAY + minute * MINUTE;
  }).sort((a, b) => a - b);
  return types.map((type, i) => ({
    admission_id: i + 1,
    ...admissionOf(draw, patient, type, arrivals[i]!, now),
  }));
}

/** The synthetic admissions of every patient, in the patients' order. */
export function* syntheticAdmissions(
  patients: Iterable<SyntheticPatient>,
  options: SyntheticOptions,
): Generator<PatientAdmission> {
  for (const patient of patients) {
    for (const admission of admissionsOfPatient(patient, options)) {
      yield { patient_id: patient.id, admission };
    }
  }
}
