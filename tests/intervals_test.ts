/** Wilson score intervals against published values and the closed formula; number formatting. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatOddsRatio,
  formatPercent,
  formatPValue,
  wilsonInterval,
  Z_95 as Z,
} from "../lib/intervals.ts";

/** Within half a unit of the 4th decimal, as the published tables round. */
function assertClose(actual: number, expected: number, places = 4) {
  const tolerance = 0.5 * 10 ** -places + 1e-12;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${actual} to be ${expected} to ${places} decimals`,
  );
}

/** The Wilson bounds as the roots of (p̂ − p)² = z² p (1 − p) / n, written independently. */
function quadraticRoots(events: number, n: number): [number, number] {
  const p = events / n;
  const root = Z * Math.sqrt(Z * Z + 4 * n * p * (1 - p));
  const denominator = 2 * (n + Z * Z);
  return [(2 * n * p + Z * Z - root) / denominator, (2 * n * p + Z * Z + root) / denominator];
}

Deno.test("wilsonInterval() gives 0 to 0.2775 for 0 events out of 10", () => {
  const ci = wilsonInterval(0, 10);
  assert.equal(ci.rate, 0);
  assert.equal(ci.low, 0);
  assertClose(ci.high, 0.2775);
});

Deno.test("wilsonInterval() gives 0.2366 to 0.7634 for 5 events out of 10", () => {
  const ci = wilsonInterval(5, 10);
  assert.equal(ci.rate, 0.5);
  assertClose(ci.low, 0.2366);
  assertClose(ci.high, 0.7634);
});

Deno.test("wilsonInterval() matches Newcombe's (1998) worked examples", () => {
  const examples: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [events, n, low, high] of examples) {
    const ci = wilsonInterval(events, n);
    assertClose(ci.low, low);
    assertClose(ci.high, high);
  }
});

Deno.test("wilsonInterval() gives the stroke dataset's 249 of 5110 a rate of 0.0487", () => {
  const ci = wilsonInterval(249, 5110);
  assertClose(ci.rate, 0.0487);
  const [low, high] = quadraticRoots(249, 5110);
  assertClose(ci.low, low, 10);
  assertClose(ci.high, high, 10);
  assertClose(ci.low, 0.0432);
  assertClose(ci.high, 0.0550);
});

Deno.test("wilsonInterval() agrees with the quadratic's roots for any counts", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 100_000 }).chain((n) =>
        fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))
      ),
      ([events, n]) => {
        const ci = wilsonInterval(events, n);
        const [low, high] = quadraticRoots(events, n);
        assertClose(ci.low, Math.max(0, low), 9);
        assertClose(ci.high, Math.min(1, high), 9);
        assert.ok(0 <= ci.low && ci.low <= ci.rate && ci.rate <= ci.high && ci.high <= 1);
        const mirror = wilsonInterval(n - events, n);
        assertClose(ci.low, 1 - mirror.high, 9);
      },
    ),
  );
});

Deno.test("wilsonInterval() of no records is the whole range with a rate of 0", () => {
  assert.deepEqual(wilsonInterval(0, 0), { rate: 0, low: 0, high: 1 });
});

Deno.test("wilsonInterval() narrows with a smaller z", () => {
  const wide = wilsonInterval(31, 250);
  const narrow = wilsonInterval(31, 250, 1);
  assert.ok(narrow.low > wide.low && narrow.high < wide.high);
});

Deno.test("wilsonInterval() refuses counts that are not a proportion", () => {
  assert.throws(() => wilsonInterval(-1, 10), RangeError);
  assert.throws(() => wilsonInterval(11, 10), RangeError);
  assert.throws(() => wilsonInterval(1.5, 10), RangeError);
  assert.throws(() => wilsonInterval(1, Number.NaN), RangeError);
  assert.throws(() => wilsonInterval(1, 10, 0), RangeError);
});

Deno.test("formatPercent() writes a fraction as a percentage with one decimal", () => {
  assert.equal(formatPercent(249 / 5110), "4.9%");
  assert.equal(formatPercent(0.124), "12.4%");
  assert.equal(formatPercent(0), "0.0%");
  assert.equal(formatPercent(1), "100.0%");
});

Deno.test("formatPercent() takes the number of decimals and never writes minus zero", () => {
  assert.equal(formatPercent(0.1, 0), "10%");
  assert.equal(formatPercent(0.1234, 2), "12.34%");
  assert.equal(formatPercent(-0.00001), "0.0%");
  assert.equal(formatPercent(Number.NaN), "–");
});

Deno.test("formatOddsRatio() keeps two decimals below 10 and fewer above", () => {
  assert.equal(formatOddsRatio(1), "1.00");
  assert.equal(formatOddsRatio(3.704), "3.70");
  assert.equal(formatOddsRatio(12.34), "12.3");
  assert.equal(formatOddsRatio(140.2), "140");
  assert.equal(formatOddsRatio(0.0042), "0.0042");
  assert.equal(formatOddsRatio(0.0004), "< 0.001");
});

Deno.test("formatPValue() writes three decimals and anything below 0.001 as < 0.001", () => {
  assert.equal(formatPValue(0.0321), "0.032");
  assert.equal(formatPValue(0.7), "0.700");
  assert.equal(formatPValue(0.001), "0.001");
  assert.equal(formatPValue(0.00099), "< 0.001");
  assert.equal(formatPValue(1e-20), "< 0.001");
});
