/** Password hashing: bcrypt for new passwords, the original app's werkzeug hashes, and the rules. */
import assert from "node:assert/strict";
import {
  DEFAULT_BCRYPT_COST,
  hashPassword,
  isBcryptHash,
  needsRehash,
  verifyAgainstNothing,
  verifyPassword,
} from "../lib/passwords.ts";
import { createHash, createHmac } from "node:crypto";
import { passwordProblems } from "../lib/account_rules.ts";
import { sharedDataFile, skipWithoutData, WERKZEUG_HASHES } from "./helpers/dataset.ts";
import { interleavedMedians } from "./helpers/timing.ts";

interface Vector {
  password: string;
  hash: string;
}

/** The shared vectors (werkzeug 2.x and 3.x defaults), or none when the data is absent. */
function sharedVectors(): Vector[] {
  const path = sharedDataFile(WERKZEUG_HASHES);
  return path ? (JSON.parse(Deno.readTextFileSync(path)) as { vectors: Vector[] }).vectors : [];
}

/** Made with werkzeug 3.1.8's `generate_password_hash` (sha512 and non-ASCII are not shared). */
const MORE_VECTORS: Vector[] = [
  {
    password: "Str0ke-Unit!",
    hash:
      "pbkdf2:sha512:1000$pYWp9ZnsAc094qDv$7c03a40c62b63ea3508c0794a18f55e73c7c669fafabe7f663cd22779c5b768fc9cddad4a7f445c49119da8300a680797c2564a704309dcf037329e6a376b1f7",
  },
  {
    password: "Pässwörd mit Ümläuten",
    hash:
      "pbkdf2:sha256:1000$G9TCIFm3O1PVf42e$25d9511c8791eae356361bca931ec5c3d4ea07be7a2d9028e654fac676e1e1cf",
  },
  {
    password: "Pässwörd mit Ümläuten",
    hash:
      "scrypt:1024:8:1$oRab0851PlXyZqnh$a1b124997115839ee6a531a6820a5bff4a02076bdb7ab6f1bd8fef0c3423f2f694069b0a0e52f3526a173dcf9c913f37790054278895623ead8ecc7daa6fdd34",
  },
];

/** A password of `length` characters (all ASCII). */
function ofLength(length: number): string {
  return "abcdefghij".repeat(Math.ceil(length / 10)).slice(0, length);
}

Deno.test({
  name: "verifyPassword() accepts each shared werkzeug hash with its password and no other",
  ignore: skipWithoutData(WERKZEUG_HASHES),
  async fn() {
    const vectors = sharedVectors();
    assert.ok(vectors.length >= 6, "the shared file holds the pbkdf2 and scrypt vectors");
    const passwords = [...new Set(vectors.map((v) => v.password))];
    for (const vector of vectors) {
      assert.equal(await verifyPassword(vector.password, vector.hash), true, vector.hash);
      const other = passwords.find((p) => p !== vector.password)!;
      assert.equal(await verifyPassword(other, vector.hash), false, `${vector.hash} with ${other}`);
    }
  },
});

Deno.test("verifyPassword() accepts werkzeug pbkdf2:sha512 and non-ASCII passwords", async () => {
  for (const vector of MORE_VECTORS) {
    assert.equal(await verifyPassword(vector.password, vector.hash), true, vector.hash);
    assert.equal(await verifyPassword(`${vector.password} `, vector.hash), false, vector.hash);
    assert.equal(await verifyPassword(vector.password.toLowerCase(), vector.hash), false);
  }
});

Deno.test("verifyPassword() answers false, without throwing, for a damaged or unknown hash", async () => {
  const [vector] = MORE_VECTORS;
  const damaged = [
    "",
    "plain text password",
    "md5$abc$0123",
    "pbkdf2:md5:1000$salt$00ff",
    "pbkdf2:sha256:many$salt$00ff",
    "scrypt:x:8:1$salt$00ff",
    vector!.hash.replace(/\$[0-9a-f]+$/, "$not-hex"),
    "$2b$04$tooshort",
  ];
  for (const stored of damaged) {
    assert.equal(await verifyPassword(vector!.password, stored), false, stored);
  }
});

Deno.test("hashPassword() makes a bcrypt hash of cost 12 by default that verifies", async () => {
  assert.equal(DEFAULT_BCRYPT_COST, 12);
  const stored = await hashPassword("correct horse battery staple");
  assert.match(stored, /^\$2[aby]\$12\$[./A-Za-z0-9]{53}$/);
  assert.equal(isBcryptHash(stored), true);
  assert.equal(await verifyPassword("correct horse battery staple", stored), true);
  assert.equal(await verifyPassword("correct horse battery stapl", stored), false);
});

Deno.test("hashPassword() uses the cost it is given and a new salt each time", async () => {
  const first = await hashPassword("same password", 4);
  const second = await hashPassword("same password", 4);
  assert.match(first, /^\$2[aby]\$04\$/);
  assert.notEqual(first, second);
  assert.equal(await verifyPassword("same password", second), true);
});

Deno.test("a 100-character password is not cut at bcrypt's 72 bytes", async () => {
  const password = ofLength(100);
  const stored = await hashPassword(password, 4);
  assert.equal(await verifyPassword(password, stored), true);
  const samePrefix = password.slice(0, 72) + "X".repeat(28);
  assert.equal(await verifyPassword(samePrefix, stored), false, "the same first 72 bytes");
  assert.equal(await verifyPassword(password.slice(0, 72), stored), false, "only the first 72");
  assert.equal(await verifyPassword(password.slice(0, 99), stored), false);
});

Deno.test("a password over 72 bytes of multi-byte characters counts every character", async () => {
  const password = "ü".repeat(40) + "a"; // 81 bytes, 41 characters
  const stored = await hashPassword(password, 4);
  assert.equal(await verifyPassword(password, stored), true);
  assert.equal(await verifyPassword("ü".repeat(40) + "b", stored), false);
});

Deno.test("isBcryptHash() tells bcrypt from werkzeug hashes", () => {
  assert.equal(isBcryptHash("$2b$12$" + "a".repeat(53)), true);
  assert.equal(isBcryptHash("$2a$04$" + "a".repeat(53)), true);
  for (const vector of MORE_VECTORS) assert.equal(isBcryptHash(vector.hash), false);
});

Deno.test("needsRehash() is true for werkzeug hashes and weaker bcrypt, false otherwise", async () => {
  for (const vector of MORE_VECTORS) assert.equal(needsRehash(vector.hash), true, vector.hash);
  assert.equal(needsRehash("scrypt:32768:8:1$salt$00ff"), true);
  assert.equal(needsRehash(""), true);
  const cost4 = await hashPassword("a password", 4);
  assert.equal(needsRehash(cost4), true, "cost 4 is below the default 12");
  assert.equal(needsRehash(cost4, 4), false);
  assert.equal(needsRehash(cost4, 5), true);
  assert.equal(needsRehash("$2b$12$" + "a".repeat(53)), false);
  assert.equal(needsRehash("$2b$13$" + "a".repeat(53)), false, "a stronger hash is kept");
});

Deno.test("passwordProblems() allows 8 to 128 characters and no more or less", () => {
  const problems = (length: number) => passwordProblems(ofLength(length), ofLength(length));
  assert.deepEqual(problems(0), ["Use at least 8 characters"]);
  assert.deepEqual(problems(7), ["Use at least 8 characters"]);
  assert.deepEqual(problems(8), []);
  assert.deepEqual(problems(128), []);
  assert.deepEqual(problems(129), ["Use at most 128 characters"]);
  assert.deepEqual(problems(1000), ["Use at most 128 characters"]);
});

Deno.test("passwordProblems() counts characters, not bytes", () => {
  const umlauts = "ü".repeat(128); // 256 bytes
  assert.deepEqual(passwordProblems(umlauts, umlauts), []);
  const emoji = "🧠".repeat(8); // 16 UTF-16 code units
  assert.deepEqual(passwordProblems(emoji, emoji), []);
  assert.deepEqual(passwordProblems("🧠".repeat(129), "🧠".repeat(129)), [
    "Use at most 128 characters",
  ]);
});

Deno.test("passwordProblems() says when the confirmation does not match", () => {
  assert.deepEqual(passwordProblems("long enough", "long enough!"), [
    "The two passwords do not match",
  ]);
  assert.deepEqual(passwordProblems("short", "other"), [
    "Use at least 8 characters",
    "The two passwords do not match",
  ]);
});

Deno.test("verifyAgainstNothing() takes about as long as checking a real bcrypt hash", async () => {
  // Cost 10 makes bcrypt's time stand well above the noise. The first call makes the dummy hash.
  await verifyAgainstNothing("warm up", 10);
  const stored = await hashPassword("the real password", 10);
  const [real, nothing] = await interleavedMedians(
    () => verifyPassword("a wrong password", stored),
    () => verifyAgainstNothing("a wrong password", 10),
    5,
  );
  const ratio = nothing / real;
  assert.ok(ratio > 0.5 && ratio < 2, `no account ${nothing} ms, real ${real} ms`);
});

/** What the app stored for a long password before pre-hashing was fixed. */
async function legacyLongHash(password: string, cost: number): Promise<string> {
  const { hash } = await import("@node-rs/bcrypt");
  return await hash(sha256Base64(password), cost);
}

function sha256Base64(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64");
}

Deno.test("the SHA-256 of a long password, typed as the password, does not verify", async () => {
  const password = ofLength(100);
  const stored = await hashPassword(password, 4);
  assert.equal(await verifyPassword(password, stored), true);
  assert.equal(await verifyPassword(sha256Base64(password), stored), false);
  const hmac = createHmac("sha256", "stroke-patient-management/password-prehash/v1")
    .update(password, "utf8").digest("base64");
  assert.equal(await verifyPassword(hmac, stored), false, "nor its pre-hash under the app's key");
});

Deno.test("a long password's old SHA-256 pre-hashed bcrypt verifies, and is marked for an upgrade", async () => {
  const password = ofLength(90);
  const legacy = await legacyLongHash(password, 4);
  assert.equal(await verifyPassword(password, legacy), true, "the user can still log in");
  assert.equal(needsRehash(legacy, 4, password), true, "and the hash is replaced at that login");
  assert.equal(
    await verifyPassword(sha256Base64(password), legacy),
    false,
    "the digest is refused",
  );
  const upgraded = await hashPassword(password, 4);
  assert.equal(needsRehash(upgraded, 4, password), false);
  assert.equal(await verifyPassword(password, upgraded), true);
});

Deno.test("a password of 72 bytes or fewer stays a plain bcrypt hash any library reads", async () => {
  const { verify } = await import("@node-rs/bcrypt");
  const password = ofLength(72);
  const stored = await hashPassword(password, 4);
  assert.equal(isBcryptHash(stored), true);
  assert.equal(await verify(password, stored), true);
  assert.equal(needsRehash(stored, 4, password), false);
});

Deno.test("a password shaped like the old SHA-256 digest is stored pre-hashed and verifies", async () => {
  const password = sha256Base64("any text at all");
  const stored = await hashPassword(password, 4);
  assert.equal(isBcryptHash(stored), false, "marked, not plain");
  assert.equal(await verifyPassword(password, stored), true);
});
