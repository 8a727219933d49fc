/**
 * An admission as the API and the CSV files write it: every date-time with its offset in the
 * user's time zone (`2026-10-25T01:30:00+01:00`), so that it reads as the clock on the ward read
 * and still names one instant; an unknown value is null in JSON and an empty cell in CSV.
 */
import { csvLine } from "../csv_writer.ts";
import { type Admission, ADMISSION_FIELDS, isTimeField } from "./admission_fields.ts";
import { formatWithOffset } from "./time_zone.ts";

/** An admission's JSON, date-times in `zone` with their offset, in the fields' order. */
export function admissionToJson(
  admission: Admission,
  zone: string,
): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const field of ADMISSION_FIELDS) {
    const value = admission[field];
    out[field] = value instanceof Date ? formatWithOffset(value, zone) : value;
  }
  return out;
}

/** The columns of an admissions CSV file (import template and export). */
export const ADMISSION_CSV_COLUMNS = ["patient_id", ...ADMISSION_FIELDS] as const;

/** One admission as a CSV line (CRLF-ended), date-times in `zone` with their offset. */
export function admissionCsvLine(patientId: number, admission: Admission, zone: string): string {
  return csvLine([
    patientId,
    ...ADMISSION_FIELDS.map((field) => {
      const value = admission[field];
      if (value === null) return null;
      return isTimeField(field) ? formatWithOffset(value as Date, zone) : value as string | number;
    }),
  ]);
}
