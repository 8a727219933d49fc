/**
 * Two app instances on the same databases (a backend's store opened twice), a user with an API
 * token, and one patient: the setting of the tests of writes racing across instances.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../../db/accounts/database.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { createTestApp, type TestApp, testConfig } from "./app.ts";
import { loadDocument, registerApiUser } from "./api.ts";
import type { patientBackends } from "./backends.ts";
import { samplePatient } from "./fixtures.ts";

export interface TwoInstances {
  apps: [TestApp, TestApp];
  store: PatientStore;
  owner: number;
  /** Calls the API on instance `i % 2` with the user's token. */
  call(
    i: number,
    method: string,
    path: string,
    body?: unknown,
    headers?: HeadersInit,
  ): Promise<Response>;
}

/** Runs `body` with two instances on `backend`, a user with a token, and patient `patientId`. */
export async function withTwoInstances(
  backend: ReturnType<typeof patientBackends>[number],
  patientId: number,
  body: (ctx: TwoInstances) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = Deno.makeTempDirSync({ prefix: "spm-race-" });
  const config = testConfig({ dataDir: dir });
  const first = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: opened.value },
    config,
  );
  const second = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: opened.another() },
    config,
  );
  try {
    await loadDocument(first);
    const user = await registerApiUser(first, "race@example.org");
    const apps: [TestApp, TestApp] = [first, second];
    const call: TwoInstances["call"] = (i, method, path, json, headers = {}) =>
      apps[i % 2]!.request(path, {
        method,
        headers: {
          Authorization: `Bearer ${user.token}`,
          ...(json === undefined ? {} : { "Content-Type": "application/json" }),
          ...Object.fromEntries(new Headers(headers)),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    const created = await call(0, "POST", "/api/patient_data", samplePatient({ id: patientId }));
    assert.equal(created.status, 201);
    await created.body?.cancel();
    await body({ apps, store: opened.value, owner: user.id, call });
  } finally {
    await second.close();
    await first.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}
