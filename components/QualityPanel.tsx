/**
 * The dashboard's data quality panel: unknown values, possible duplicates, values to check,
 * values the original app stored otherwise than the field rules say, and admissions to check.
 */
import { formatCount } from "../lib/count_format.ts";
import { formatPercent } from "../lib/intervals.ts";
import { FIELD_LABELS, FIELD_RULES } from "../lib/patient_fields.ts";
import type { QualityReport } from "../lib/insight_service.ts";
import { limitLabel, type Quality, type StoredValueToCheck } from "../lib/patient_quality.ts";
import { MRS_90D_WINDOW_DAYS } from "../lib/stroke/admission_checks.ts";
import { DEFAULT_LIST_QUERY, type PatientFilter } from "../lib/patient_query.ts";
import { listUrl } from "./htmx.ts";
import { here } from "./registry_url.ts";
import { patientPageUrl } from "./stroke/AdmissionPages.tsx";

/** Groups and values listed on the page; the API has them all. */
const SHOWN = 20;

const n = formatCount;

function PatientLink({ id }: { id: number }) {
  return <a href={here(`/patients/${id}`)}>{`Patient ${id}`}</a>;
}

/** What is wrong with a stored value, in words: `stored as text "67"`, `"sixty" cannot be read`. */
function problemText({ value, problem }: StoredValueToCheck): string {
  const shown = typeof value === "string" ? `“${value}”` : JSON.stringify(value);
  if (problem === "missing") return "is missing";
  if (problem === "text") return `is stored as text, ${shown}`;
  if (problem === "out_of_range") return `${shown} is outside the allowed range`;
  return `${shown} cannot be read`;
}

/** The values the original app stored otherwise than the field rules say, when there are any. */
function StoredValues({ unreadable }: { unreadable: Quality["unreadable"] }) {
  if (unreadable.records === 0) return null;
  return (
    <div class="card quality-card">
      <h3>Values from the original app</h3>
      <p class="hint">
        {`${n(unreadable.records)} ${
          unreadable.records === 1 ? "record holds" : "records hold"
        } values not stored as the field rules say. Numbers stored as text are shown and counted, but age filters and sorting see them only once the record is saved again; correct the others when you edit the record.`}
      </p>
      <ul class="plain-list check-list">
        {unreadable.values.slice(0, SHOWN).map((v) => (
          <li>
            {v.id === null ? "A record whose ID cannot be read" : <PatientLink id={v.id} />}
            {`: ${FIELD_LABELS[v.field]} ${problemText(v)}`}
          </li>
        ))}
      </ul>
      <More count={unreadable.values.length} what="values" />
      {unreadable.truncated && (
        <p class="hint">Only the first {n(unreadable.values.length)} values are listed.</p>
      )}
    </div>
  );
}

/** The admissions to check, rule by rule, each listed one linking to it on its patient's page. */
function AdmissionChecks({ admissions }: { admissions: QualityReport["admissions"] }) {
  const { total, as_of, time_zone, checks } = admissions;
  const counted = `${n(total)} ${total === 1 ? "admission" : "admissions"} of these records.`;
  const days = `Days are ${time_zone}'s (today is ${as_of}): a 90-day mRS is missing once the ` +
    `patient was discharged alive more than ${MRS_90D_WINDOW_DAYS} days ago.`;
  return (
    <div class="card quality-card quality-card-wide" id="admission-checks">
      <h3>Admissions to check</h3>
      <p class="hint">{`${counted} ${days}`}</p>
      <ul class="plain-list check-rules">
        {checks.map((check) => (
          <li data-key={check.key}>
            <strong>{check.label}</strong>
            {`: ${n(check.count)}`}
            <span class="hint check-why">
              {`${check.why.charAt(0).toUpperCase()}${check.why.slice(1)}.`}
            </span>
            {check.admissions.length > 0 && (
              <ul class="plain-list check-list admission-list">
                {check.admissions.slice(0, SHOWN).map((a) => (
                  <li>
                    <a href={patientPageUrl(a.patient_id, a.admission_id)}>
                      {`Patient ${a.patient_id}, admission ${a.admission_id}`}
                    </a>
                  </li>
                ))}
              </ul>
            )}
            <More count={check.admissions.length} what="admissions" />
            {check.truncated && (
              <p class="hint">Only the first {n(check.admissions.length)} are listed.</p>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function More({ count, what }: { count: number; what: string }) {
  if (count <= SHOWN) return null;
  return (
    <p class="hint">
      {`And ${n(count - SHOWN)} more ${what}: `}
      <a href={here("/api/patient_data/quality")}>the quality report (JSON)</a> lists them all.
    </p>
  );
}

export function QualityPanel(
  { quality, filter }: { quality: QualityReport; filter: PatientFilter },
) {
  const { total, missing, possible_duplicates: duplicates, check, unreadable } = quality;
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
        <StoredValues unreadable={unreadable} />
        <AdmissionChecks admissions={quality.admissions} />
      </div>
    </section>
  );
}
