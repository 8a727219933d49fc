/** Heavy work's pace: it gives way to interactive requests, and keeps to its share while they come. */
import assert from "node:assert/strict";
import { breathe, HEAVY_SHARE, interactiveRequests, Pace } from "../lib/work_pace.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the CPU busy for `ms`, as a slice of heavy work does. */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

Deno.test("a breath waits while an interactive request is answered, and goes on when it is", async () => {
  interactiveRequests.begin("list");
  const start = performance.now();
  setTimeout(() => interactiveRequests.end("list"), 5);
  await breathe();
  const waited = performance.now() - start;
  assert.ok(waited >= 4, `waited ${waited.toFixed(1)} ms for the request`);
  assert.ok(waited < 200, "and went on once it was answered");
});

Deno.test("a breath never waits long for a request that does not end", async () => {
  interactiveRequests.begin("hung");
  try {
    const start = performance.now();
    await breathe();
    assert.ok(performance.now() - start < 200, "at most a slice's give-way");
  } finally {
    interactiveRequests.end("hung");
  }
});

Deno.test("while requests come in, heavy work keeps to its share of the thread", async () => {
  const pace = new Pace();
  const start = performance.now();
  let busy = 0;
  while (performance.now() - start < 600) {
    interactiveRequests.begin("steady"); // someone is using the app…
    interactiveRequests.end("steady");
    work(5);
    busy += 5;
    await pace.breathe();
  }
  const share = busy / (performance.now() - start);
  assert.ok(share < HEAVY_SHARE * 1.6, `heavy work took ${(share * 100).toFixed(0)} %`);
});

Deno.test("with nobody else about, heavy work runs at full speed", async () => {
  await sleep(1_100); // the last interactive request is long past
  // Compared with bare breaths in alternating windows, so a busy machine slows both alike.
  const pace = new Pace();
  const spent = { paced: 0, bare: 0 };
  const done = { paced: 0, bare: 0 };
  for (let window = 0; window < 12; window++) {
    const kind = window % 2 === 0 ? "paced" : "bare";
    const start = performance.now();
    while (performance.now() - start < 50) {
      work(5);
      done[kind] += 5;
      await (kind === "paced" ? pace.breathe() : breathe());
    }
    spent[kind] += performance.now() - start;
  }
  const paced = done.paced / spent.paced;
  const bare = done.bare / spent.bare;
  assert.ok(
    paced > bare * 0.5, // a rest while nobody is about would take it to a few per cent
    `heavy work took ${(paced * 100).toFixed(0)} % paced, ${(bare * 100).toFixed(0)} % bare`,
  );
});
