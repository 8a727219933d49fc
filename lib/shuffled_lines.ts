/**
 * Lines in a uniformly random order, in one pass over their source and with memory bounded by a
 * bucket: each line goes to a random bucket (kept in memory, or spilled to a temporary file once
 * there are many), then each bucket is shuffled and sent in turn. Sorting by independent random
 * keys (the bucket, then the place within it) gives every order the same chance.
 */

/** Lines held in memory before the buckets spill to temporary files. */
const IN_MEMORY = 100_000;
/** Buckets once spilled: a million lines make buckets of about 16,000. */
const BUCKETS = 64;

/** Random 32-bit numbers, drawn from the system's generator 16,384 at a time (its most per call). */
const randomPool = new Uint32Array(16_384);
let poolLeft = 0;
const random32 = () => {
  if (poolLeft === 0) {
    crypto.getRandomValues(randomPool);
    poolLeft = randomPool.length;
  }
  return randomPool[--poolLeft]!;
};

/** Fisher–Yates with crypto randomness. */
export function shuffleInPlace<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random32() % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Buckets in temporary files, each line a line of its file (lines must hold no line break). */
class SpilledBuckets {
  readonly #dir = Deno.makeTempDirSync({ prefix: "spm-shuffle-" });
  readonly #files = Array.from(
    { length: BUCKETS },
    (_, i) => Deno.openSync(`${this.#dir}/${i}`, { create: true, write: true, append: true }),
  );
  readonly #pending: string[][] = Array.from({ length: BUCKETS }, () => []);
  readonly #encoder = new TextEncoder();

  add(line: string): void {
    const bucket = random32() % BUCKETS;
    const pending = this.#pending[bucket]!;
    pending.push(line);
    if (pending.length >= 1000) this.#flush(bucket);
  }

  #flush(bucket: number): void {
    const pending = this.#pending[bucket]!;
    if (pending.length === 0) return;
    const bytes = this.#encoder.encode(pending.join("\n") + "\n");
    let written = 0;
    while (written < bytes.length) {
      written += this.#files[bucket]!.writeSync(bytes.subarray(written));
    }
    pending.length = 0;
  }

  /** Each bucket's lines, read back one bucket at a time. */
  *buckets(): Generator<string[]> {
    for (let i = 0; i < BUCKETS; i++) this.#flush(i);
    for (const file of this.#files) file.close();
    for (let i = 0; i < BUCKETS; i++) {
      const text = Deno.readTextFileSync(`${this.#dir}/${i}`);
      yield text === "" ? [] : text.slice(0, -1).split("\n");
    }
  }

  remove(): void {
    for (const file of this.#files) {
      try {
        file.close();
      } catch { /* closed already */ }
    }
    Deno.removeSync(this.#dir, { recursive: true });
  }
}

/** `source`'s lines (none holding a line break) in a uniformly random order. */
export async function* shuffledLines(source: AsyncIterable<string>): AsyncGenerator<string> {
  let held: string[] = [];
  let spilled: SpilledBuckets | null = null;
  try {
    for await (const line of source) {
      if (spilled) {
        spilled.add(line);
        continue;
      }
      held.push(line);
      if (held.length > IN_MEMORY) {
        spilled = new SpilledBuckets();
        for (const kept of held) spilled.add(kept);
        held = [];
      }
    }
    const buckets = spilled ? spilled.buckets() : [held];
    for (const bucket of buckets) {
      shuffleInPlace(bucket);
      yield* bucket;
    }
  } finally {
    spilled?.remove();
  }
}
