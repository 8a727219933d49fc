/** Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), base32 secrets and otpauth URIs. */
import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The HMAC hash functions that RFC 6238 allows. */
export type TotpAlgorithm = "sha1" | "sha256" | "sha512";

/** How codes are made: this app always uses the defaults (6 digits, 30 s, SHA-1). */
export interface TotpOptions {
  digits?: 6 | 8;
  periodSeconds?: 30;
  algorithm?: TotpAlgorithm;
}

/** How codes are checked. */
export interface VerifyTotpOptions {
  /** How many time steps either side of the current one are accepted (default 1). */
  window?: number;
  /** The last step already used: this step and older ones are refused (replay protection). */
  afterStep?: number;
}

/** The number of digits of the codes this app asks for. */
export const TOTP_DIGITS = 6;
/** The length of one time step, in seconds. */
export const TOTP_PERIOD_SECONDS = 30;
/** The number of random bytes in a new secret (160 bits, as RFC 4226 recommends). */
export const TOTP_SECRET_BYTES = 20;

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 of `bytes`, upper case and without padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The bytes of RFC 4648 base32 `text`. Lower case, spaces and trailing `=` padding are accepted;
 * any other character, or padding in the middle, throws.
 */
export function base32Decode(text: string): Uint8Array {
  const cleaned = text.replace(/\s+/g, "").toUpperCase().replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((cleaned.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of cleaned) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new Error(`Invalid base32 character: ${JSON.stringify(char)}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  return out;
}

/** A new random TOTP secret: 20 bytes as base32 (32 characters). */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(TOTP_SECRET_BYTES));
}

/** The key bytes of a secret given as bytes or as base32 text. */
function secretBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === "string" ? base32Decode(secret) : secret;
}

/** The RFC 4226 HOTP code of `key` for `counter` (a non-negative integer). */
export function hotpCode(
  key: Uint8Array,
  counter: number,
  digits: 6 | 8 = TOTP_DIGITS,
  algorithm: TotpAlgorithm = "sha1",
): string {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`Invalid HOTP counter: ${counter}`);
  }
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The time step (counter) that `timeMs` falls in. */
export function totpStep(timeMs: number, periodSeconds = TOTP_PERIOD_SECONDS): number {
  return Math.floor(timeMs / 1000 / periodSeconds);
}

/** The RFC 6238 TOTP code of `secret` (bytes or base32) at `timeMs` (Unix time in ms). */
export function totpCode(
  secret: Uint8Array | string,
  timeMs: number,
  options: TotpOptions = {},
): string {
  const { digits = TOTP_DIGITS, periodSeconds = TOTP_PERIOD_SECONDS, algorithm = "sha1" } = options;
  return hotpCode(secretBytes(secret), totpStep(timeMs, periodSeconds), digits, algorithm);
}

/**
 * The time step whose code `code` is, within `window` steps of `nowMs`, or null. The code must be
 * exactly 6 digits once spaces are removed. Every step of the window is computed and compared in
 * constant time, without stopping at a match; steps up to `afterStep` are refused, so the caller
 * stores the returned step and passes it next time to stop a code being used twice.
 */
export function verifyTotp(
  secret: Uint8Array | string,
  code: string,
  nowMs: number,
  options: VerifyTotpOptions = {},
): number | null {
  const { window = 1, afterStep = -1 } = options;
  if (!Number.isInteger(window) || window < 0) throw new RangeError(`Invalid window: ${window}`);
  const given = code.replace(/\s+/g, "");
  if (!/^[0-9]{6}$/.test(given)) return null;
  const key = secretBytes(secret);
  const givenBytes = Buffer.from(given, "ascii");
  const current = totpStep(nowMs);
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotpCode(key, step, TOTP_DIGITS, "sha1"), "ascii");
    const equal = timingSafeEqual(expected, givenBytes);
    if (equal && step > afterStep) matched = step;
  }
  return matched;
}

/** What an otpauth URI names. */
export interface OtpauthUriInput {
  /** The base32 secret (spaces, lower case and padding are tidied away). */
  secret: string;
  /** The account name shown in the authenticator app: the user's email. */
  account: string;
  /** The service name shown in the authenticator app. */
  issuer: string;
}

/**
 * The Google Authenticator Key URI (`otpauth://totp/Issuer:account?…`) for a secret, with the
 * issuer and account percent-encoded, and SHA1, 6 digits and a 30 s period spelled out.
 */
export function otpauthUri({ secret, account, issuer }: OtpauthUriInput): string {
  const tidySecret = base32Encode(base32Decode(secret));
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = [
    `secret=${tidySecret}`,
    `issuer=${encodeURIComponent(issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ];
  return `otpauth://totp/${label}?${params.join("&")}`;
}
