/** `/codebook`: what each column of the record may hold, as the import validates it. */
import { type CodebookEntry, rangeInWords } from "../lib/codebook.ts";

function Allowed({ entry }: { entry: CodebookEntry }) {
  if (entry.allowed) {
    return (
      <ul class="plain-list">
        {entry.allowed.map((a) => (
          <li>
            <code>{String(a.value)}</code>
            {a.label !== String(a.value) && <span class="muted">{` ${a.label}`}</span>}
          </li>
        ))}
      </ul>
    );
  }
  return <>{rangeInWords(entry.field)}</>;
}

export function CodebookPage({ entries }: { entries: CodebookEntry[] }) {
  return (
    <div class="codebook-page">
      <h1>Codebook</h1>
      <p class="lead">
        The record's fields in the dataset's column order: what each may hold, and how an unknown
        value is written. Forms, the JSON API and the CSV import all check against this table.
      </p>
      <p>
        <a href="/api/codebook?format=csv" download>Download as CSV</a> ·{" "}
        <a href="/api/codebook">as JSON</a> ·{" "}
        <a href="/api/patient_data/import/template" download>Import template</a>
      </p>
      <div class="table-wrap" tabindex={0} role="region" aria-label="Codebook">
        <table class="table codebook">
          <caption class="visually-hidden">Fields of the patient record</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Label</th>
              <th scope="col">Type</th>
              <th scope="col">Allowed</th>
              <th scope="col">Unknown written as</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr id={`field-${entry.field}`}>
                <th scope="row">
                  <code>{entry.field}</code>
                </th>
                <td>{entry.label}</td>
                <td>{entry.type}</td>
                <td>
                  <Allowed entry={entry} />
                </td>
                <td>
                  {entry.missing
                    ? <code>{entry.missing}</code>
                    : <span class="muted">required</span>}
                </td>
                <td>{entry.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
