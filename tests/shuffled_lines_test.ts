/** shuffledLines(): every line once, in a random order, past the in-memory limit too, nothing left on disk. */
import assert from "node:assert/strict";
import { shuffledLines } from "../lib/shuffled_lines.ts";

async function* numbers(count: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield String(i);
}

function tempEntries(): Set<string> {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  return new Set(
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("spm-shuffle-")),
  );
}

for (const count of [0, 1, 5_000, 250_000]) {
  Deno.test(`shuffledLines() gives ${count.toLocaleString("en-US")} lines back once each, shuffled`, async () => {
    const before = tempEntries();
    const out: string[] = [];
    for await (const line of shuffledLines(numbers(count))) out.push(line);
    assert.equal(out.length, count);
    const seen = new Uint8Array(count);
    for (const line of out) seen[Number(line)]!++;
    assert.ok(seen.every((n) => n === 1), "each line exactly once");
    if (count >= 5_000) {
      const inPlace = out.filter((line, i) => Number(line) === i).length;
      assert.ok(inPlace < count / 100, `${inPlace} lines kept their place`);
      // The first tenth of the output draws from everywhere, not from the start.
      const early = out.slice(0, count / 10).map(Number);
      assert.ok(Math.max(...early) > count * 0.9 && Math.min(...early) < count * 0.1);
    }
    assert.deepEqual(tempEntries(), before, "the spilled buckets are removed");
  });
}
