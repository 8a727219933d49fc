/**
 * Uploads waiting in the accounts database, on SQLite and MariaDB: a few per user (a newer one
 * replaces the oldest), a total for the app, removed a day after they were last touched (a done
 * import's file at once), and the lease that lets any instance take over a run whose instance
 * is gone — but never one that is alive.
 */
import assert from "node:assert/strict";
import type { AccountsDb } from "../db/accounts/database.ts";
import { cleanUp, IMPORT_KEPT_MS } from "../db/housekeeping.ts";
import {
  claimImport,
  findImport,
  finishImport,
  renewLease,
  saveUpload,
  stalledImports,
  takeOverImport,
  uploadBytes,
} from "../db/accounts/imports.ts";
import { ThrottledError } from "../lib/errors.ts";
import { testConfig } from "./helpers/app.ts";
import { accountBackends } from "./helpers/backends.ts";

const QUOTA = { perUser: 3, totalBytes: 10_000 };
const bytes = (n: number) => new Uint8Array(n).fill(65);

async function upload(accounts: AccountsDb, userId: number, size = 100, quota = QUOTA) {
  return await saveUpload(accounts, {
    userId,
    fileName: "a.csv",
    bytes: bytes(size),
    onConflict: "skip",
  }, quota);
}

async function fileOf(accounts: AccountsDb, id: string): Promise<number> {
  let total = 0;
  for await (const piece of uploadBytes(accounts, id)) total += piece.length;
  return total;
}

for (const backend of accountBackends()) {
  const test = (name: string, fn: (accounts: AccountsDb) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      try {
        await fn(opened.value);
      } finally {
        await opened.cleanup();
      }
    });

  test("a user keeps at most three waiting uploads: a fourth replaces the oldest", async (db) => {
    const first = await upload(db, 1);
    await new Promise((r) => setTimeout(r, 5));
    const others = [await upload(db, 1), await upload(db, 1)];
    const theirs = await upload(db, 2);
    const fourth = await upload(db, 1);
    assert.equal(await findImport(db, 1, first.id), null, "the oldest is replaced");
    assert.equal(await fileOf(db, first.id), 0, "with its file");
    for (const job of [...others, fourth]) assert.ok(await findImport(db, 1, job.id));
    assert.ok(await findImport(db, 2, theirs.id), "another user's upload is not touched");
  });

  test("the app refuses an upload past its total, saying so", async (db) => {
    await upload(db, 1, 4000);
    await upload(db, 2, 4000);
    await assert.rejects(
      () => upload(db, 3, 4000),
      (error: unknown) =>
        error instanceof ThrottledError &&
        /already keeps 0 MB of files waiting/.test(error.message),
    );
    await upload(db, 3, 2000);
  });

  test("a done import's file is removed at once; uploads untouched for a day by the housekeeping", async (db) => {
    const done = await upload(db, 1, 600_000, { perUser: 3, totalBytes: 1e6 });
    assert.equal(await fileOf(db, done.id), 600_000);
    assert.ok(await claimImport(db, done.id, ["previewed"], "run-1", 10_000));
    assert.ok(
      await finishImport(db, done.id, "run-1", { status: "done", result: {}, rowsDone: 1 }),
    );
    assert.equal(await fileOf(db, done.id), 0, "the file is gone");
    assert.equal((await findImport(db, 1, done.id))?.status, "done", "the report stays");
    const waiting = await upload(db, 1);
    const security = testConfig().security;
    assert.equal((await cleanUp(db, security)).imports, 0, "nothing is a day old yet");
    const later = Date.now() + IMPORT_KEPT_MS + 1000;
    assert.equal((await cleanUp(db, security, later)).imports, 2);
    assert.equal(await findImport(db, 1, waiting.id), null);
  });

  test("a running import is taken over only once its lease ran out, by one taker", async (db) => {
    const job = await upload(db, 1);
    assert.ok(await claimImport(db, job.id, ["previewed"], "first", 60_000));
    assert.equal(await claimImport(db, job.id, ["previewed"], "again", 60_000), false);
    assert.equal(await takeOverImport(db, job.id, "second", 60_000), false, "alive: not taken");
    assert.deepEqual(await stalledImports(db, Date.now(), 10), []);
    // Its instance is gone: a minute later, the lease has run out.
    const later = Date.now() + 61_000;
    assert.deepEqual((await stalledImports(db, later, 10)).map((j) => j.id), [job.id]);
    const takers = await Promise.all(
      ["second", "third"].map((owner) => takeOverImport(db, job.id, owner, 60_000, later)),
    );
    assert.deepEqual(takers.sort(), [false, true], "exactly one takes it over");
    assert.equal(await renewLease(db, job.id, "first", 60_000), false, "the first run lost it");
    const now = (await findImport(db, 1, job.id))!;
    assert.equal(now.attempts, 2);
    assert.ok(
      await renewLease(db, job.id, now.leaseOwner!, 60_000, { rowsDone: 5, run: { a: 1 } }),
    );
    const renewed = (await findImport(db, 1, job.id))!;
    assert.deepEqual([renewed.rowsDone, renewed.run], [5, { a: 1 }]);
    assert.ok(await finishImport(db, job.id, now.leaseOwner!, { status: "failed" }));
    assert.ok(
      await claimImport(db, job.id, ["failed"], "rerun", 60_000),
      "a failed import runs again",
    );
  });
}
