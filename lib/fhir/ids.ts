/**
 * FHIR resource ids: stable (a second export carries the same ids, so a receiver updates rather
 * than duplicates), opaque (they say nothing of the registry or the record id) and readable back
 * by the server alone. An id is one AES-256 block — kind, form, a digest of the registry, the
 * record id and the admission id — enciphered with a key derived from a server secret, in
 * lower-case base32 (26 characters). Deciphering gives the record back, and the registry digest
 * and the form must match the request's, so an id of another registry or form reads as unknown.
 * The de-identified form's ids are other blocks, so they cannot be matched with the plain ones.
 * The same cipher gives each patient's date shift for the de-identified form.
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from "node:crypto";
import { base32Encode } from "../totp.ts";

/** Which form of the resources: as the registry holds them, or de-identified for viewers. */
export type FhirForm = "plain" | "deidentified";

const KIND_PATIENT = 1;
const KIND_ADMISSION = 2;
const KIND_DATE_SHIFT = 3;
const FORMS: Record<FhirForm, number> = { plain: 0, deidentified: 1 };

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const TOKEN_LENGTH = 26;
const UINT32_MAX = 2 ** 32 - 1;

/** The longest shift of the de-identified form's dates, in days (all shifts go back in time). */
export const MAX_DATE_SHIFT_DAYS = 365;

type Cipher = ReturnType<typeof createCipheriv>;
type Decipher = ReturnType<typeof createDecipheriv>;

/** The keys of one server: build once from its secret and share. */
export class FhirKeys {
  readonly #encipher: Cipher;
  readonly #decipher: Decipher;

  /**
   * `secret` must stay the same across restarts and be shared by every instance, or the ids
   * change (a receiver would then hold every record twice).
   */
  constructor(secret: string | Uint8Array) {
    if (secret.length < 16) throw new RangeError("The FHIR id secret needs at least 16 characters");
    const key = Buffer.from(hkdfSync("sha256", secret, "", "stroke registry FHIR ids v1", 32));
    this.#encipher = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
    this.#decipher = createDecipheriv("aes-256-ecb", key, null).setAutoPadding(false);
  }

  /** One block enciphered (ECB with one block is the bare AES permutation). */
  encipher(block: Uint8Array): Uint8Array {
    return this.#encipher.update(whole(block));
  }

  decipher(block: Uint8Array): Uint8Array {
    return this.#decipher.update(whole(block));
  }
}

/** A block of 16 bytes: anything else would stay half in the cipher and spoil the next id. */
function whole(block: Uint8Array): Uint8Array {
  if (block.length !== 16) throw new RangeError("A FHIR id block has 16 bytes");
  return block;
}

/** Registries whose digest is kept (a few per instance in practice; the oldest goes first). */
const KEPT_DIGESTS = 1000;
const digests = new Map<string, Uint8Array>();

/**
 * The first 6 bytes of the registry's SHA-256, computed once per registry: every id needs it, and
 * each `createHash` is a native object whose memory V8 does not see, so that an export of a
 * million patients (three ids each) left hundreds of megabytes of them waiting for a collection.
 */
function registryDigest(registry: string): Uint8Array {
  let digest = digests.get(registry);
  if (!digest) {
    digest = createHash("sha256").update(registry).digest().subarray(0, 6);
    if (digests.size >= KEPT_DIGESTS) digests.delete(digests.keys().next().value!);
    digests.set(registry, digest);
  }
  return digest;
}

function block(
  kind: number,
  form: FhirForm,
  registry: string,
  recordId: number,
  admissionId: number,
): Uint8Array {
  for (const [name, value] of [["record id", recordId], ["admission id", admissionId]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      throw new RangeError(`A FHIR id cannot hold the ${name} ${value}`);
    }
  }
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  bytes[0] = kind;
  bytes[1] = FORMS[form];
  bytes.set(registryDigest(registry), 2);
  view.setUint32(8, recordId);
  view.setUint32(12, admissionId);
  return bytes;
}

/** The lower-case RFC 4648 base32 of a block (26 characters), as every token is written. */
function base32(bytes: Uint8Array): string {
  return base32Encode(bytes).toLowerCase();
}

/** The 16 bytes of a token, or null when it is not one (a wrong character, or not canonical). */
function unbase32(text: string): Uint8Array | null {
  if (text.length !== TOKEN_LENGTH) return null;
  const bytes = new Uint8Array(16);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    const digit = BASE32.indexOf(char);
    if (digit < 0) return null;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // The last character carries 2 bits of padding, which a token written here leaves at 0.
  return (value & ((1 << bits) - 1)) === 0 ? bytes : null;
}

/** The id of a record's Patient (its Observations' and Conditions' ids start with it). */
export function patientToken(
  keys: FhirKeys,
  registry: string,
  recordId: number,
  form: FhirForm,
): string {
  return base32(keys.encipher(block(KIND_PATIENT, form, registry, recordId, 0)));
}

/** The id of an admission's Encounter (its Observations' ids start with it). */
export function admissionToken(
  keys: FhirKeys,
  registry: string,
  recordId: number,
  admissionId: number,
  form: FhirForm,
): string {
  return base32(keys.encipher(block(KIND_ADMISSION, form, registry, recordId, admissionId)));
}

/** The id of a resource that belongs to a patient or an admission: `<token>-<part>`. */
export function childId(token: string, part: string): string {
  return `${token}-${part.toLowerCase().replaceAll("_", "-")}`;
}

/** What an id names, read back. */
export type FhirIdTarget =
  | { kind: "patient"; recordId: number; part: string | null }
  | { kind: "admission"; recordId: number; admissionId: number; part: string | null };

/**
 * What a resource id names in this registry and form, or null when it names nothing there (made
 * up, of another registry, of the other form, or not an id at all).
 */
export function readFhirId(
  keys: FhirKeys,
  registry: string,
  id: string,
  form: FhirForm,
): FhirIdTarget | null {
  const dash = id.indexOf("-");
  const token = dash < 0 ? id : id.slice(0, dash);
  const part = dash < 0 ? null : id.slice(dash + 1);
  if (part !== null && !/^[a-z0-9-]{1,36}$/.test(part)) return null;
  const bytes = unbase32(token);
  if (!bytes) return null;
  const plain = keys.decipher(bytes);
  const digest = registryDigest(registry);
  if (plain[1] !== FORMS[form] || digest.some((b, i) => plain[2 + i] !== b)) return null;
  const view = new DataView(plain.buffer, plain.byteOffset, 16);
  const recordId = view.getUint32(8);
  const admissionId = view.getUint32(12);
  if (plain[0] === KIND_PATIENT && admissionId === 0) return { kind: "patient", recordId, part };
  if (plain[0] === KIND_ADMISSION) return { kind: "admission", recordId, admissionId, part };
  return null;
}

/**
 * How many days the de-identified form moves a patient's dates back: 1 to 365, the same for every
 * date of the patient (so intervals, such as door-to-needle, are kept) and on every request.
 */
export function dateShiftDays(keys: FhirKeys, registry: string, recordId: number): number {
  const bytes = keys.encipher(block(KIND_DATE_SHIFT, "deidentified", registry, recordId, 0));
  const value = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(0);
  return 1 + (value % MAX_DATE_SHIFT_DAYS);
}
