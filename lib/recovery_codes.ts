/** One-time recovery codes for the second factor: made at random, stored only as hashes. */
import { Buffer } from "node:buffer";
import { createHash, randomInt, timingSafeEqual } from "node:crypto";

/** The characters of a code: lower case letters and digits without 0/o, 1/l/i. */
export const RECOVERY_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
/** The number of random characters in a code (31^12 ≈ 2^59.4 possible codes). */
export const RECOVERY_CODE_LENGTH = 12;
/** The length of each dash-separated group when a code is shown. */
export const RECOVERY_CODE_GROUP = 4;
/** How many codes a user is given. */
export const RECOVERY_CODE_COUNT = 10;

/** One new code, e.g. `k7wq-3m9x-p2ad`: uniformly random characters in groups of four. */
function newRecoveryCode(): string {
  let code = "";
  for (let i = 0; i < RECOVERY_CODE_LENGTH; i++) {
    if (i > 0 && i % RECOVERY_CODE_GROUP === 0) code += "-";
    code += RECOVERY_CODE_ALPHABET[randomInt(RECOVERY_CODE_ALPHABET.length)];
  }
  return code;
}

/** `count` new distinct recovery codes, to be shown to the user once. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/** A code as typed, made comparable: lower case, without spaces or dashes. */
export function normalizeRecoveryCode(text: string): string {
  return text.toLowerCase().replace(/[\s\-\u2010-\u2015]+/g, "");
}

/**
 * The SHA-256 hex hash of the normalised code, to store instead of the code. A fast unsalted hash
 * is enough here (unlike for passwords) because each code is random with about 59 bits of
 * entropy: there is no dictionary to try, and guessing through the login is throttled.
 */
export function hashRecoveryCode(code: string): string {
  return createHash("sha256").update(normalizeRecoveryCode(code), "utf8").digest("hex");
}

/**
 * The index in `hashes` of the hash that `code` matches, or -1. Each comparison takes constant
 * time and every hash is compared, so the timing tells nothing about which one matched.
 */
export function recoveryCodeMatches(code: string, hashes: readonly string[]): number {
  if (normalizeRecoveryCode(code) === "") return -1;
  const given = Buffer.from(hashRecoveryCode(code), "ascii");
  let found = -1;
  hashes.forEach((hash, index) => {
    const stored = Buffer.from(hash.toLowerCase(), "ascii");
    if (stored.length === given.length && timingSafeEqual(stored, given) && found < 0) {
      found = index;
    }
  });
  return found;
}
