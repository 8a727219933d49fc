/** The password gate: a burst of logins runs bcrypt a few at a time and sheds what waits too long. */
import assert from "node:assert/strict";
import { WorkGate } from "../lib/work_gate.ts";
import { BusyError } from "../lib/errors.ts";
import { PASSWORD_GATE } from "../lib/passwords.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a burst runs at most `slots` at once, in arrival order", async () => {
  const gate = new WorkGate(2, 5_000);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(Array.from({ length: 10 }, (_, i) =>
    gate.run(async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await sleep(5);
      running--;
    })));
  assert.equal(most, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("work that cannot start in time is refused with BusyError; the rest completes", async () => {
  const gate = new WorkGate(1, 50);
  const results = await Promise.allSettled([
    gate.run(() => sleep(200).then(() => "first")),
    gate.run(() => Promise.resolve("second")),
  ]);
  assert.equal(results[0].status, "fulfilled");
  assert.equal(results[1].status, "rejected");
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof BusyError);
  // The slot is free again afterwards: nothing leaked.
  assert.equal(await gate.run(() => Promise.resolve("third")), "third");
});

Deno.test("a failing job frees its slot", async () => {
  const gate = new WorkGate(1, 1_000);
  await assert.rejects(gate.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await gate.run(() => Promise.resolve(1)), 1);
});

Deno.test("password checks leave at least one core to the rest of the app", () => {
  const cores = navigator.hardwareConcurrency;
  assert.equal(PASSWORD_GATE.slots, Math.max(1, cores - 1));
  assert.equal(PASSWORD_GATE.maxWaitMs, 5_000);
});
