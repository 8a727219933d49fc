/** Recovery codes: their shape and entropy, normalisation, hashing and matching. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  hashRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_LENGTH,
  recoveryCodeMatches,
} from "../lib/recovery_codes.ts";

Deno.test("newRecoveryCodes() gives 10 distinct codes by default", () => {
  const codes = newRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
});

Deno.test("newRecoveryCodes() gives the number of codes asked for", () => {
  assert.equal(newRecoveryCodes(3).length, 3);
  assert.deepEqual(newRecoveryCodes(0), []);
});

Deno.test("newRecoveryCodes() gives codes in dash-separated groups from the alphabet", () => {
  for (const code of newRecoveryCodes(50)) {
    assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const chars = normalizeRecoveryCode(code);
    assert.equal(chars.length, RECOVERY_CODE_LENGTH);
    for (const char of chars) assert.ok(RECOVERY_CODE_ALPHABET.includes(char), code);
  }
});

Deno.test("the recovery code alphabet has no ambiguous characters", () => {
  for (const char of "01ilo") assert.ok(!RECOVERY_CODE_ALPHABET.includes(char), char);
  assert.equal(new Set(RECOVERY_CODE_ALPHABET).size, RECOVERY_CODE_ALPHABET.length);
});

Deno.test("a recovery code has at least 50 bits of entropy", () => {
  const bits = RECOVERY_CODE_LENGTH * Math.log2(RECOVERY_CODE_ALPHABET.length);
  assert.ok(bits >= 50, `${bits} bits`);
  assert.ok(BigInt(RECOVERY_CODE_ALPHABET.length) ** BigInt(RECOVERY_CODE_LENGTH) >= 2n ** 50n);
});

Deno.test("newRecoveryCodes() uses every character of the alphabet", () => {
  const seen = new Set(newRecoveryCodes(200).join("").replaceAll("-", ""));
  assert.equal(seen.size, RECOVERY_CODE_ALPHABET.length);
});

Deno.test("normalizeRecoveryCode() lower-cases and strips spaces and dashes", () => {
  assert.equal(normalizeRecoveryCode("K7WQ-3M9X-P2AD"), "k7wq3m9xp2ad");
  assert.equal(normalizeRecoveryCode("  k7wq 3m9x\tp2ad "), "k7wq3m9xp2ad");
  assert.equal(normalizeRecoveryCode("k7wq--3m9x - P2Ad"), "k7wq3m9xp2ad");
});

Deno.test("hashRecoveryCode() is the SHA-256 hex of the normalised code", () => {
  const expected = createHash("sha256").update("k7wq3m9xp2ad").digest("hex");
  assert.equal(hashRecoveryCode("k7wq-3m9x-p2ad"), expected);
  assert.equal(hashRecoveryCode(" K7WQ 3M9X P2AD "), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
});

Deno.test("recoveryCodeMatches() gives the index of the matching hash", () => {
  const codes = newRecoveryCodes();
  const hashes = codes.map(hashRecoveryCode);
  codes.forEach((code, index) => {
    assert.equal(recoveryCodeMatches(code, hashes), index);
    assert.equal(recoveryCodeMatches(code.toUpperCase().replaceAll("-", " "), hashes), index);
  });
});

Deno.test("recoveryCodeMatches() gives -1 for a code that matches no hash", () => {
  const hashes = newRecoveryCodes().map(hashRecoveryCode);
  assert.equal(recoveryCodeMatches(newRecoveryCodes(1)[0]!, hashes), -1);
  assert.equal(recoveryCodeMatches("", hashes), -1);
  assert.equal(recoveryCodeMatches(" - ", [hashRecoveryCode("")]), -1);
  assert.equal(recoveryCodeMatches("k7wq-3m9x-p2ad", []), -1);
});

Deno.test("recoveryCodeMatches() skips malformed stored hashes", () => {
  const code = "k7wq-3m9x-p2ad";
  const hashes = ["", "abc", hashRecoveryCode(code).slice(1), hashRecoveryCode(code)];
  assert.equal(recoveryCodeMatches(code, hashes), 3);
});
