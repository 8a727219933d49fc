/** `GET /codebook`: the codebook page (with the FHIR mapping), public like the API's codebook. */
import { Hono } from "hono";
import { CodebookPage } from "../components/CodebookPage.tsx";
import { FhirMappingTable } from "../components/FhirMappingTable.tsx";
import { codebook, fhirMapping } from "../lib/codebook.ts";
import { admissionCodebook } from "../lib/stroke/admission_fields.ts";
import type { AppEnv } from "../http/env.ts";

export const codebookRoutes = new Hono<AppEnv>()
  .get(
    "/",
    (c) =>
      c.render(
        <CodebookPage entries={codebook()} admissions={admissionCodebook()}>
          <FhirMappingTable book={fhirMapping()} />
        </CodebookPage>,
        { title: "Codebook" },
      ),
  )
  // The FHIR mapping as JSON: `{"mapping":[…],"code_systems":[CodeSystem…]}`.
  .get("/fhir.json", (c) => c.json(fhirMapping()));
