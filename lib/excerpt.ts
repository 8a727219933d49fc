/**
 * Short excerpts of what a user sent, for every message, problem report and audit detail that
 * quotes it: nothing a user sends is echoed back (or logged) longer than a few dozen characters.
 */

/** The most characters of a value that any message quotes. */
export const EXCERPT_CHARS = 60;

/**
 * `text` as a message may quote it: at most `max` characters (whole code points, so an emoji is
 * never cut in half), and `…` when it was longer.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  // Code points are at most two UTF-16 units: a string this short cannot be too long.
  if (text.length <= max) return text;
  const points: string[] = [];
  for (const point of text) {
    if (points.length === max) return points.slice(0, max - 1).join("") + "…";
    points.push(point);
  }
  return text; // no more code points than allowed, only more UTF-16 units
}
