/**
 * Entity tags in conditional request headers (RFC 9110 §8.8.3, §13.1.1–13.1.2), and the strong
 * tag of each content coding of a representation.
 */

/** The content codings the app sends (`Content-Encoding`), each with its mark in a strong tag. */
export const TAG_CODINGS = { gzip: "-gzip", br: "-br" } as const;
export type TagCoding = keyof typeof TAG_CODINGS;

/**
 * The strong tag of a representation sent with a content coding: a strong validator differs
 * for each coding (RFC 9110 §8.8.1), so `"x"` sent gzipped is `"x-gzip"`.
 */
export function codedTag(opaque: string, coding: TagCoding): string {
  return opaque + TAG_CODINGS[coding];
}

/** The opaque values that name the current representation `current` in any coding we send. */
function namesOf(current: string): string[] {
  return [current, ...Object.values(TAG_CODINGS).map((mark) => current + mark)];
}

/** `opaque` and, when it carries a coding's mark, the tag it was made from. */
function withUncoded(opaque: string): string[] {
  const mark = Object.values(TAG_CODINGS).find((m) => opaque.endsWith(m));
  return mark ? [opaque, opaque.slice(0, -mark.length)] : [opaque];
}

/** One entity tag of a header: its opaque value (without quotes) and whether it is weak (`W/`). */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** One list member: `[W/]"…"` (`etagc`: any visible character but `"`), then a comma or the end. */
const MEMBER = /[\s,]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/**
 * The entity tags of an `If-Match` or `If-None-Match` header: `"*"` for the wildcard, a list
 * (empty members allowed, as the RFC's list rule says), or null when the header is malformed.
 */
export function parseEntityTags(header: string): "*" | EntityTag[] | null {
  if (header.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  let at = 0;
  while (!/^[\s,]*$/.test(header.slice(at))) {
    MEMBER.lastIndex = at;
    const match = MEMBER.exec(header);
    if (!match) return null;
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
    at = MEMBER.lastIndex;
  }
  return tags.length > 0 ? tags : null;
}

/**
 * Whether `If-None-Match` matches the current tag `current` (an opaque value): by the weak
 * comparison, so `W/"x"` matches `"x"`, and in any coding, so `"x-gzip"` (the tag the client got
 * with a compressed answer) matches too; `*` matches any current representation. A malformed
 * header matches nothing (the request is then answered as if unconditional).
 */
export function noneMatchHits(header: string | undefined, current: string): boolean {
  return matchedTag(header, current) !== null;
}

/**
 * The tag of `If-None-Match` that names the current representation `current` (as
 * {@link noneMatchHits} compares): `"*"`, the opaque value as sent (`x-gzip`), or null.
 */
export function matchedTag(header: string | undefined, current: string): string | null {
  if (header === undefined) return null;
  const tags = parseEntityTags(header);
  if (tags === null) return null;
  if (tags === "*") return "*";
  const names = namesOf(current);
  return tags.find((tag) => names.includes(tag.opaque))?.opaque ?? null;
}

/**
 * The opaque values an `If-Match` header accepts, by the strong comparison: a weak tag never
 * matches, so it is left out; a coded tag (`"x-gzip"`, from a compressed answer) names the same
 * state as `"x"`, so both are listed. Undefined when the header is absent or `*` (any current
 * representation will do); an empty list (nothing can match: 412) when it is malformed or
 * names weak tags only.
 */
export function ifMatchValues(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const tags = parseEntityTags(header);
  if (tags === "*") return undefined;
  return (tags ?? []).filter((tag) => !tag.weak).flatMap((tag) => withUncoded(tag.opaque));
}
