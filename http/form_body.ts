/** Reading submitted forms: text fields by name, and a patient form's fields as typed. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { PATIENT_FIELDS, type PatientField } from "../lib/patient_fields.ts";

type FormBody = Awaited<ReturnType<Context["req"]["parseBody"]>>;

/**
 * The submitted form (URL-encoded or multipart; read once, then kept by Hono). A body that
 * cannot be read as its `Content-Type` says — multipart without its boundary, or with one the
 * body does not use — is a 400, not a fault of the app.
 */
export async function readForm(c: Context): Promise<FormBody> {
  try {
    return await c.req.parseBody();
  } catch {
    throw new HTTPException(400, {
      message: "The form could not be read. Reload the page and send it again.",
    });
  }
}

/** A text field of a submitted form ("" when absent or a file). */
export async function formText(c: Context, name: string): Promise<string> {
  const value = (await readForm(c))[name];
  return typeof value === "string" ? value : "";
}

/** The submitted patient fields as text (only the dataset's names are read). */
export async function patientFormValues(
  c: Context,
): Promise<Partial<Record<PatientField, string>>> {
  const body = await readForm(c);
  const out: Partial<Record<PatientField, string>> = {};
  for (const field of PATIENT_FIELDS) {
    const value = body[field];
    if (typeof value === "string") out[field] = value;
  }
  return out;
}
