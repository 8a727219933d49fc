/**
 * The gates of CPU-heavy work: a burst of logins runs bcrypt a few at a time and sheds what waits
 * too long; heavy requests run one at a time per user and a few in all.
 */
import assert from "node:assert/strict";
import { HeavyWork, WorkGate } from "../lib/work_gate.ts";
import { BusyError, UserBusyError } from "../lib/errors.ts";
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

const owner = (userId: number, requestId: string) => ({ userId, requestId });

Deno.test("a user's second heavy request waits for the first, then is refused naming both", async () => {
  const heavy = new HeavyWork({ perUser: 1, userWaitMs: 50, slots: 4, waitMs: 1_000 });
  const first = heavy.run(owner(1, "a"), "export", () => sleep(300));
  const second = heavy.run(owner(1, "b"), "dashboard", () => Promise.resolve("drawn"));
  const error = await second.then(() => null, (e) => e);
  assert.ok(error instanceof UserBusyError);
  assert.equal(error.waitMs, 50);
  assert.match(error.message, /Your export is still running.*Your dashboard was not started/);
  await first;
  // Once the first has ended, the next one runs.
  assert.equal(
    await heavy.run(owner(1, "c"), "dashboard", () => Promise.resolve("drawn")),
    "drawn",
  );
  assert.equal(heavy.running, 0);
});

Deno.test("a second heavy request that the first ends in time for runs after it", async () => {
  const heavy = new HeavyWork({ perUser: 1, userWaitMs: 1_000, slots: 4, waitMs: 1_000 });
  const order: string[] = [];
  await Promise.all([
    heavy.run(owner(1, "a"), "export", () => sleep(30).then(() => order.push("export"))),
    heavy.run(owner(1, "b"), "import", () => Promise.resolve(order.push("import"))),
  ]);
  assert.deepEqual(order, ["export", "import"]);
});

Deno.test("asks of the request that holds the user's slot share it instead of waiting for it", async () => {
  const heavy = new HeavyWork({ perUser: 1, userWaitMs: 50, slots: 1, waitMs: 50 });
  const result = await heavy.run(
    owner(1, "a"),
    "dashboard",
    () =>
      heavy.run(
        owner(1, "a"),
        "risk model",
        () => heavy.run(owner(1, "a"), "statistics request", () => Promise.resolve("nested")),
      ),
  );
  assert.equal(result, "nested");
  assert.equal(heavy.running, 0, "the slot is given back once, by the outermost");
});

Deno.test("other users run beside a busy one, up to the slots of all; then the server is busy", async () => {
  const heavy = new HeavyWork({ perUser: 1, userWaitMs: 1_000, slots: 2, waitMs: 50 });
  const held = [heavy.acquire(owner(1, "a"), "export"), heavy.acquire(owner(2, "b"), "export")];
  const releases = await Promise.all(held);
  assert.equal(heavy.running, 2);
  const third = await heavy.run(owner(3, "c"), "export", () => Promise.resolve()).catch((e) => e);
  assert.ok(third instanceof BusyError, "a third user waits 50 ms, then 503");
  assert.match(third.message, /busy with other exports and summaries/);
  releases[0]!();
  releases[0]!(); // twice does nothing
  assert.equal(heavy.running, 1);
  await heavy.run(owner(3, "d"), "export", () => Promise.resolve());
  releases[1]!();
  assert.equal(heavy.running, 0);
});

Deno.test("failing heavy work gives its slots back", async () => {
  const heavy = new HeavyWork({ perUser: 1, userWaitMs: 50, slots: 1, waitMs: 50 });
  await assert.rejects(heavy.run(owner(1, "a"), "import", () => Promise.reject(new Error("no"))));
  assert.equal(heavy.running, 0);
  assert.equal(await heavy.run(owner(1, "b"), "import", () => Promise.resolve(2)), 2);
});
