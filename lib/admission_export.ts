/**
 * Exporting admissions as CSV: plain (the import's columns, times with the offset of the user's
 * time zone) or de-identified, for sharing outside the care team. The de-identified file carries,
 * for each admission, its patient as the patients' de-identified export writes a record (a random
 * pseudo id, the age in five-year bands, glucose and BMI coarsened when asked, groups smaller than
 * `k_min` left out) and its times moved by the patient's own random shift: whole weeks, the same
 * for every time of the patient, drawn for each export and never kept — so every interval
 * (door-to-needle, onset-to-arrival, length of stay) is exact, and no date is.
 */
import type { StoredAdmission } from "./admission_store.ts";
import { csvLine } from "./csv_writer.ts";
import type { PatientRecord } from "./patient_fields.ts";
import {
  anonymity,
  chunked,
  DEIDENTIFIED_FIELDS,
  deidentifiedCsvCells,
  type DeidentifyOptions,
  type ExportPlan,
  groupOf,
  pseudoId,
} from "./patient_export.ts";
import { shuffledLines } from "./shuffled_lines.ts";
import { ADMISSION_FIELDS, isTimeField } from "./stroke/admission_fields.ts";
import { ADMISSION_CSV_COLUMNS, admissionCsvLine } from "./stroke/admission_json.ts";
import { formatShifted } from "./stroke/time_zone.ts";
import { Pace } from "./work_pace.ts";

/** The columns of a de-identified admissions file: the patient's, then the admission's. */
export const DEIDENTIFIED_ADMISSION_COLUMNS = [
  ...DEIDENTIFIED_FIELDS,
  ...ADMISSION_FIELDS,
] as const;

/** The most weeks a patient's times are moved, either way (so up to 182 days). */
export const MAX_SHIFT_WEEKS = 26;
const WEEK_MS = 7 * 86_400_000;
/** Lines joined into one piece of the response. */
const EXPORT_LINES = 200;
/** Rows read between two breaths. */
const SLICE_ROWS = 500;

/**
 * A patient's shift: a whole number of weeks from −26 to +26, never 0 (no patient keeps the real
 * dates), each of the 52 equally likely, from the system's cryptographic generator. Whole weeks
 * keep the time of day and the day of the week (out-of-hours and weekend care are what registries
 * compare); see docs/decisions.md.
 */
export function dateShiftMs(): number {
  const choices = 2 * MAX_SHIFT_WEEKS;
  const fair = 256 - (256 % choices); // bytes from `fair` up would favour the first choices
  const byte = new Uint8Array(1);
  do crypto.getRandomValues(byte); while (byte[0]! >= fair);
  const pick = byte[0]! % choices;
  const weeks = pick < MAX_SHIFT_WEEKS ? pick - MAX_SHIFT_WEEKS : pick - MAX_SHIFT_WEEKS + 1;
  return weeks * WEEK_MS;
}

/** The plain export: the import's header, then a line per admission (times in `zone`). */
export async function* plainAdmissionChunks(
  admissions: AsyncIterable<StoredAdmission>,
  zone: string,
): AsyncIterable<string> {
  yield csvLine(ADMISSION_CSV_COLUMNS);
  let lines = "";
  let count = 0;
  for await (const admission of admissions) {
    lines += admissionCsvLine(admission.patient_id, admission, zone);
    if (++count % EXPORT_LINES === 0) {
      yield lines;
      lines = "";
    }
  }
  if (lines) yield lines;
}

/** A patient of the de-identified file: its cells, its group, and (once drawn) its pseudonyms. */
interface Subject {
  cells: string;
  group: string;
  /** Its live admissions when the export began. */
  admissions: number;
  /** The pseudo id and the cells, once the patient's first admission is written. */
  prefix?: string;
  shift?: number;
}

/** An admission's cells with its times moved by `shift`, written with their real offsets. */
function shiftedCells(admission: StoredAdmission, shift: number, zone: string): string {
  return csvLine(ADMISSION_FIELDS.map((field) => {
    const value = admission[field];
    if (value === null) return null;
    return isTimeField(field)
      ? formatShifted(value as Date, shift, zone)
      : value as string | number;
  })).trimEnd();
}

/** The key of a patient's life: its id and its record's creation time (see `sameLife`). */
const lifeKey = (id: number, created: Date | null | undefined) =>
  `${id}:${created?.getTime() ?? "-"}`;

/**
 * A de-identified admissions export, planned in two reads before its first row so that k and the
 * rows left out are in the headers: `count` every stored live admission (by patient and life),
 * then `add` every live patient record — the reading of the records the export makes anyway to
 * know which patients are live — keeping the de-identified cells and group of those admitted
 * (about 280 bytes a patient with admissions). `plan` then writes the admissions of the live
 * patients (read a second time) in a random order. An admission of a patient not seen by `add`
 * (added meanwhile) is left out.
 */
export class DeidentifiedAdmissions {
  readonly #options: { kMin: number; coarsen: boolean };
  readonly #counts = new Map<string, number>();
  readonly #subjects = new Map<number, Subject>();
  readonly #groups = new Map<string, number>();
  readonly #pace = new Pace();
  #read = 0;

  constructor({ kMin = 1, coarsen = false }: DeidentifyOptions) {
    this.#options = { kMin, coarsen };
  }

  /** Counts the scope's live admissions by patient and life (their patients not yet checked). */
  async count(admissions: AsyncIterable<StoredAdmission>): Promise<void> {
    for await (const admission of admissions) {
      const key = lifeKey(admission.patient_id, admission.patient_created_at);
      this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
      if (++this.#read % SLICE_ROWS === 0) await this.#pace.breathe();
    }
  }

  /** A live patient record: kept (its cells and group) when it has live admissions. */
  add(record: PatientRecord): void {
    const admissions = this.#counts.get(lifeKey(record.id, record.created_at));
    if (admissions === undefined || this.#subjects.has(record.id)) return;
    const { coarsen } = this.#options;
    const group = groupOf(record, coarsen);
    this.#subjects.set(record.id, {
      cells: deidentifiedCsvCells(record, coarsen),
      group,
      admissions,
    });
    this.#groups.set(group, (this.#groups.get(group) ?? 0) + 1);
  }

  /** The export of `admissions` (the live patients' live admissions), in `zone`'s offsets. */
  plan(admissions: AsyncIterable<StoredAdmission>, zone: string): ExportPlan {
    const { kMin } = this.#options;
    const { k } = anonymity(this.#groups, kMin);
    const small = new Set([...this.#groups].filter(([, n]) => n < kMin).map(([key]) => key));
    let suppressed = 0;
    for (const subject of this.#subjects.values()) {
      if (small.has(subject.group)) suppressed += subject.admissions;
    }
    const subjects = this.#subjects;
    const pace = this.#pace;
    async function* rows(): AsyncIterable<string> {
      let seen = 0;
      for await (const admission of admissions) {
        if (++seen % SLICE_ROWS === 0) await pace.breathe();
        const subject = subjects.get(admission.patient_id);
        if (!subject || small.has(subject.group)) continue;
        subject.prefix ??= `${pseudoId()},${subject.cells}`;
        subject.shift ??= dateShiftMs();
        yield `${subject.prefix},${shiftedCells(admission, subject.shift, zone)}`;
      }
    }
    async function* lines(): AsyncIterable<string> {
      for await (const row of shuffledLines(rows())) yield `${row}\r\n`;
    }
    return {
      k,
      suppressed,
      body: chunked(lines(), "csv", csvLine(DEIDENTIFIED_ADMISSION_COLUMNS)),
    };
  }
}
