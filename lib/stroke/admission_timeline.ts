/**
 * An admission's course as the patient page shows it: its known times in the order they
 * happened (onset → arrival → imaging → needle/puncture → discharge) with the time between
 * each and the one before, the door-to-treatment intervals the quality indicators count, and
 * times written on the user's wall clock.
 */
import { type AdmissionFields, TIME_FIELDS, type TimeField } from "./admission_fields.ts";
import { DOOR_TO_NEEDLE_TARGET } from "./quality_indicators.ts";
import { offsetAt, readLocalTime, toLocalInput } from "./time_zone.ts";

/** What each time is called on the timeline. */
export const STEP_LABELS: Readonly<Record<TimeField, string>> = {
  last_known_well_at: "Onset (last known well)",
  arrival_at: "Arrival",
  imaging_at: "Imaging",
  thrombolysis_at: "Thrombolysis (needle)",
  thrombectomy_at: "Thrombectomy (puncture)",
  discharge_at: "Discharge",
};

/** How the step before is named in "20 min after …". */
const AFTER_WORDS: Readonly<Record<TimeField, string>> = {
  last_known_well_at: "onset",
  arrival_at: "arrival",
  imaging_at: "imaging",
  thrombolysis_at: "thrombolysis",
  thrombectomy_at: "the puncture",
  discharge_at: "discharge",
};

/** One step of the timeline. */
export interface TimelineStep {
  field: TimeField;
  label: string;
  at: Date;
  /** Time since the step before (ms), and that step's name; none for the first. */
  sincePrevious?: { ms: number; previous: string };
}

/** The admission's known times, earliest first (the usual order where two are equal). */
export function timelineOf(admission: AdmissionFields): TimelineStep[] {
  const known = TIME_FIELDS.flatMap((field) => {
    const at = admission[field];
    return at ? [{ field, at }] : [];
  }).sort((a, b) => a.at.getTime() - b.at.getTime());
  return known.map(({ field, at }, i) => {
    const before = known[i - 1];
    return {
      field,
      label: STEP_LABELS[field],
      at,
      ...(before
        ? {
          sincePrevious: {
            ms: at.getTime() - before.at.getTime(),
            previous: AFTER_WORDS[before.field],
          },
        }
        : {}),
    };
  });
}

/** The times not recorded, as the page lists them ("Thrombolysis: not given"). */
export function missingSteps(admission: AdmissionFields): { field: TimeField; text: string }[] {
  const words: Partial<Record<TimeField, string>> = {
    last_known_well_at: "Onset: not known",
    imaging_at: "Imaging: not recorded",
    thrombolysis_at: "Thrombolysis: not given",
    thrombectomy_at: "Thrombectomy: not done",
    discharge_at: "Discharge: not yet recorded",
  };
  return TIME_FIELDS.flatMap((field) =>
    admission[field] === null && words[field] ? [{ field, text: words[field]! }] : []
  );
}

/** A door-to-treatment interval of the admission, in minutes, where both times are known. */
export interface AdmissionInterval {
  key: "onset_to_arrival" | "door_to_imaging" | "door_to_needle" | "door_to_puncture";
  label: string;
  minutes: number;
  /** For door to needle: whether it was within the target. */
  withinTarget?: boolean;
}

/** The intervals the quality indicators count, of one admission. */
export function intervalsOf(admission: AdmissionFields): AdmissionInterval[] {
  const arrival = admission.arrival_at.getTime();
  const minutes = (from: number, to: number) => (to - from) / 60_000;
  const out: AdmissionInterval[] = [];
  if (admission.last_known_well_at) {
    out.push({
      key: "onset_to_arrival",
      label: "Onset to arrival",
      minutes: minutes(admission.last_known_well_at.getTime(), arrival),
    });
  }
  if (admission.imaging_at) {
    out.push({
      key: "door_to_imaging",
      label: "Door to imaging",
      minutes: minutes(arrival, admission.imaging_at.getTime()),
    });
  }
  if (admission.thrombolysis_at) {
    const m = minutes(arrival, admission.thrombolysis_at.getTime());
    out.push({
      key: "door_to_needle",
      label: "Door to needle",
      minutes: m,
      withinTarget: m <= DOOR_TO_NEEDLE_TARGET,
    });
  }
  if (admission.thrombectomy_at) {
    out.push({
      key: "door_to_puncture",
      label: "Door to puncture",
      minutes: minutes(arrival, admission.thrombectomy_at.getTime()),
    });
  }
  return out;
}

/** A length of time in words: "45 min", "2 h 5 min", "3 days 4 h". */
export function durationText(ms: number): string {
  const total = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const mins = total % 60;
  if (days > 0) {
    const d = `${days} day${days === 1 ? "" : "s"}`;
    return hours > 0 ? `${d} ${hours} h` : d;
  }
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

/** Minutes as an interval shows them: "45 min", or "2 h 5 min" from two hours. */
export function minutesText(minutes: number): string {
  return durationText(minutes * 60_000);
}

const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();

function dateFormat(zone: string): Intl.DateTimeFormat {
  let format = DATE_FORMATS.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      day: "numeric",
      month: "short",
      year: "numeric",
      timeZone: zone,
    });
    if (DATE_FORMATS.size > 50) DATE_FORMATS.clear();
    DATE_FORMATS.set(zone, format);
  }
  return format;
}

/**
 * An instant on the wall clock of `zone`: "10 Mar 2025, 09:00", only "09:00" when it is on the
 * same day as `sameDayAs`; with its offset, "(UTC+01:00)", when that time of day happened twice.
 */
export function wallClockText(instant: Date, zone: string, sameDayAs?: Date): string {
  const local = toLocalInput(instant, zone);
  const time = local.slice(11, 16);
  const sameDay = sameDayAs !== undefined &&
    toLocalInput(sameDayAs, zone).slice(0, 10) === local.slice(0, 10);
  const twice = readLocalTime(local, zone).kind === "ambiguous";
  const offset = twice ? ` (UTC${offsetAt(instant, zone)})` : "";
  return sameDay ? `${time}${offset}` : `${dateFormat(zone).format(instant)}, ${time}${offset}`;
}
