/**
 * Password hashing: bcrypt for new passwords, and the original app's werkzeug hashes
 * (`pbkdf2:sha256:…`, `pbkdf2:sha512:…`, `scrypt:N:r:p$…`) verified until the user's next login.
 */
import { hash as bcryptHash, verify as bcryptVerify } from "@node-rs/bcrypt";
import { Buffer } from "node:buffer";
import { createHash, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;
/** The cost of new hashes; tests may lower it, production never goes below. */
export const DEFAULT_BCRYPT_COST = 12;

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** bcrypt reads only 72 bytes: a longer password is hashed first, so that every character counts. */
function bcryptInput(password: string): string {
  if (Buffer.byteLength(password, "utf8") <= 72) return password;
  return createHash("sha256").update(password, "utf8").digest("base64");
}

/** A new bcrypt hash (async: it runs off the event loop). */
export function hashPassword(password: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcryptHash(bcryptInput(password), cost);
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

/** True when `password` matches the stored hash, bcrypt or werkzeug. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (isBcryptHash(stored)) return await bcryptVerify(bcryptInput(password), stored);
  return await verifyWerkzeug(password, stored);
}

/** A stored hash that is not bcrypt at the current cost is replaced at the next login. */
export function needsRehash(stored: string, cost = DEFAULT_BCRYPT_COST): boolean {
  const match = /^\$2[aby]\$(\d\d)\$/.exec(stored);
  return !match || Number(match[1]) < cost;
}

const dummies = new Map<number, Promise<string>>();

/** Spends the time of a real check when there is no account, so that timing reveals nothing. */
export async function verifyAgainstNothing(password: string, cost = DEFAULT_BCRYPT_COST) {
  let dummy = dummies.get(cost);
  if (!dummy) dummies.set(cost, dummy = hashPassword("no account has this password", cost));
  await verifyPassword(password, await dummy);
}

/** Problems with a new password, as messages for the form (empty when it is fine). */
export function passwordProblems(password: string, confirmation: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    problems.push(`Use at least ${MIN_PASSWORD_LENGTH} characters`);
  } else if (length > MAX_PASSWORD_LENGTH) {
    problems.push(`Use at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (password !== confirmation) problems.push("The two passwords do not match");
  return problems;
}
