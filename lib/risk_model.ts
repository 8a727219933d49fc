/** Stroke risk factors: a Firth-penalised logistic regression with cross-validated AUC. */
import { CholeskyDecomposition, Matrix } from "ml-matrix";
import { Z_95 } from "./intervals.ts";
import { CATEGORICAL_VALUES, type CategoricalField, type PatientFields } from "./patient_fields.ts";
import { mulberry32, shuffle } from "./random.ts";

/** The categorical fields that enter the model as dummy-coded terms. */
type FactorField = Exclude<CategoricalField, "stroke">;
type Level<F extends FactorField> = (typeof CATEGORICAL_VALUES)[F][number];

const FACTOR_FIELDS: readonly FactorField[] = [
  "gender",
  "hypertension",
  "heart_disease",
  "ever_married",
  "work_type",
  "Residence_type",
  "smoking_status",
];

/**
 * The fixed reference level of each categorical field: every other level's odds ratio is measured
 * against it. Flags against 0; otherwise the most common or clinically natural level. They are the
 * same for every user, so that reports are comparable; a reference absent from the records is
 * replaced (with a warning) by the most common level present.
 */
export const REFERENCE_LEVELS: { readonly [F in FactorField]: Level<F> } = {
  gender: "Female",
  hypertension: 0,
  heart_disease: 0,
  ever_married: "No",
  work_type: "Private",
  Residence_type: "Rural",
  smoking_status: "never smoked",
};

type ContinuousField = "age" | "avg_glucose_level" | "bmi";

/** The continuous terms, and the step their odds ratios are given per. */
export const CONTINUOUS_TERMS: readonly {
  readonly field: ContinuousField;
  readonly step: number;
  readonly per: string;
}[] = [
  { field: "age", step: 10, per: "10 years" },
  { field: "avg_glucose_level", step: 10, per: "10 mg/dL" },
  { field: "bmi", step: 5, per: "5 kg/m²" },
];

/** Fewest stroke events, and fewest records without one, that a fit needs. */
export const MIN_EACH_OUTCOME = 10;
/** A categorical level with fewer records than this gets a warning. */
const FEW_RECORDS = 10;
/** A categorical level with fewer stroke events (or non-events) than this, but some, gets one. */
const FEW_EVENTS = 5;
/** Fewer events per model term than this gets a warning (the usual rule of thumb). */
const MIN_EVENTS_PER_TERM = 10;
const DEFAULT_FOLDS = 5;
const DEFAULT_SEED = 2002;
const MAX_ITERATIONS = 100;
const MAX_STEP = 5;

/** One model term: an odds ratio with its 95 % Wald interval and two-sided p-value. */
export interface RiskTerm {
  /** `age`, `avg_glucose_level`, `bmi`, or `field=value` for a categorical level. */
  term: string;
  field: string;
  /** For a categorical level: the level it is compared with. */
  reference?: string;
  /** For a continuous term: the step the odds ratio is per, e.g. "10 years". */
  per?: string;
  /**
   * True for a level whose records all had a stroke, or none did: its estimate is only the
   * penalty's, with a very wide interval, and is best read as unknown.
   */
  separated?: true;
  odds_ratio: number;
  ci_low: number;
  ci_high: number;
  p_value: number;
}

/** Out-of-fold predicted risk against the observed stroke rate, for one group of records. */
export interface CalibrationGroup {
  /** Mean out-of-fold predicted risk of the group's records. */
  predicted: number;
  /** Share of the group's records that had a stroke. */
  observed: number;
  n: number;
}

/** The risk report: the spec's JSON shape, plus a description of the method. */
export interface RiskReport {
  /** How the numbers were estimated. */
  method: string;
  /** What the report is, and is not. */
  note: string;
  /** Records the model used (complete cases). */
  n: number;
  /** Stroke events among them. */
  events: number;
  /** Records left out for an unknown number (BMI, in practice). */
  excluded: number;
  terms: RiskTerm[];
  /** Area under the ROC curve: the mean over the cross-validation folds, and each fold's. */
  auc: { mean: number; folds: number[] };
  calibration: CalibrationGroup[];
  /** Plain-English cautions about the data or the fit. */
  warnings: string[];
}

/** Options of {@link fitRiskModel}. */
export interface RiskModelOptions {
  /** Cross-validation folds, 2 to 10 (default 5). */
  folds?: number | undefined;
  /** Seed of the fold assignment (default 2002): same records and seed, same folds. */
  seed?: number | undefined;
}

/** The records cannot support a fit (too few records or events); the message says why. */
export class RiskModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RiskModelError";
  }
}

/** A design-matrix column: the intercept, a scaled continuous field or a level's dummy. */
interface Column {
  term: string;
  field: string;
  reference?: string;
  per?: string;
  separated?: true;
  value(record: PatientFields): number;
}

/** A row-major design matrix with its outcome. */
interface Design {
  x: Float64Array;
  y: Uint8Array;
  n: number;
  p: number;
}

interface FirthFit {
  beta: Float64Array;
  /** Inverse of the penalised information matrix at the estimate. */
  covariance: Matrix;
  converged: boolean;
}

/**
 * Fits a logistic regression of `stroke` on every other field but `id`, and reports odds ratios,
 * cross-validated discrimination (AUC) and calibration. Pure: no I/O.
 *
 * - Estimator: Firth's penalised likelihood (Heinze & Schemper 2002), so a level with no events,
 *   or one that separates the outcome perfectly, still gets a finite estimate (with a wide
 *   interval, and a warning). 95 % Wald intervals come from the inverse penalised information
 *   matrix; p-values from the normal distribution.
 * - Terms: `age` per 10 years, `avg_glucose_level` per 10 mg/dL, `bmi` per 5 kg/m², and each
 *   categorical level `field=value` against {@link REFERENCE_LEVELS}.
 * - Unknown BMI: complete-case analysis; records with an unknown (or non-finite) number are left
 *   out, counted in `excluded` and named in a warning.
 * - Levels absent from the records, and terms exactly determined by the others, are dropped with
 *   a warning rather than making the fit singular.
 * - Validation: stratified k-fold cross-validation (default 5) with a seeded shuffle of the
 *   records in id order, so the same records give the same report whatever their order. AUC by
 *   Mann–Whitney (ties count half); calibration in up to ten groups of out-of-fold risk.
 *
 * @throws {RiskModelError} with fewer than 10 stroke events or 10 records without one.
 * @throws {RangeError} when `folds` is not an integer from 2 to 10 or `seed` is not finite.
 */
export function fitRiskModel(
  records: readonly PatientFields[],
  options: RiskModelOptions = {},
): RiskReport {
  const folds = options.folds ?? DEFAULT_FOLDS;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(folds) || folds < 2 || folds > 10) {
    throw new RangeError(`folds must be an integer from 2 to 10, not ${folds}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, not ${seed}`);

  const warnings: string[] = [];
  const complete = records
    .map((record, index) => ({ record, index }))
    .filter(({ record }) => isComplete(record))
    .sort((a, b) => a.record.id - b.record.id || a.index - b.index)
    .map(({ record }) => record);
  const excluded = records.length - complete.length;
  const events = complete.filter((r) => r.stroke === 1).length;
  const nonEvents = complete.length - events;
  if (events < MIN_EACH_OUTCOME || nonEvents < MIN_EACH_OUTCOME) {
    const left = excluded > 0
      ? ` (after leaving out ${plural(excluded, "record")} with an ` +
        "unknown BMI)"
      : "";
    throw new RiskModelError(
      `At least ${MIN_EACH_OUTCOME} stroke events and ${MIN_EACH_OUTCOME} records without a ` +
        `stroke are needed to fit the model; these records have ${plural(events, "stroke event")}` +
        ` and ${nonEvents} without${left}.`,
    );
  }
  if (excluded > 0) {
    warnings.push(
      `${plural(excluded, "record")} with an unknown BMI ${excluded === 1 ? "was" : "were"} left ` +
        `out (complete-case analysis); the model uses the other ${complete.length}.`,
    );
  }

  const columns = buildColumns(complete, warnings);
  const full = designOf(complete, columns);
  const kept = independentColumns(full, Array.from({ length: full.p }, (_, j) => j));
  for (let j = 1; j < columns.length; j++) {
    if (!kept.includes(j)) {
      warnings.push(
        `${columns[j]!.term} is constant or exactly determined by the other terms in these ` +
          "records, so it is left out.",
      );
    }
  }
  const fit = fitFirth(subDesign(full, allRows(full.n), kept));
  if (!fit.converged) {
    warnings.push(
      `The fit did not settle within ${MAX_ITERATIONS} iterations; treat its numbers with caution.`,
    );
  }

  const terms: RiskTerm[] = [];
  kept.forEach((j, k) => {
    if (j === 0) return;
    const column = columns[j]!;
    const beta = fit.beta[k]!;
    const se = Math.sqrt(fit.covariance.get(k, k));
    terms.push({
      term: column.term,
      field: column.field,
      ...(column.reference === undefined ? {} : { reference: column.reference }),
      ...(column.per === undefined ? {} : { per: column.per }),
      ...(column.separated ? { separated: true as const } : {}),
      odds_ratio: Math.exp(beta),
      ci_low: Math.exp(beta - Z_95 * se),
      ci_high: Math.exp(beta + Z_95 * se),
      p_value: twoSidedP(beta / se),
    });
  });

  const termCount = kept.length - 1;
  const perTerm = Math.min(events, nonEvents) / termCount;
  if (perTerm < MIN_EVENTS_PER_TERM) {
    const outcome = events <= nonEvents ? "stroke events" : "records without a stroke";
    warnings.push(
      `There are only ${perTerm.toFixed(1)} ${outcome} per model term (at least ` +
        `${MIN_EVENTS_PER_TERM} are advised), so the estimates may be unstable and over-fitted.`,
    );
  }

  const validation = crossValidate(full, kept, fit.beta, folds, seed);
  if (validation.unsettled > 0) {
    warnings.push(
      `The fit did not settle in ${plural(validation.unsettled, "cross-validation fold")}; ` +
        "treat the AUC with caution.",
    );
  }

  const report: RiskReport = {
    method: "Logistic regression by Firth's penalised likelihood (Heinze & Schemper 2002); 95 % " +
      "Wald intervals from the penalised information matrix; AUC (Mann–Whitney) and calibration " +
      `from ${folds}-fold stratified cross-validation (seed ${seed}).`,
    note: "This describes associations between the fields in these records. It is not a " +
      "diagnosis and does not predict any one patient's risk.",
    n: complete.length,
    events,
    excluded,
    terms,
    auc: validation.auc,
    calibration: validation.calibration,
    warnings,
  };
  assertFinite(report);
  return report;
}

/** Whether the record has every number the model needs. */
function isComplete(record: PatientFields): boolean {
  return [record.age, record.avg_glucose_level, record.bmi].every(
    (v) => typeof v === "number" && Number.isFinite(v),
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The columns for these records: levels absent from them are left out, with a warning. */
function buildColumns(records: readonly PatientFields[], warnings: string[]): Column[] {
  const columns: Column[] = [{ term: "(intercept)", field: "", value: () => 1 }];
  for (const { field, step, per } of CONTINUOUS_TERMS) {
    columns.push({ term: field, field, per, value: (r) => (r[field] ?? 0) / step });
  }
  for (const field of FACTOR_FIELDS) {
    const levels = CATEGORICAL_VALUES[field] as readonly (string | number)[];
    const records_ = levels.map((level) => records.filter((r) => r[field] === level));
    const present = levels.filter((_, i) => records_[i]!.length > 0);
    if (present.length < 2) {
      warnings.push(
        `Every record has ${field}=${present[0]}, so ${field} is left out of the model.`,
      );
      continue;
    }
    let reference: string | number = REFERENCE_LEVELS[field];
    if (!present.includes(reference)) {
      const counts = levels.map((_, i) => records_[i]!.length);
      reference = levels[counts.indexOf(Math.max(...counts))]!;
      warnings.push(
        `No records have the usual reference level ${field}=${REFERENCE_LEVELS[field]}, so the ` +
          `other ${field} levels are compared with ${field}=${reference} instead.`,
      );
    }
    levels.forEach((level, i) => {
      const group = records_[i]!;
      const others = level === reference
        ? present.filter((l) => l !== reference).map((l) => `${field}=${l}`)
        : null;
      levelWarning(field, level, group, others, warnings);
      if (level === reference || group.length === 0) return;
      const events = group.filter((r) => r.stroke === 1).length;
      columns.push({
        ...(events === 0 || events === group.length ? { separated: true as const } : {}),
        term: `${field}=${level}`,
        field,
        reference: String(reference),
        value: (r) => (r[field] === level ? 1 : 0),
      });
    });
  }
  return columns;
}

/**
 * Warns about a level too small, or too one-sided, to estimate well. `compared` lists the terms
 * measured against the level when it is the reference, and is null otherwise.
 */
function levelWarning(
  field: FactorField,
  level: string | number,
  group: readonly PatientFields[],
  compared: readonly string[] | null,
  warnings: string[],
): void {
  const name = `${field}=${level}`;
  const n = group.length;
  if (n === 0) {
    if (!compared) warnings.push(`No records have ${name}, so that term is left out.`);
    return;
  }
  const events = group.filter((r) => r.stroke === 1).length;
  const few = n < FEW_RECORDS;
  const them = few ? "them" : `the ${n} records with ${name}`;
  let outcome = "";
  if (events === 0) outcome = n === 1 ? "it had no stroke" : `none of ${them} had a stroke`;
  else if (events === n) outcome = n === 1 ? "it had a stroke" : `all of ${them} had a stroke`;
  else if (events < FEW_EVENTS) outcome = `only ${events} of ${them} had a stroke`;
  else if (n - events < FEW_EVENTS) outcome = `only ${n - events} of ${them} had no stroke`;
  if (!few && outcome === "") return;
  const size = `only ${plural(n, "record")} ${n === 1 ? "has" : "have"} ${name}`;
  const text = few ? (outcome === "" ? size : `${size}, and ${outcome}`) : outcome;
  const what = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  const separated = events === 0 || events === n;
  let consequence = separated
    ? "its odds ratio is a penalised (Firth) estimate with a very wide interval, best read as " +
      "unknown."
    : "its odds ratio is very uncertain.";
  if (compared) {
    const ratios = compared.length === 1
      ? `the odds ratio of ${compared[0]}, measured against it, is`
      : `the odds ratios of ${compared.join(", ")}, measured against it, are`;
    consequence = `it is the reference level, so ${ratios} very uncertain.`;
  }
  warnings.push(`${what}: ${consequence}`);
}

function designOf(records: readonly PatientFields[], columns: readonly Column[]): Design {
  const n = records.length;
  const p = columns.length;
  const x = new Float64Array(n * p);
  const y = new Uint8Array(n);
  records.forEach((record, i) => {
    columns.forEach((column, j) => {
      x[i * p + j] = column.value(record);
    });
    y[i] = record.stroke;
  });
  return { x, y, n, p };
}

function allRows(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The design restricted to some rows and columns. */
function subDesign(design: Design, rows: readonly number[], cols: readonly number[]): Design {
  const p = cols.length;
  const x = new Float64Array(rows.length * p);
  const y = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    cols.forEach((col, j) => {
      x[i * p + j] = design.x[row * design.p + col]!;
    });
    y[i] = design.y[row]!;
  });
  return { x, y, n: rows.length, p };
}

/**
 * The candidate columns, in order, that are not linear combinations of earlier ones (an
 * incremental Cholesky factorisation of the cross-product matrix), over the given rows.
 */
function independentColumns(
  design: Design,
  candidates: readonly number[],
  rows: readonly number[] = allRows(design.n),
): number[] {
  const { x, p } = design;
  const m = candidates.length;
  const gram = new Float64Array(m * m);
  for (const row of rows) {
    const base = row * p;
    for (let a = 0; a < m; a++) {
      const xa = x[base + candidates[a]!]!;
      if (xa === 0) continue;
      for (let b = a; b < m; b++) gram[a * m + b]! += xa * x[base + candidates[b]!]!;
    }
  }
  const kept: number[] = [];
  const lower: Float64Array[] = [];
  for (let a = 0; a < m; a++) {
    const diagonal = gram[a * m + a]!;
    if (!(diagonal > 0)) continue;
    const z = new Float64Array(kept.length);
    let residual = diagonal;
    kept.forEach((b, k) => {
      let s = gram[b * m + a]!;
      for (let t = 0; t < k; t++) s -= lower[k]![t]! * z[t]!;
      z[k] = s / lower[k]![k]!;
      residual -= z[k]! * z[k]!;
    });
    if (residual <= 1e-9 * diagonal) continue;
    const row = new Float64Array(kept.length + 1);
    row.set(z);
    row[kept.length] = Math.sqrt(residual);
    lower.push(row);
    kept.push(a);
  }
  return kept.map((a) => candidates[a]!);
}

/** A design's non-zero entries, row by row (most dummies are zero). */
interface SparseRows {
  start: Int32Array;
  column: Int32Array;
  value: Float64Array;
}

function sparseRows(design: Design): SparseRows {
  const { x, n, p } = design;
  const start = new Int32Array(n + 1);
  const column: number[] = [];
  const value: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j]!;
      if (v !== 0) {
        column.push(j);
        value.push(v);
      }
    }
    start[i + 1] = column.length;
  }
  return { start, column: Int32Array.from(column), value: Float64Array.from(value) };
}

/** Risks, the information matrix's inverse and the penalised log-likelihood at `beta`. */
interface FitState {
  beta: Float64Array;
  risk: Float64Array;
  /** (X'WX)⁻¹, row-major. */
  inverse: Float64Array;
  covariance: Matrix;
  penalisedLogLik: number;
}

function stateAt(design: Design, rows: SparseRows, beta: Float64Array): FitState | null {
  const { y, n, p } = design;
  const { start, column, value } = rows;
  const risk = new Float64Array(n);
  const information = new Float64Array(p * p);
  let logLik = 0;
  for (let i = 0; i < n; i++) {
    const from = start[i]!;
    const to = start[i + 1]!;
    let eta = 0;
    for (let k = from; k < to; k++) eta += value[k]! * beta[column[k]!]!;
    const pi = 1 / (1 + Math.exp(-eta));
    risk[i] = pi;
    logLik -= softplus(y[i] === 1 ? -eta : eta);
    const w = pi * (1 - pi);
    for (let k = from; k < to; k++) {
      const wa = w * value[k]!;
      const row = column[k]! * p;
      for (let l = k; l < to; l++) information[row + column[l]!]! += wa * value[l]!;
    }
  }
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < a; b++) information[a * p + b] = information[b * p + a]!;
  }
  const cholesky = new CholeskyDecomposition(Matrix.from1DArray(p, p, information));
  if (!cholesky.isPositiveDefinite()) return null;
  const lower = cholesky.lowerTriangularMatrix;
  let logDet = 0;
  for (let j = 0; j < p; j++) logDet += 2 * Math.log(lower.get(j, j));
  const penalisedLogLik = logLik + logDet / 2;
  if (!Number.isFinite(penalisedLogLik)) return null;
  const covariance = cholesky.solve(Matrix.eye(p));
  const inverse = Float64Array.from(covariance.to1DArray());
  return { beta, risk, inverse, covariance, penalisedLogLik };
}

/** log(1 + e^t) without overflow. */
function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

/** Firth's modified score X'(y − π + h(½ − π)), h the diagonal of the hat matrix. */
function modifiedScore(design: Design, rows: SparseRows, state: FitState): Float64Array {
  const { y, n, p } = design;
  const { start, column, value } = rows;
  const { risk, inverse } = state;
  const score = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const from = start[i]!;
    const to = start[i + 1]!;
    let quad = 0;
    for (let k = from; k < to; k++) {
      const row = column[k]! * p;
      let s = 0;
      for (let l = from; l < to; l++) s += inverse[row + column[l]!]! * value[l]!;
      quad += value[k]! * s;
    }
    const pi = risk[i]!;
    const residual = y[i]! - pi + pi * (1 - pi) * quad * (0.5 - pi);
    for (let k = from; k < to; k++) score[column[k]!]! += residual * value[k]!;
  }
  return score;
}

/**
 * Firth's penalised maximum likelihood: Newton steps on the modified score with the Fisher
 * information, and a backtracking (Armijo) line search on the penalised log-likelihood
 * l(β) + ½ log|X'WX|, which stops the plain iteration cycling on a level with no events.
 */
function fitFirth(design: Design, start?: Float64Array): FirthFit {
  const { y, n, p } = design;
  const rows = sparseRows(design);
  let beta = start?.slice() ?? new Float64Array(p);
  if (!start) {
    const events = y.reduce((s, v) => s + v, 0);
    beta[0] = Math.log((events + 0.5) / (n - events + 0.5));
  }
  let state = stateAt(design, rows, beta);
  if (!state) throw new RiskModelError("The model could not be fitted to these records.");
  let converged = false;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const score = modifiedScore(design, rows, state);
    const step = new Float64Array(p);
    let largest = 0;
    let slope = 0;
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += state.inverse[a * p + b]! * score[b]!;
      step[a] = s;
      slope += s * score[a]!;
      largest = Math.max(largest, Math.abs(s));
    }
    // Converged: the step is negligible, or so is the gain it promises (½·slope) next to the
    // rounding error of the log-likelihood.
    if (largest < 1e-8 || slope < 1e-14) {
      converged = true;
      break;
    }
    let scale = largest > MAX_STEP ? MAX_STEP / largest : 1;
    let next: FitState | null = null;
    for (let halving = 0; halving < 20 && !next; halving++) {
      beta = state.beta.map((b, j) => b + scale * step[j]!);
      const candidate = stateAt(design, rows, beta);
      const gain = candidate ? candidate.penalisedLogLik - state.penalisedLogLik : -Infinity;
      if (gain > 1e-4 * scale * slope) next = candidate;
      else scale /= 2;
    }
    if (!next) {
      converged = largest < 1e-6;
      break;
    }
    state = next;
  }
  return { beta: state.beta, covariance: state.covariance, converged };
}

/** Fold of each row: events and non-events each shuffled and dealt round the folds. */
function stratifiedFolds(y: Uint8Array, folds: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const assignment = new Uint8Array(y.length);
  const positives = shuffle(allRows(y.length).filter((i) => y[i] === 1), random);
  const negatives = shuffle(allRows(y.length).filter((i) => y[i] === 0), random);
  positives.forEach((row, k) => assignment[row] = k % folds);
  negatives.forEach((row, k) => assignment[row] = (k + positives.length) % folds);
  return assignment;
}

/**
 * Out-of-fold risks: each fold predicted by a model fitted on the others, started from the full
 * fit's estimate (a column that the training rows cannot support is left out of that fold).
 */
function crossValidate(
  full: Design,
  kept: readonly number[],
  fullBeta: Float64Array,
  folds: number,
  seed: number,
) {
  const assignment = stratifiedFolds(full.y, folds, seed);
  const risk = new Float64Array(full.n);
  const aucs: number[] = [];
  let unsettled = 0;
  for (let fold = 0; fold < folds; fold++) {
    const train = allRows(full.n).filter((i) => assignment[i] !== fold);
    const test = allRows(full.n).filter((i) => assignment[i] === fold);
    const cols = independentColumns(full, kept, train);
    const start = Float64Array.from(cols, (col) => fullBeta[kept.indexOf(col)]!);
    const fit = fitFirth(subDesign(full, train, cols), start);
    if (!fit.converged) unsettled++;
    for (const row of test) {
      let eta = 0;
      cols.forEach((col, k) => eta += full.x[row * full.p + col]! * fit.beta[k]!);
      risk[row] = 1 / (1 + Math.exp(-eta));
    }
    aucs.push(auc(test.map((i) => risk[i]!), test.map((i) => full.y[i]!)));
  }
  const mean = aucs.reduce((s, a) => s + a, 0) / aucs.length;
  return { auc: { mean, folds: aucs }, calibration: calibration(risk, full.y), unsettled };
}

/** Area under the ROC curve by Mann–Whitney: the chance a case outranks a non-case, ties half. */
function auc(scores: readonly number[], outcomes: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (outcomes[order[k]!] === 1) {
        rankSum += midRank;
        positives++;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Up to ten equal-sized groups of out-of-fold risk (at least ten records each). */
function calibration(risk: Float64Array, y: Uint8Array): CalibrationGroup[] {
  const n = risk.length;
  const groups = Math.max(1, Math.min(10, Math.floor(n / 10)));
  const order = allRows(n).sort((a, b) => risk[a]! - risk[b]! || a - b);
  const result: CalibrationGroup[] = [];
  for (let g = 0; g < groups; g++) {
    const rows = order.slice(Math.floor((g * n) / groups), Math.floor(((g + 1) * n) / groups));
    const predicted = rows.reduce((s, i) => s + risk[i]!, 0) / rows.length;
    const observed = rows.reduce((s, i) => s + y[i]!, 0) / rows.length;
    result.push({ predicted, observed, n: rows.length });
  }
  return result;
}

function assertFinite(report: RiskReport): void {
  const numbers = [
    ...report.terms.flatMap((t) => [t.odds_ratio, t.ci_low, t.ci_high, t.p_value]),
    report.auc.mean,
    ...report.auc.folds,
    ...report.calibration.flatMap((c) => [c.predicted, c.observed]),
  ];
  if (!numbers.every(Number.isFinite)) {
    throw new RiskModelError("The model could not be estimated reliably from these records.");
  }
}

/**
 * The complementary error function, accurate to about 1e-13 relative: a series of positive
 * terms below 1, a continued fraction (modified Lentz) above.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1) {
    // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= (2 * x * x) / (2 * k + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Two-sided p-value of a standard-normal statistic. */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}
