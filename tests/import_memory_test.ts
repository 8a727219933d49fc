/**
 * A hostile import against the app as a process: half a million one-letter rows (a megabyte)
 * once answered 50 MB after 24 s and took the app from 108 to 896 MB. Now the answer is one
 * short message and the app's memory stays where it was.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { createUser } from "../db/accounts/users.ts";
import { hashPassword } from "../lib/passwords.ts";
import { startMain } from "./helpers/app_process.ts";
import { HEADER } from "./helpers/csv_files.ts";
import { PASSWORD } from "./helpers/fixtures.ts";

/** Growth of the app's resident memory allowed over the import (it grew by 788 MB before). */
const MAX_GROWTH_BYTES = 100 * 1024 * 1024;

Deno.test("half a million one-letter rows answer a short 400 while the app's memory stays flat", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "spm-import-memory-" });
  const accounts = openAccountsDb(null, dataDir);
  await createUser(accounts, {
    name: "Ann",
    email: "ann@example.org",
    passwordHash: await hashPassword(PASSWORD, 4),
  });
  await accounts.close();
  const app = startMain({ DATA_DIR: dataDir, SESSION_SECRET: "a-session-secret-of-the-test-1234" });
  try {
    await app.waitFor(/Patients: .*\n/);
    const created = await fetch(`${app.base}/api/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "ann@example.org", password: PASSWORD, name: "t" }),
    });
    const { token } = await created.json();
    const send = async (body: string) => {
      const res = await fetch(`${app.base}/api/patient_data/import`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/csv" },
        body,
      });
      return { status: res.status, text: await res.text() };
    };
    await send(HEADER + "x\r\n".repeat(2000)); // warmed up: the code and the stores are loaded
    const before = app.rss();
    let peak = before;
    const sampler = setInterval(() => peak = Math.max(peak, app.rss()), 20);
    const hostile = await send(HEADER + "x\n".repeat(500_000));
    clearInterval(sampler);
    peak = Math.max(peak, app.rss());
    assert.equal(hostile.status, 400);
    assert.ok(hostile.text.length < 1_000, `a ${hostile.text.length}-byte answer`);
    assert.match(hostile.text, /stopped at line 1,002/);
    assert.ok(
      peak - before < MAX_GROWTH_BYTES,
      `the app grew from ${Math.round(before / 1e6)} to ${Math.round(peak / 1e6)} MB`,
    );
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
