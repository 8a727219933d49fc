/** Times as people read them: "25 Nov 2026, 14:03 UTC". */
export function formatTime(date: Date): string {
  return `${
    date.toLocaleString("en-GB", {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: "UTC",
    })
  } UTC`;
}
