/** The codebook's FHIR section: each field's FHIR element and codes, and the app's own code systems. */
import { type FhirMappingBook, systemName } from "../lib/codebook.ts";
import { WithCode } from "./CodebookPage.tsx";

export function FhirMappingTable({ book }: { book: FhirMappingBook }) {
  return (
    <section id="fhir" aria-labelledby="fhir-heading">
      <h2 id="fhir-heading">FHIR R4 mapping</h2>
      <p>
        How <a href="/fhir/metadata">the FHIR API</a>{" "}
        and its Bulk Data export write each field: the resource and element, and the codes (LOINC,
        SNOMED CT and ICD-10 where one exists, the app's own code system otherwise). An unknown
        value is written as <code>dataAbsentReason</code>.{" "}
        <a href="/codebook/fhir.json">As JSON</a>, with the app's code systems as CodeSystem
        resources.
      </p>
      <div class="table-wrap" tabindex={0} role="region" aria-label="FHIR mapping">
        <table class="table fhir-mapping">
          <caption class="visually-hidden">FHIR element and codes of each field</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">FHIR</th>
              <th scope="col">Codes</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {book.mapping.map((row) => (
              <tr id={`fhir-${row.of}-${row.field}`}>
                <th scope="row">
                  <code>{row.field}</code>{" "}
                  {row.of === "admission" && <span class="muted">(admission)</span>}
                </th>
                <td>
                  {row.resource === null
                    ? <span class="muted">not written</span>
                    : <code>{row.element}</code>}
                </td>
                <td>
                  {row.codes.length > 0 && (
                    <ul class="plain-list">
                      {row.codes.map((c) => (
                        <li>
                          <span class="muted">{systemName(c.system)}</span> <code>{c.code}</code>
                          {` ${c.display}`}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  <WithCode text={row.note} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>The app's own code systems</h3>
      <ul>
        {book.code_systems.map((system) => (
          <li>
            {system.title} <code>{system.url}</code>: {(system.concept ?? []).map((c, i) => (
              <>
                {i > 0 && ", "}
                <code>{c.code}</code>
              </>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}
