/**
 * The dashboard's risk factors: odds ratios of the logistic regression as a forest plot, the
 * cross-validated AUC, a calibration table and the model's warnings, worded as associations.
 */
import { formatCount } from "../lib/count_format.ts";
import { formatPercent } from "../lib/intervals.ts";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  type CategoricalField,
  FIELD_LABELS,
  isPatientField,
} from "../lib/patient_fields.ts";
import { valueLabel } from "../lib/patient_format.ts";
import type { RiskReport, RiskTerm } from "../lib/risk_model.ts";
import { ForestPlot, type ForestTerm } from "./Charts.tsx";

const n = formatCount;

function isCategorical(field: string): field is CategoricalField {
  return (CATEGORICAL_FIELDS as string[]).includes(field);
}

/** Fields with a yes/no answer: the term is named by the field, against "No". */
function isYesNo(field: CategoricalField): boolean {
  return CATEGORICAL_VALUES[field].length === 2 &&
    CATEGORICAL_VALUES[field].some((v) => valueLabel(field, v) === "No");
}

/**
 * A term as the forest plot names it: "Age" per 10 years, "Hypertension" vs No, "Male" vs
 * Female (the table and screen readers get the same words).
 */
function forestTerm(term: RiskTerm): ForestTerm {
  const field = term.field;
  const fieldLabel = field === "avg_glucose_level"
    ? "Glucose"
    : isPatientField(field)
    ? FIELD_LABELS[field]
    : field;
  let named: Pick<ForestTerm, "label" | "reference" | "detail">;
  if (!isCategorical(field)) named = { label: fieldLabel, detail: term.per && `per ${term.per}` };
  else {
    const level = valueLabel(field, term.term.slice(field.length + 1));
    const reference = valueLabel(field, term.reference ?? "");
    named = isYesNo(field) ? { label: fieldLabel, reference } : { label: level, reference };
  }
  // A level with only strokes or none has the penalty's estimate alone: shown as not estimable.
  const numbers = term.separated
    ? { oddsRatio: NaN, low: NaN, high: NaN, pValue: NaN }
    : { oddsRatio: term.odds_ratio, low: term.ci_low, high: term.ci_high, pValue: term.p_value };
  return { ...named, ...numbers };
}

function Calibration({ groups }: { groups: RiskReport["calibration"] }) {
  return (
    <div class="table-wrap" role="region" aria-label="Calibration" tabindex={0}>
      <table class="table chart-table calibration-table">
        <caption>
          Calibration: predicted against observed stroke rate, in groups of records ordered by their
          cross-validated predicted risk
        </caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" class="num">Records</th>
            <th scope="col" class="num">Predicted</th>
            <th scope="col" class="num">Observed</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g, i) => (
            <tr>
              <th scope="row">{String(i + 1)}</th>
              <td class="num">{n(g.n)}</td>
              <td class="num">{formatPercent(g.predicted)}</td>
              <td class="num">{formatPercent(g.observed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RiskPanel({ risk }: { risk: RiskReport | { refused: string } }) {
  if ("refused" in risk) {
    return (
      <section class="insight-section" aria-labelledby="risk-title">
        <h2 id="risk-title">Risk factors</h2>
        <p class="alert insight-refused" role="status">
          The risk model cannot be fitted to these records. {risk.refused}
        </p>
      </section>
    );
  }
  const { auc } = risk;
  const separated = risk.terms.filter((t) => t.separated);
  return (
    <section class="insight-section" aria-labelledby="risk-title">
      <h2 id="risk-title">Risk factors</h2>
      <p class="lead risk-note">{risk.note}</p>
      <dl class="insight-summary">
        <div>
          <dt>Records used</dt>
          <dd>{n(risk.n)}</dd>
        </div>
        <div>
          <dt>Strokes among them</dt>
          <dd>{n(risk.events)}</dd>
        </div>
        <div>
          <dt>Left out (unknown BMI)</dt>
          <dd>{n(risk.excluded)}</dd>
        </div>
        <div>
          <dt>AUC, cross-validated</dt>
          <dd>{auc.mean.toFixed(2)}</dd>
        </div>
      </dl>
      <p class="hint">
        The AUC is the chance that the model ranks a record with a stroke above one without: 0.5 is
        a coin toss, 1 is perfect. Mean of {auc.folds.length} folds (
        {auc.folds.map((a) => a.toFixed(2)).join(", ")}), each predicted by a model fitted without
        it.
      </p>
      <div class="chart-grid risk-grid">
        <ForestPlot
          id="risk-forest"
          title="Odds ratios of stroke"
          description="Each factor with the others held equal; above 1: more strokes recorded with it. 95% Wald intervals."
          terms={risk.terms.map(forestTerm)}
        />
        <div class="card risk-side">
          <Calibration groups={risk.calibration} />
          {separated.length > 0 && (
            <p class="hint">
              Not estimable: {separated.map((t) => t.term).join(", ")}{" "}
              — every record with it had a stroke, or none did.
            </p>
          )}
        </div>
        {risk.warnings.length > 0 && (
          <div class="card risk-warnings">
            <h3>Read with care</h3>
            <ul>
              {risk.warnings.map((warning) => <li>{warning}</li>)}
            </ul>
          </div>
        )}
      </div>
      <p class="hint risk-method">{risk.method}</p>
    </section>
  );
}
