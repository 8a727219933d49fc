/**
 * Time zones for admissions: wall-clock times entered in a form (`YYYY-MM-DDTHH:mm`, as an
 * `<input type="datetime-local">` sends them) read in an IANA zone, and instants written back
 * in it with their offset. Built on `Temporal` (Deno 2.9 has it without a flag), which knows
 * every daylight-saving rule of the runtime's time-zone database.
 *
 * A wall-clock time on a fall-back night (01:30 in Europe/London on the last Sunday of October)
 * happens twice: both candidates are returned and the caller picks one by its offset; without
 * a choice the earlier one is taken (docs/decisions.md). A time in a spring-forward gap (01:30
 * on the last Sunday of March in London) never happened and is refused.
 */

/** A wall-clock date and time as a datetime-local input sends it (seconds optional). */
export const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** An instant as JSON carries it: a date, a time and a UTC offset (`Z` or `±HH:MM`). */
export const OFFSET_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A UTC offset as ISO 8601 writes it. */
export const UTC_OFFSET = /^(?:Z|[+-]\d{2}:\d{2})$/;

/** The longest zone name accepted (the longest IANA name has 30 characters). */
const MAX_ZONE_NAME = 64;

let zoneList: readonly string[] | null = null;
let zoneSet: ReadonlySet<string> | null = null;

/** Every IANA zone this runtime knows (for a select in the profile), UTC first. */
export function timeZoneNames(): readonly string[] {
  if (!zoneList) {
    const names = Intl.supportedValuesOf("timeZone").filter((name) => name !== "UTC");
    zoneList = ["UTC", ...names];
    zoneSet = new Set(zoneList);
  }
  return zoneList;
}

/**
 * The zone `name` names, spelled as its IANA name (`europe/london` → `Europe/London`), or null
 * when it is not an IANA zone this runtime knows. Offsets (`+01:00`) are not zones: a fixed
 * offset would be wrong for half the year wherever clocks change.
 */
export function normaliseTimeZone(name: string): string | null {
  if (name.length === 0 || name.length > MAX_ZONE_NAME || /^[+-]|^etc\/gmt[+-]/i.test(name)) {
    return null;
  }
  timeZoneNames();
  let canonical: string;
  let spelled: string;
  try {
    canonical = new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
    spelled = new Temporal.ZonedDateTime(0n, name).timeZoneId;
  } catch {
    return null;
  }
  return zoneSet!.has(canonical) || canonical === "UTC" ? spelled : null;
}

/** Whether `name` is an IANA zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  return normaliseTimeZone(name) !== null;
}

/** One reading of a wall-clock time: the instant and the zone's offset then. */
export interface ZonedCandidate {
  instant: Date;
  /** The zone's UTC offset at that instant, `+01:00`. */
  offset: string;
  /** The instant as JSON writes it, `2026-10-25T01:30:00+01:00`. */
  text: string;
}

/** What a wall-clock time is in a zone. */
export type LocalTimeReading =
  | { kind: "unique"; candidate: ZonedCandidate }
  /** A fall-back night: the time happened twice, the earlier (summer-time) reading first. */
  | { kind: "ambiguous"; candidates: [ZonedCandidate, ZonedCandidate] }
  /** A spring-forward night: the time never happened. */
  | { kind: "gap"; message: string }
  | { kind: "invalid"; message: string };

function candidate(zoned: Temporal.ZonedDateTime): ZonedCandidate {
  return {
    instant: new Date(zoned.epochMilliseconds),
    offset: zoned.offset,
    text: zoned.toString({ timeZoneName: "never", fractionalSecondDigits: 0 }),
  };
}

/** `2026-03-29 01:30`, as the messages quote a wall-clock time. */
function shown(local: Temporal.PlainDateTime): string {
  return `${local.toPlainDate().toString()} ${
    local.toPlainTime().toString({ smallestUnit: "minute" })
  }`;
}

/** A wall-clock time from form text, or a message saying what is wrong with it. */
function plainDateTime(local: string): Temporal.PlainDateTime | string {
  const match = LOCAL_DATE_TIME.exec(local);
  if (!match) return "Write the date and time as YYYY-MM-DDTHH:MM";
  const [, y, mo, d, h, mi, s] = match.map((part) => Number(part ?? 0));
  try {
    return Temporal.PlainDateTime.from(
      { year: y!, month: mo!, day: d!, hour: h!, minute: mi!, second: s! },
      { overflow: "reject" },
    );
  } catch {
    return `${local.replace("T", " ")} is not a real date and time`;
  }
}

/**
 * Reads a wall-clock time (`YYYY-MM-DDTHH:mm[:ss]`) in `zone`: one instant, two on a fall-back
 * night (earlier first), none in a spring-forward gap (with a message saying when the clocks
 * went forward), or a message when the text is not a real date and time.
 */
export function readLocalTime(local: string, zone: string): LocalTimeReading {
  const plain = plainDateTime(local);
  if (typeof plain === "string") return { kind: "invalid", message: plain };
  const earlier = plain.toZonedDateTime(zone, { disambiguation: "earlier" });
  const later = plain.toZonedDateTime(zone, { disambiguation: "later" });
  if (earlier.epochNanoseconds === later.epochNanoseconds) {
    return { kind: "unique", candidate: candidate(earlier) };
  }
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), plain) === 0) {
    return { kind: "ambiguous", candidates: [candidate(earlier), candidate(later)] };
  }
  // In a gap `earlier` lies before it in the old offset: the next transition is the jump.
  const jump = earlier.getTimeZoneTransition("next");
  const before = jump ? jump.toInstant().toZonedDateTimeISO(earlier.offset).toPlainTime() : null;
  const after = jump?.toPlainTime();
  const when = before && after
    ? `: the clocks went forward from ${before.toString({ smallestUnit: "minute" })} to ${
      after.toString({ smallestUnit: "minute" })
    } that night`
    : "";
  return {
    kind: "gap",
    message: `${shown(plain)} did not happen in ${zone}${when}. Check the time`,
  };
}

/**
 * The instant a wall-clock time names in `zone`. On a fall-back night `offset` (`+01:00`) says
 * which of the two it is, and without one the earlier is taken; an offset that the zone does
 * not have at that time is refused, as is a time in a spring-forward gap.
 */
export function resolveLocalTime(
  local: string,
  zone: string,
  offset?: string,
): { ok: true; candidate: ZonedCandidate } | { ok: false; message: string } {
  const reading = readLocalTime(local, zone);
  if (reading.kind === "gap" || reading.kind === "invalid") {
    return { ok: false, message: reading.message };
  }
  const candidates = reading.kind === "unique" ? [reading.candidate] : reading.candidates;
  if (offset === undefined || offset === "") return { ok: true, candidate: candidates[0]! };
  const wanted = offset === "Z" ? "+00:00" : offset;
  const chosen = candidates.find((c) => c.offset === wanted);
  if (chosen) return { ok: true, candidate: chosen };
  return {
    ok: false,
    message: `${local.replace("T", " ")} in ${zone} is at UTC ${
      candidates.map((c) => c.offset).join(" or ")
    }, not ${excerptOffset(offset)}`,
  };
}

function excerptOffset(offset: string): string {
  return offset.length > 10 ? `${offset.slice(0, 9)}…` : offset;
}

function zonedOf(instant: Date | number, zone: string): Temporal.ZonedDateTime {
  const ms = typeof instant === "number" ? instant : instant.getTime();
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
}

/**
 * An instant in `zone` with its offset, as JSON carries it: `2026-10-25T01:30:00+01:00`
 * (milliseconds only when there are some).
 */
export function formatWithOffset(instant: Date | number, zone: string): string {
  const zoned = zonedOf(instant, zone);
  const digits = zoned.millisecond === 0 ? 0 : 3;
  return zoned.toString({ timeZoneName: "never", fractionalSecondDigits: digits });
}

/**
 * An instant moved by `shiftMs`, written with the offset `zone` had at the instant itself — not at
 * the moved one — so that the time of day reads as the ward's clock did, and the difference
 * between two moved times is exactly the real one, a clock change between them or not (a
 * de-identified export's times). An offset of seconds (a zone's local mean time before 1900-odd)
 * is not RFC 3339's: such a time is written in UTC.
 */
export function formatShifted(instant: Date | number, shiftMs: number, zone: string): string {
  const real = zonedOf(instant, zone);
  const offset = real.offsetNanoseconds % 60_000_000_000 === 0 ? real.offset : "+00:00";
  return formatWithOffset(real.epochMilliseconds + shiftMs, offset);
}

/** The zone's UTC offset at an instant: `+01:00`. */
export function offsetAt(instant: Date | number, zone: string): string {
  return zonedOf(instant, zone).offset;
}

/** An instant as a datetime-local input shows it in `zone`: `2026-10-25T01:30`. */
export function toLocalInput(instant: Date | number, zone: string): string {
  return zonedOf(instant, zone).toPlainDateTime().toString({ smallestUnit: "minute" });
}

/** Why a text is not an instant with an offset. */
export type OffsetDateTimeProblem = "format" | "no_offset" | "not_real";

/**
 * Reads an ISO 8601 date-time with its offset (`2026-10-25T01:30:00+01:00`, `…Z`) as an instant
 * in UTC; a time without an offset, a text of another shape or an impossible date (30 February,
 * 24:30, an offset beyond ±18:00) is a problem, never a guess.
 */
export function parseOffsetDateTime(
  text: string,
): { ok: true; instant: Date } | { ok: false; problem: OffsetDateTimeProblem } {
  const match = OFFSET_DATE_TIME.exec(text);
  if (!match) {
    const local = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
    return { ok: false, problem: local ? "no_offset" : "format" };
  }
  const offset = match[8]!.toUpperCase();
  if (offset !== "Z" && Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)) > 18 * 60) {
    return { ok: false, problem: "not_real" };
  }
  try {
    const plain = Temporal.PlainDateTime.from({
      year: Number(match[1]),
      month: Number(match[2]),
      day: Number(match[3]),
      hour: Number(match[4]),
      minute: Number(match[5]),
      second: Number(match[6] ?? 0),
      millisecond: Number((match[7] ?? "").padEnd(3, "0")),
    }, { overflow: "reject" });
    const instant = plain.toZonedDateTime(offset === "Z" ? "UTC" : offset).epochMilliseconds;
    return { ok: true, instant: new Date(instant) };
  } catch {
    return { ok: false, problem: "not_real" };
  }
}

/** A calendar date as the period's `from` and `to` take it. */
export const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is a real calendar date `YYYY-MM-DD`. */
export function isPlainDate(text: string): boolean {
  if (!PLAIN_DATE.test(text)) return false;
  try {
    Temporal.PlainDate.from(text, { overflow: "reject" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first instant of a calendar date in `zone` (its midnight, or the first time after it on
 * a night when the clocks skip midnight). Throws a `RangeError` for a date that is not real.
 */
export function startOfDay(date: string, zone: string): Date {
  const day = Temporal.PlainDate.from(date, { overflow: "reject" });
  return new Date(day.toZonedDateTime(zone).epochMilliseconds);
}

/** The calendar date (`YYYY-MM-DD`) an instant falls on in `zone`. */
export function dateIn(instant: Date | number, zone: string): string {
  return zonedOf(instant, zone).toPlainDate().toString();
}

/** The calendar date `days` days before `date` (both `YYYY-MM-DD`). */
export function daysBefore(date: string, days: number): string {
  return Temporal.PlainDate.from(date, { overflow: "reject" }).subtract({ days }).toString();
}

/** The first instant of the day after `date` in `zone`: the end (exclusive) of a period. */
export function endOfDay(date: string, zone: string): Date {
  const day = Temporal.PlainDate.from(date, { overflow: "reject" }).add({ days: 1 });
  return new Date(day.toZonedDateTime(zone).epochMilliseconds);
}

/** A month as a number (year × 12 + month − 1): consecutive months are consecutive numbers. */
export type MonthNumber = number;

/** `2026-03` for a month number. */
export function monthKey(month: MonthNumber): string {
  const year = Math.floor(month / 12);
  return `${String(year).padStart(4, "0")}-${String(month - year * 12 + 1).padStart(2, "0")}`;
}

/** The month number of `YYYY-MM` or of a date `YYYY-MM-DD`. */
export function monthOfText(text: string): MonthNumber {
  return Number(text.slice(0, 4)) * 12 + Number(text.slice(5, 7)) - 1;
}

/** The month (number) of a UTC day number (days since 1970-01-01), by civil-calendar arithmetic. */
function utcMonthOfDay(day: number): MonthNumber {
  // Howard Hinnant's days_from_civil, inverted: eras of 400 years from 0000-03-01.
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
      Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 2 : mp - 10; // 0-based
  const year = yoe + era * 400 + (month < 2 ? 1 : 0);
  return year * 12 + month;
}

/** Months from 1900 to 2199 are kept in an array; others (never an admission's) in a map. */
const FIRST_CACHED = 1900 * 12;
const CACHED = 300 * 12;
const DAY_MS = 86_400_000;
/** Days from 1900-01-01 to 2199-12-31. */
const FIRST_DAY = Math.floor(Date.UTC(1900, 0, 1) / DAY_MS);
const DAYS = Math.floor(Date.UTC(2200, 0, 1) / DAY_MS) - FIRST_DAY;

/**
 * Which month of `zone` an instant falls in, fast enough for a million admissions: the first
 * instant of each month is worked out once (by Temporal) and kept, and an instant is placed by
 * comparing it with the bounds of its UTC month (a zone's offset is under a day, so the zone's
 * month is that one or a neighbour).
 */
export class ZoneMonths {
  readonly #zone: string;
  readonly #starts = new Float64Array(CACHED + 1).fill(NaN);
  readonly #others = new Map<MonthNumber, number>();
  /** The zone's month at 00:00 UTC of each day from 1900 to 2199; −1 until worked out. */
  readonly #dayMonths = new Int32Array(DAYS).fill(-1);
  /** The month last found and its bounds, for runs of nearby instants. */
  #month = 0;
  #from = Infinity;
  #to = -Infinity;

  constructor(zone: string) {
    this.#zone = zone;
  }

  /** The first instant (ms) of a month in the zone. */
  start(month: MonthNumber): number {
    const slot = month - FIRST_CACHED;
    const inArray = slot >= 0 && slot <= CACHED;
    let start = inArray ? this.#starts[slot]! : this.#others.get(month) ?? NaN;
    if (start !== start) {
      const year = Math.floor(month / 12);
      start = Temporal.PlainDate.from({ year, month: month - year * 12 + 1, day: 1 })
        .toZonedDateTime(this.#zone).epochMilliseconds;
      if (inArray) this.#starts[slot] = start;
      else this.#others.set(month, start);
    }
    return start;
  }

  /** The month (number) of the zone that an instant (ms since the epoch) falls in. */
  monthOf(ms: number): MonthNumber {
    if (ms >= this.#from && ms < this.#to) return this.#month;
    const day = Math.floor(ms / DAY_MS);
    const slot = day - FIRST_DAY;
    let month: number;
    if (slot >= 0 && slot < DAYS) {
      // The zone's month at the day's first UTC instant, worked out once per day.
      month = this.#dayMonths[slot]!;
      if (month < 0) month = this.#dayMonths[slot] = this.#place(day * DAY_MS);
      if (ms >= this.start(month + 1)) month++;
    } else month = this.#place(ms);
    this.#month = month;
    this.#from = this.start(month);
    this.#to = this.start(month + 1);
    return month;
  }

  #place(ms: number): MonthNumber {
    const month = utcMonthOfDay(Math.floor(ms / DAY_MS));
    if (ms < this.start(month)) return month - 1;
    return ms >= this.start(month + 1) ? month + 1 : month;
  }
}
