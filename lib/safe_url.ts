/** URLs from outside: parsed without throwing, and `next` targets kept on this site. */

/** `text` as a URL (relative to `base`), or null when it is not one: never throws. */
export function parseUrl(text: string, base?: string): URL | null {
  try {
    return new URL(text, base);
  } catch {
    return null;
  }
}

/** A path that a redirect may not start with: a network path (`//host`, `/\host`). */
const NETWORK_PATH = /^\/[\/\\]/;

/**
 * `next` when it is a path on this site, else null: `//evil.example`, `https://…`,
 * `/\evil.example`, dot segments that normalise to one of those (`/.//evil.example`,
 * `/%2e//evil.example`) and anything with control characters are refused. What comes back is
 * the normalised path, so that the `Location` sent is the one that was checked.
 */
export function safeNext(next: string | undefined | null): string | null {
  if (!next || !next.startsWith("/") || NETWORK_PATH.test(next)) return null;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next) || next.length > 2000) return null;
  const base = "http://same.invalid";
  const url = parseUrl(next, base);
  if (!url || url.origin !== base) return null;
  const path = url.pathname + url.search + url.hash;
  return NETWORK_PATH.test(path) ? null : path;
}
