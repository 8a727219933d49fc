/** Seeded randomness: the stream of a seed never changes, and a shuffle is a seeded permutation. */
import assert from "node:assert/strict";
import { mulberry32, shuffle } from "../lib/random.ts";

Deno.test("mulberry32() gives a seed the same stream on every run, as seeds need", () => {
  const random = mulberry32(2002);
  assert.deepEqual([random(), random(), random()], [
    0.28105762135237455,
    0.9586628628894687,
    0.8481183664407581,
  ]);
  const again = mulberry32(2002);
  assert.equal(again(), 0.28105762135237455);
  assert.notEqual(mulberry32(2003)(), 0.28105762135237455);
});

Deno.test("mulberry32() stays within [0, 1) and spreads evenly over it", () => {
  const random = mulberry32(7);
  const tenths = new Array<number>(10).fill(0);
  for (let n = 0; n < 100_000; n++) {
    const value = random();
    assert.ok(value >= 0 && value < 1, `${value} is outside [0, 1)`);
    tenths[Math.floor(value * 10)]!++;
  }
  for (const count of tenths) assert.ok(Math.abs(count - 10_000) < 500, `${tenths}`);
});

Deno.test("shuffle() puts every item back once, in the same order for the same seed", () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  const first = shuffle([...items], mulberry32(14));
  const second = shuffle([...items], mulberry32(14));
  assert.deepEqual(first, second);
  assert.notDeepEqual(first, items);
  assert.deepEqual([...first].sort((a, b) => a - b), items);
  assert.notDeepEqual(shuffle([...items], mulberry32(15)), first);
});

Deno.test("shuffle() shuffles in place and gives every order of three items about as often", () => {
  const random = mulberry32(3);
  const orders = new Map<string, number>();
  for (let n = 0; n < 60_000; n++) {
    const items = ["a", "b", "c"];
    assert.equal(shuffle(items, random), items);
    orders.set(items.join(""), (orders.get(items.join("")) ?? 0) + 1);
  }
  assert.equal(orders.size, 6);
  for (const count of orders.values()) assert.ok(Math.abs(count - 10_000) < 500, `${[...orders]}`);
});
