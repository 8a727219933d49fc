/** Times as people read them, in a named time zone: "25 Nov 2026, 14:03 UTC". */

/** The zone a time is shown in when none is chosen (a later setting gives each user theirs). */
export const DEFAULT_TIME_ZONE = "UTC";

/**
 * A time as people read it, in `zone` (an IANA name such as `Europe/London`), with the zone
 * named: "25 Nov 2026, 14:03 UTC", "25 Nov 2026, 15:03 CET (Europe/Berlin)". A zone this
 * runtime does not know is shown as UTC, named so.
 */
export function formatTime(date: Date, zone: string = DEFAULT_TIME_ZONE): string {
  const options: Intl.DateTimeFormatOptions = {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  };
  let shown: string;
  try {
    shown = date.toLocaleString("en-GB", { ...options, timeZone: zone, timeZoneName: "short" });
  } catch {
    return formatTime(date, DEFAULT_TIME_ZONE);
  }
  if (zone === "UTC") return shown;
  return `${shown} (${zone})`;
}
