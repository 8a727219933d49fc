/** Timing comparisons that hold on a busy machine: the two kinds of work interleaved, medians compared. */

/**
 * The median times (ms) of `runs` runs each of `a` and `b`, run in turn (a, b, a, b, …) so that
 * a change in the machine's load falls on both alike.
 */
export async function interleavedMedians(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  runs: number,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    for (const [k, work] of [a, b].entries()) {
      const start = performance.now();
      await work();
      times[k]!.push(performance.now() - start);
    }
  }
  const median = (list: number[]) => list.sort((x, y) => x - y)[Math.floor(list.length / 2)]!;
  return [median(times[0]), median(times[1])];
}
