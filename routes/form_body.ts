/** Reading submitted forms: text fields by name, and a patient form's fields as typed. */
import type { Context } from "hono";
import { PATIENT_FIELDS, type PatientField } from "../lib/patient_fields.ts";

/** A text field of a submitted form ("" when absent or a file). */
export async function formText(c: Context, name: string): Promise<string> {
  const value = (await c.req.parseBody())[name];
  return typeof value === "string" ? value : "";
}

/** The submitted patient fields as text (only the dataset's names are read). */
export async function patientFormValues(
  c: Context,
): Promise<Partial<Record<PatientField, string>>> {
  const body = await c.req.parseBody();
  const out: Partial<Record<PatientField, string>> = {};
  for (const field of PATIENT_FIELDS) {
    const value = body[field];
    if (typeof value === "string") out[field] = value;
  }
  return out;
}
