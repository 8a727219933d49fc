/** `/codebook`: what each column of the record and of an admission may hold, as the imports validate them. */
import type { Child } from "hono/jsx";
import { type CodebookEntry, rangeInWords } from "../lib/codebook.ts";
import { formatCount } from "../lib/count_format.ts";
import type { AdmissionCodebookEntry } from "../lib/stroke/admission_fields.ts";

/** Codes a field takes, each with its meaning when that says more than the code. */
function AllowedList({ allowed }: { allowed: { value: string | number; label: string }[] }) {
  return (
    <ul class="plain-list">
      {allowed.map((a) => (
        <li>
          <code>{String(a.value)}</code>
          {a.label !== String(a.value) && <span class="muted">{` ${a.label}`}</span>}
        </li>
      ))}
    </ul>
  );
}

function Allowed({ entry }: { entry: CodebookEntry }) {
  if (entry.allowed) return <AllowedList allowed={entry.allowed} />;
  return <>{rangeInWords(entry.field)}</>;
}

/** A description whose `quoted` parts are values as written in the data: shown as code. */
export function WithCode({ text }: { text: string }) {
  const parts = text.split("`");
  // An odd count of backticks leaves the last one as it is (text, not a half-open code).
  const closed = parts.length % 2 === 1
    ? parts
    : [...parts.slice(0, -2), parts.slice(-2).join("`")];
  return <>{closed.map((part, i) => i % 2 === 1 ? <code>{part}</code> : part)}</>;
}

/** One field's row: its column name, label, type, what it may hold, how unknown is written. */
function FieldRow(
  props: {
    id: string;
    field: string;
    label: string;
    type: string;
    allowed: Child;
    unknown: Child;
    description: string;
  },
) {
  return (
    <tr id={props.id}>
      <th scope="row">
        <code>{props.field}</code>
      </th>
      <td>{props.label}</td>
      <td>{props.type}</td>
      <td>{props.allowed}</td>
      <td>{props.unknown}</td>
      <td>
        <WithCode text={props.description} />
      </td>
    </tr>
  );
}

const COLUMNS = ["Column", "Label", "Type", "Allowed", "Unknown written as", "Description"];

/** A table of fields (`FieldRow`s), in a region that scrolls sideways on a narrow screen. */
function FieldTable(
  { label, caption, name, children }: {
    label: string;
    caption: string;
    /** Its class beside `table`. */
    name: string;
    children: Child;
  },
) {
  return (
    <div class="table-wrap" tabindex={0} role="region" aria-label={label}>
      <table class={`table ${name}`}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>{COLUMNS.map((heading) => <th scope="col">{heading}</th>)}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

const required = <span class="muted">required</span>;

/** A codebook as CSV and JSON (`codebook`, without `format`), and its import's template. */
function DownloadLinks({ codebook, template }: { codebook: string; template: string }) {
  const csv = `${codebook}${codebook.includes("?") ? "&" : "?"}format=csv`;
  return (
    <p>
      <a href={csv} download>Download as CSV</a> · <a href={codebook}>as JSON</a> ·{" "}
      <a href={template} download>Import template</a>
    </p>
  );
}

/** The page: the record's table, the admissions' table, then `children` (the FHIR mapping). */
export function CodebookPage(
  { entries, admissions, children }: {
    entries: CodebookEntry[];
    admissions: AdmissionCodebookEntry[];
    children?: Child;
  },
) {
  return (
    <div class="codebook-page">
      <h1>Codebook</h1>
      <p class="lead">
        The record's fields in the dataset's column order: what each may hold, and how an unknown
        value is written. Forms, the JSON API and the CSV import all check against this table.
      </p>
      <DownloadLinks codebook="/api/codebook" template="/api/patient_data/import/template" />
      <FieldTable label="Codebook" caption="Fields of the patient record" name="codebook">
        {entries.map((entry) => (
          <FieldRow
            {...entry}
            id={`field-${entry.field}`}
            allowed={<Allowed entry={entry} />}
            unknown={entry.missing ? <code>{entry.missing}</code> : required}
          />
        ))}
      </FieldTable>
      <AdmissionCodebook entries={admissions} />
      {children}
    </div>
  );
}

/** What an admission's field may hold, in words: its codes, or its range, or a date-time. */
function AdmissionAllowed({ entry }: { entry: AdmissionCodebookEntry }) {
  if (entry.allowed) return <AllowedList allowed={entry.allowed} />;
  if (entry.type === "date-time") return <>date and time with its UTC offset</>;
  const max = entry.max === undefined ? "" : ` to ${formatCount(entry.max)}`;
  return <>{`whole number from ${entry.min}${max}${entry.unit ? ` ${entry.unit}` : ""}`}</>;
}

/**
 * The admissions' fields (and `patient_id`), as their CSV import and export hold them; from the
 * same rules table as the admission forms, the API's validator and the import template.
 */
function AdmissionCodebook({ entries }: { entries: AdmissionCodebookEntry[] }) {
  return (
    <section aria-labelledby="admissions">
      <h2 id="admissions">Admissions</h2>
      <p>
        A patient's acute stroke admissions, in their CSV files' column order (after{" "}
        <code>patient_id</code>, the patient's ID). An unknown value is an empty cell.
      </p>
      <DownloadLinks
        codebook="/api/codebook?of=admissions"
        template="/api/admissions/import/template"
      />
      <FieldTable
        label="Codebook of admissions"
        caption="Fields of an admission"
        name="codebook-admissions"
      >
        {entries.map((entry) => (
          <FieldRow
            {...entry}
            id={`admission-field-${entry.field}`}
            allowed={<AdmissionAllowed entry={entry} />}
            unknown={entry.nullable ? <span>an empty cell</span> : required}
          />
        ))}
      </FieldTable>
    </section>
  );
}
