/**
 * `GET /api/codebook`: what each field of the record (or, `of=admissions`, of an admission) may
 * hold, as JSON or CSV; public (fields, not records).
 */
import { Hono } from "hono";
import { admissionCodebookCsv, codebook, codebookCsv } from "../lib/codebook.ts";
import { admissionCodebook } from "../lib/stroke/admission_fields.ts";
import { type FieldError, InvalidQueryError } from "../lib/errors.ts";
import { onlyKnown } from "../lib/query_params.ts";
import type { AppEnv } from "../http/env.ts";

export const apiCodebookRoutes = new Hono<AppEnv>();

apiCodebookRoutes.get("/", (c) => {
  const params = new URL(c.req.url).searchParams;
  const errors: FieldError[] = [];
  onlyKnown(params, ["format", "of"], errors);
  const format = params.get("format") ?? "json";
  if (format !== "json" && format !== "csv") {
    errors.push({ field: "format", message: "format must be json or csv" });
  }
  const of = params.get("of") ?? "patients";
  if (of !== "patients" && of !== "admissions") {
    errors.push({ field: "of", message: "of must be patients or admissions" });
  }
  if (errors.length) throw new InvalidQueryError(errors);
  const admissions = of === "admissions";
  if (format === "csv") {
    const name = admissions ? "codebook-admissions.csv" : "codebook.csv";
    c.header("Content-Disposition", `attachment; filename="${name}"`);
    return c.body(admissions ? admissionCodebookCsv() : codebookCsv(), 200, {
      "Content-Type": "text/csv; charset=utf-8",
    });
  }
  return c.json(admissions ? admissionCodebook() : codebook());
});
