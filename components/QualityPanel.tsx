/** The dashboard's data quality panel: unknown values, possible duplicates, values to check. */
import { formatCount } from "../lib/count_format.ts";
import { formatPercent } from "../lib/intervals.ts";
import { FIELD_LABELS, FIELD_RULES } from "../lib/patient_fields.ts";
import { limitLabel, type Quality } from "../lib/patient_quality.ts";
import { DEFAULT_LIST_QUERY, type PatientFilter } from "../lib/patient_query.ts";
import { listUrl } from "./htmx.ts";

/** Groups and values listed on the page; the API has them all. */
const SHOWN = 20;

const n = formatCount;

function PatientLink({ id }: { id: number }) {
  return <a href={`/patients/${id}`}>{`Patient ${id}`}</a>;
}

function More({ count, what }: { count: number; what: string }) {
  if (count <= SHOWN) return null;
  return (
    <p class="hint">
      {`And ${n(count - SHOWN)} more ${what}: `}
      <a href="/api/patient_data/quality">the quality report (JSON)</a> lists them all.
    </p>
  );
}

export function QualityPanel({ quality, filter }: { quality: Quality; filter: PatientFilter }) {
  const { total, missing, possible_duplicates: duplicates, check } = quality;
  const share = (x: number) => (total === 0 ? "" : ` (${formatPercent(x / total)})`);
  const unknownSmoking = FIELD_RULES.smoking_status.missing;
  return (
    <section class="insight-section" aria-labelledby="quality-title">
      <h2 id="quality-title">Data quality</h2>
      <p class="hint">
        Gaps and oddities in the {n(total)}{" "}
        records above. Nothing here is refused: unusual values are for you to check.
      </p>
      <div class="quality-grid">
        <div class="card quality-card">
          <h3>Unknown values</h3>
          <ul class="plain-list">
            <li>
              {`${FIELD_LABELS.bmi}: ${n(missing.bmi)} unknown${share(missing.bmi)}`}
              {missing.bmi > 0 && <span class="hint">— left out of the risk model</span>}
            </li>
            <li>
              {`${FIELD_LABELS.smoking_status}: `}
              {missing.smoking_status > 0
                ? (
                  <a
                    href={listUrl({
                      ...DEFAULT_LIST_QUERY,
                      filter: { ...filter, smoking_status: unknownSmoking },
                    })}
                  >
                    {`${n(missing.smoking_status)} ${unknownSmoking}`}
                  </a>
                )
                : `0 ${unknownSmoking}`}
              {share(missing.smoking_status)}
            </li>
          </ul>
        </div>
        <div class="card quality-card">
          <h3>Possible duplicates</h3>
          {duplicates.length === 0
            ? <p>No two records have the same values in every field but the ID.</p>
            : (
              <>
                <p>
                  {`${n(duplicates.length)} ${
                    duplicates.length === 1 ? "group" : "groups"
                  } of records equal in every field but the ID:`}
                </p>
                <ul class="plain-list duplicate-list">
                  {duplicates.slice(0, SHOWN).map((ids) => (
                    <li>
                      {ids.map((id, i) => (
                        <>
                          {i > 0 && ", "}
                          <PatientLink id={id} />
                        </>
                      ))}
                    </li>
                  ))}
                </ul>
                <More count={duplicates.length} what="groups" />
              </>
            )}
        </div>
        <div class="card quality-card">
          <h3>Values to check</h3>
          <p class="hint">
            {check.limits.map((limit) => limitLabel(limit)).join("; ")}.
          </p>
          {check.values.length === 0 ? <p>None.</p> : (
            <>
              <ul class="plain-list check-list">
                {check.values.slice(0, SHOWN).map((v) => (
                  <li>
                    <PatientLink id={v.id} />
                    {`: ${FIELD_LABELS[v.field]} ${v.value}`}
                  </li>
                ))}
              </ul>
              <More count={check.values.length} what="values" />
              {check.truncated && (
                <p class="hint">Only the first {n(check.values.length)} are listed.</p>
              )}
            </>
          )}
        </div>
      </div>
    </section>
  );
}
