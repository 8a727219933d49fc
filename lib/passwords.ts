/**
 * Password hashing: bcrypt for new passwords, and the original app's werkzeug hashes
 * (`pbkdf2:sha256:…`, `pbkdf2:sha512:…`, `scrypt:N:r:p$…`) verified until the user's next login.
 */
import { hash as bcryptHash, verify as bcryptVerify } from "@node-rs/bcrypt";
import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { WorkGate } from "./work_gate.ts";

/**
 * Password hashing and checking take a core each for a quarter of a second: at most one core
 * fewer than the machine has runs them (one on a 2-core box), so that a burst of logins queues
 * instead of starving every other request. A check that cannot start within 5 s answers 503.
 */
export const PASSWORD_GATE = new WorkGate(
  Math.max(1, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1),
  5_000,
);

/** The cost of new hashes; tests may lower it, production never goes below. */
export const DEFAULT_BCRYPT_COST = 12;

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** bcrypt reads only 72 bytes of its input. */
const BCRYPT_MAX_BYTES = 72;
/**
 * Marks a stored hash whose password was pre-hashed: `hmac-sha256$` + bcrypt of the
 * password's HMAC. Without the mark a typed text is never pre-hashed, with it always, so no
 * typed text can stand in for the pre-hashed form of another.
 */
const PREHASH_MARK = "hmac-sha256$";
/** A fixed key: domain separation, not a secret (the security rests on bcrypt). */
const PREHASH_KEY = "stroke-patient-management/password-prehash/v1";
/** What the app once stored for long passwords: bcrypt of the base64 SHA-256, unmarked. */
const LEGACY_DIGEST = /^[A-Za-z0-9+/]{43}=$/;

function isLong(password: string): boolean {
  return Buffer.byteLength(password, "utf8") > BCRYPT_MAX_BYTES;
}

/** Passwords stored pre-hashed: long ones, and (rare) ones shaped like the old digest. */
function isPrehashed(password: string): boolean {
  return isLong(password) || LEGACY_DIGEST.test(password);
}

function prehash(password: string): string {
  return createHmac("sha256", PREHASH_KEY).update(password, "utf8").digest("base64");
}

function legacyPrehash(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("base64");
}

/**
 * A new hash (async: it runs off the event loop). Up to 72 bytes: plain bcrypt, readable by
 * any bcrypt library. Longer: bcrypt of an HMAC-SHA-256, marked, so that every character counts
 * (also for a password shaped like the old digest, which plain hashes refuse).
 */
export function hashPassword(password: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return PASSWORD_GATE.run(async () => {
    if (!isPrehashed(password)) return await bcryptHash(password, cost);
    return PREHASH_MARK + await bcryptHash(prehash(password), cost);
  });
}

export function isBcryptHash(stored: string): boolean {
  return /^\$2[aby]\$\d\d\$/.test(stored);
}

function safeEqualHex(expectedHex: string, actual: Buffer): boolean {
  const expected = Buffer.from(expectedHex, "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Werkzeug's derived key lengths: the digest size for pbkdf2, 64 bytes for scrypt. */
const PBKDF2_LENGTHS: Record<string, number> = { sha1: 20, sha256: 32, sha512: 64 };
const SCRYPT_LENGTH = 64;

/** Verifies a werkzeug hash, as werkzeug's `check_password_hash` does. */
async function verifyWerkzeug(password: string, stored: string): Promise<boolean> {
  const [method, salt, hex] = stored.split("$");
  if (!method || salt === undefined || !hex || !/^[0-9a-f]+$/i.test(hex)) return false;
  const parts = method.split(":");
  if (parts[0] === "pbkdf2") {
    const digest = parts[1] ?? "sha256";
    const iterations = Number(parts[2] ?? 600000);
    const length = PBKDF2_LENGTHS[digest];
    if (!length || !Number.isInteger(iterations) || hex.length !== length * 2) return false;
    const derived = await pbkdf2Async(password, salt, iterations, length, digest);
    return safeEqualHex(hex, derived);
  }
  if (parts[0] === "scrypt") {
    const [n, r, p] = [Number(parts[1] ?? 32768), Number(parts[2] ?? 8), Number(parts[3] ?? 1)];
    if (![n, r, p].every(Number.isInteger) || hex.length !== SCRYPT_LENGTH * 2) return false;
    const derived = await scryptAsync(password, salt, SCRYPT_LENGTH, {
      N: n,
      r,
      p,
      maxmem: 132 * n * r * p + 1024 * 1024,
    });
    return safeEqualHex(hex, derived);
  }
  return false;
}

/** True when `password` matches the stored hash: bcrypt (marked or plain) or werkzeug. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return PASSWORD_GATE.run(() => verifyNow(password, stored));
}

async function verifyNow(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith(PREHASH_MARK)) {
    const bcrypt = stored.slice(PREHASH_MARK.length);
    return isBcryptHash(bcrypt) && await bcryptVerify(prehash(password), bcrypt);
  }
  if (!isBcryptHash(stored)) return await verifyWerkzeug(password, stored);
  // An unmarked hash of a long password is the old SHA-256 form. Its digest typed as the
  // password would match it, so text of exactly that shape is refused against unmarked hashes.
  if (isLong(password)) return await bcryptVerify(legacyPrehash(password), stored);
  if (LEGACY_DIGEST.test(password)) return false;
  return await bcryptVerify(password, stored);
}

/**
 * Whether the stored hash is replaced at this login: werkzeug, a cost below `cost`, or (given
 * the password that just verified) a long password's old unmarked form.
 */
export function needsRehash(
  stored: string,
  cost = DEFAULT_BCRYPT_COST,
  password?: string,
): boolean {
  const marked = stored.startsWith(PREHASH_MARK);
  if (password !== undefined && isPrehashed(password) && !marked) return true;
  const match = /^\$2[aby]\$(\d\d)\$/.exec(marked ? stored.slice(PREHASH_MARK.length) : stored);
  return !match || Number(match[1]) < cost;
}

const dummies = new Map<number, Promise<string>>();

/** Spends the time of a real check when there is no account, so that timing reveals nothing. */
export async function verifyAgainstNothing(password: string, cost = DEFAULT_BCRYPT_COST) {
  let dummy = dummies.get(cost);
  if (!dummy) dummies.set(cost, dummy = hashPassword("no account has this password", cost));
  await verifyPassword(password, await dummy);
}
