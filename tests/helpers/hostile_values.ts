/**
 * fast-check generators of the values a careless or hostile client puts anywhere: odd text
 * (unicode, control characters, injections, number-like words), huge, negative and non-finite
 * numbers, operator and prototype objects and keys; and the valid ones — patients from the
 * rules table, with glucose at most 300, so that a canary's glucose (above 800) can only come
 * from its owner — and the ids a client names.
 */
import fc from "fast-check";
import {
  CATEGORICAL_FIELDS,
  CATEGORICAL_VALUES,
  PATIENT_FIELDS,
  type PatientFields,
} from "../../lib/patient_fields.ts";

/** Text that has broken parsers, validators, templates and logs somewhere. */
const NASTY_TEXT = [
  "",
  " ",
  "Male ",
  " male",
  "FEMALE",
  "Male\u0000",
  "N/A",
  "n/a",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e400",
  "-1e400",
  "-0",
  "0x1F",
  "0b11",
  "1_000",
  "1,5",
  "٦٧",
  "６７",
  "67abc",
  "67 ",
  "+67",
  ".5",
  "5.",
  "\u202egnp.exe",
  "<script>alert(1)</script>",
  "'; DROP TABLE patients; --",
  '" OR 1=1 --',
  "${7*7}",
  "{{7*7}}",
  "%00",
  "%zz",
  "\\",
  '"',
  '=HYPERLINK("http://x")',
  "__proto__",
  "constructor",
  "prototype",
  "$gt",
  "$where",
  "a.b",
  "\r\n",
  "\ud800",
  "🧠".repeat(50),
];

export const oddText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 2000 }) },
);

export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1e308,
    -1e308,
    5e-324,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 53 + 2,
    120.000001,
    1000.0000001,
    4.9999999,
    150.0000001,
    0.0000001,
  ),
);

const OPERATORS: unknown[] = [
  { $gt: "" },
  { $ne: null },
  { $where: "sleep(1000) || true" },
  { $regex: ".*" },
  { $in: [0, 1] },
  { $exists: true },
  { $expr: { $gt: ["$age", 0] } },
  { __proto__: { admin: true } },
  { constructor: { prototype: { polluted: true } } },
];

export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddNumber,
  oddText,
  fc.constantFrom(...OPERATORS),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.object({ maxDepth: 2, maxKeys: 3 }),
);

const OWN_KEYS = [...PATIENT_FIELDS, "user_id", "created_at", "updated_at", "revision", "_id"];

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    ...OWN_KEYS,
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "$gt",
    "$where",
    "$set",
    "a.b",
    "id ",
    "Gender",
    "",
  ),
  fc.string({ maxLength: 8 }),
);

/** A whole number of hundredths from `min` to `max`. */
const hundredths = (min: number, max: number) =>
  fc.integer({ min: Math.round(min * 100), max: Math.round(max * 100) }).map((n) => n / 100);

/** A valid patient without an id; glucose stays at or below 300 (canaries are above 800). */
export const validPatient: fc.Arbitrary<Omit<PatientFields, "id">> = fc.record({
  ...Object.fromEntries(
    CATEGORICAL_FIELDS.map((f) => [f, fc.constantFrom(...CATEGORICAL_VALUES[f])]),
  ),
  age: hundredths(0.01, 120),
  avg_glucose_level: hundredths(50, 300),
  bmi: fc.option(fc.integer({ min: 50, max: 1500 }).map((n) => n / 10), { nil: null }),
}) as fc.Arbitrary<Omit<PatientFields, "id">>;

/** Ids a client names: mostly 1–25 (both users have 1–20), others' canaries, any. */
export function idIn(others: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 25 }) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
    { weight: 1, arbitrary: fc.integer({ min: 41, max: 2 ** 31 - 1 }) },
  );
}

/** Path segments where an id belongs. */
export function pathIdIn(others: readonly number[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: idIn(others).map(String) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "0",
        "-1",
        "1.5",
        "1e3",
        "2147483648",
        "99999999999999999999",
        "%00",
        "%2e%2e",
        "..%2F..",
        "abc",
        "%EF%BC%91",
        "007",
        "%201",
        "%E0%A4%A",
        "%",
        "1;2",
      ),
    },
  );
}
