/** TOTP: base32, HOTP and TOTP vectors from the RFCs, verification and otpauth URIs. */
import assert from "node:assert/strict";
import {
  base32Decode,
  base32Encode,
  hotpCode,
  newTotpSecret,
  otpauthUri,
  type TotpAlgorithm,
  totpCode,
  totpStep,
  verifyTotp,
} from "../lib/totp.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

/** RFC 4648 section 10. */
const BASE32_VECTORS: [string, string][] = [
  ["", ""],
  ["f", "MY======"],
  ["fo", "MZXQ===="],
  ["foo", "MZXW6==="],
  ["foob", "MZXW6YQ="],
  ["fooba", "MZXW6YTB"],
  ["foobar", "MZXW6YTBOI======"],
];

/** RFC 6238 appendix B: the seeds per algorithm, and the 8-digit codes per time. */
const TOTP_SEEDS: Record<TotpAlgorithm, string> = {
  sha1: "12345678901234567890",
  sha256: "12345678901234567890123456789012",
  sha512: "1234567890123456789012345678901234567890123456789012345678901234",
};
const TOTP_VECTORS: [number, Record<TotpAlgorithm, string>][] = [
  [59, { sha1: "94287082", sha256: "46119246", sha512: "90693936" }],
  [1111111109, { sha1: "07081804", sha256: "68084774", sha512: "25091201" }],
  [1111111111, { sha1: "14050471", sha256: "67062674", sha512: "99943326" }],
  [1234567890, { sha1: "89005924", sha256: "91819424", sha512: "93441116" }],
  [2000000000, { sha1: "69279037", sha256: "90698825", sha512: "38618901" }],
  [20000000000, { sha1: "65353130", sha256: "77737706", sha512: "47863826" }],
];

/** RFC 4226 appendix D: HOTP codes for counters 0 to 9. */
const HOTP_VECTORS = [
  "755224",
  "287082",
  "359152",
  "969429",
  "338314",
  "254676",
  "287922",
  "162583",
  "399871",
  "520489",
];

/** The RFC seed "12345678901234567890" as base32, as a user's secret would be stored. */
const SECRET = base32Encode(ascii(TOTP_SEEDS.sha1));
/** A moment in the middle of time step 57 000 000 (some day in 2024). */
const STEP = 57_000_000;
const NOW = STEP * 30_000 + 12_345;

Deno.test("base32Encode() gives the RFC 4648 vectors without padding", () => {
  for (const [plain, encoded] of BASE32_VECTORS) {
    assert.equal(base32Encode(ascii(plain)), encoded.replace(/=+$/, ""), plain);
  }
});

Deno.test("base32Decode() reads the RFC 4648 vectors with and without padding", () => {
  for (const [plain, encoded] of BASE32_VECTORS) {
    assert.deepEqual(base32Decode(encoded), ascii(plain), encoded);
    assert.deepEqual(base32Decode(encoded.replace(/=+$/, "")), ascii(plain), encoded);
  }
});

Deno.test("base32Decode() accepts lower case and spaces", () => {
  assert.deepEqual(base32Decode("mzxw 6ytb oi"), ascii("foobar"));
  assert.deepEqual(base32Decode(" MZXW6YTB\tOI====== "), ascii("foobar"));
});

Deno.test("base32Decode() throws on characters outside the alphabet", () => {
  for (const bad of ["MZXW1", "MZXW0YTB", "MZ-XW", "MZ=XW6", "MZXW8"]) {
    assert.throws(() => base32Decode(bad), /Invalid base32 character/, bad);
  }
});

Deno.test("base32Encode() and base32Decode() round-trip random bytes of every length", () => {
  for (let length = 0; length <= 41; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    assert.deepEqual(base32Decode(base32Encode(bytes)), bytes);
  }
});

Deno.test("newTotpSecret() gives 20 random bytes as 32 base32 characters", () => {
  const secrets = new Set(Array.from({ length: 20 }, newTotpSecret));
  assert.equal(secrets.size, 20);
  for (const secret of secrets) {
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(base32Decode(secret).length, 20);
  }
});

Deno.test("hotpCode() gives the RFC 4226 appendix D values", () => {
  HOTP_VECTORS.forEach((expected, counter) => {
    assert.equal(hotpCode(ascii(TOTP_SEEDS.sha1), counter), expected, `counter ${counter}`);
  });
});

Deno.test("hotpCode() refuses a negative or fractional counter", () => {
  assert.throws(() => hotpCode(ascii(TOTP_SEEDS.sha1), -1), RangeError);
  assert.throws(() => hotpCode(ascii(TOTP_SEEDS.sha1), 1.5), RangeError);
});

Deno.test("totpCode() gives every RFC 6238 appendix B value for SHA1, SHA256 and SHA512", () => {
  for (const [seconds, codes] of TOTP_VECTORS) {
    for (const algorithm of ["sha1", "sha256", "sha512"] as const) {
      const code = totpCode(ascii(TOTP_SEEDS[algorithm]), seconds * 1000, {
        digits: 8,
        algorithm,
      });
      assert.equal(code, codes[algorithm], `${algorithm} at ${seconds}`);
    }
  }
});

Deno.test("totpCode() defaults to 6 digits of SHA1 and takes a base32 secret", () => {
  assert.equal(totpCode(SECRET, 59_000), "287082");
  assert.equal(totpCode(SECRET, 1111111109_000), "081804");
  assert.equal(totpCode(SECRET.toLowerCase(), 20000000000_000), "353130");
});

Deno.test("totpStep() counts 30-second steps from the Unix epoch", () => {
  assert.equal(totpStep(0), 0);
  assert.equal(totpStep(29_999), 0);
  assert.equal(totpStep(30_000), 1);
  assert.equal(totpStep(NOW), STEP);
});

Deno.test("verifyTotp() accepts the code of the current time step and returns the step", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW), NOW), STEP);
});

Deno.test("verifyTotp() accepts the code of the previous time step", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW - 30_000), NOW), STEP - 1);
});

Deno.test("verifyTotp() accepts the code of the next time step", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW + 30_000), NOW), STEP + 1);
});

Deno.test("verifyTotp() refuses a code two steps away with the default window", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW - 60_000), NOW), null);
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW + 60_000), NOW), null);
});

Deno.test("verifyTotp() accepts a code two steps away with a window of 2", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW - 60_000), NOW, { window: 2 }), STEP - 2);
});

Deno.test("verifyTotp() with a window of 0 accepts only the current step", () => {
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW), NOW, { window: 0 }), STEP);
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW - 30_000), NOW, { window: 0 }), null);
});

Deno.test("verifyTotp() refuses a replayed step and older ones given afterStep", () => {
  const code = totpCode(SECRET, NOW);
  const used = verifyTotp(SECRET, code, NOW);
  assert.equal(used, STEP);
  assert.equal(verifyTotp(SECRET, code, NOW, { afterStep: used! }), null);
  assert.equal(verifyTotp(SECRET, totpCode(SECRET, NOW - 30_000), NOW, { afterStep: used! }), null);
});

Deno.test("verifyTotp() accepts a newer step than afterStep", () => {
  const next = totpCode(SECRET, NOW + 30_000);
  assert.equal(verifyTotp(SECRET, next, NOW, { afterStep: STEP }), STEP + 1);
});

Deno.test("verifyTotp() removes spaces from the code", () => {
  const code = totpCode(SECRET, NOW);
  assert.equal(verifyTotp(SECRET, ` ${code.slice(0, 3)} ${code.slice(3)} `, NOW), STEP);
});

Deno.test("verifyTotp() refuses codes of the wrong length or with non-digits", () => {
  const code = totpCode(SECRET, NOW);
  const eight = totpCode(SECRET, NOW, { digits: 8 });
  for (const bad of ["", code.slice(0, 5), `${code}0`, eight, `${code.slice(0, 5)}a`, "12-456"]) {
    assert.equal(verifyTotp(SECRET, bad, NOW), null, JSON.stringify(bad));
  }
  assert.equal(verifyTotp(SECRET, "\u0661\u0662\u0663\u0664\u0665\u0666", NOW), null);
});

Deno.test("verifyTotp() refuses the right code for another secret", () => {
  const other = newTotpSecret();
  assert.equal(verifyTotp(other, totpCode(SECRET, NOW), NOW, { window: 0 }), null);
});

Deno.test("verifyTotp() throws on a negative or fractional window", () => {
  assert.throws(() => verifyTotp(SECRET, "123456", NOW, { window: -1 }), RangeError);
  assert.throws(() => verifyTotp(SECRET, "123456", NOW, { window: 0.5 }), RangeError);
});

Deno.test("otpauthUri() gives the Key URI with the issuer and email percent-encoded", () => {
  const uri = otpauthUri({
    secret: "JBSWY3DPEHPK3PXP",
    account: "jane.doe+stroke@example.org",
    issuer: "Stroke Patient Management",
  });
  assert.equal(
    uri,
    "otpauth://totp/Stroke%20Patient%20Management:jane.doe%2Bstroke%40example.org" +
      "?secret=JBSWY3DPEHPK3PXP&issuer=Stroke%20Patient%20Management" +
      "&algorithm=SHA1&digits=6&period=30",
  );
});

Deno.test("otpauthUri() tidies the secret to upper case base32 without spaces or padding", () => {
  const uri = otpauthUri({ secret: "mzxw 6ytb oi======", account: "a@b.c", issuer: "X" });
  assert.equal(
    uri,
    "otpauth://totp/X:a%40b.c?secret=MZXW6YTBOI&issuer=X&algorithm=SHA1" +
      "&digits=6&period=30",
  );
});
