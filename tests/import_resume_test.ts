/**
 * A browser import survives the instance that ran it: two app instances on the same databases,
 * the first (a process of its own) killed mid-import; the second takes the import over once the
 * first's lease ran out and finishes it — or, when it keeps losing its instance, it is marked
 * failed and runs again from where it stopped. Nothing is imported twice, and every record
 * has its audit entry.
 */
import assert from "node:assert/strict";
import { type Config, loadConfig } from "../config.ts";
import { openAccountsDb } from "../db/accounts/database.ts";
import { findImport } from "../db/accounts/imports.ts";
import { resumeStalledImports } from "../lib/import_runner.ts";
import { openMongoPatientStore } from "../db/patients/mongo/store.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import type { Stores } from "../db/stores.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { type RunningApp, startMain } from "./helpers/app_process.ts";
import { dropServerDatabases, mongoServer, mysqlServer, uniqueName } from "./helpers/backends.ts";
import { csvRow, HEADER } from "./helpers/csv_files.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const SECRET = "test-secret-that-is-long-enough-1234";
const LEASE_SECONDS = 2;

interface Setup {
  name: string;
  /** Rows with ids (batches of 5,000), then rows without: FerretDB takes 10 s a batch. */
  withIds: number;
  withoutIds: number;
  /** The environment of the first instance, and the stores of the second, on the same databases. */
  open(dataDir: string): { env: Record<string, string>; stores: Stores; drop(): Promise<void> };
}

const setups: Setup[] = [{
  name: "embedded",
  withIds: 30_000,
  withoutIds: 3_000,
  open: (dataDir) => ({
    env: { DATA_DIR: dataDir },
    stores: { accounts: openAccountsDb(null, dataDir), patients: openSqlitePatientStore(dataDir) },
    drop: () => Promise.resolve(),
  }),
}];
const mysql = mysqlServer();
const mongo = mongoServer();
if (mysql && mongo) {
  setups.push({
    name: "MariaDB and FerretDB",
    withIds: 12_000,
    withoutIds: 1_000,
    open(dataDir) {
      const database = uniqueName("spm_resume");
      const env = {
        DATA_DIR: dataDir,
        MYSQL_HOST: mysql.host,
        MYSQL_PORT: String(mysql.port),
        MYSQL_USER: mysql.user,
        MYSQL_PASSWORD: mysql.password,
        MYSQL_DB: database,
        MONGO_URI: mongo.uri,
        MONGO_DB: database,
      };
      const config: Config = loadConfig(env);
      return {
        env,
        stores: {
          accounts: openAccountsDb(config.mysql, dataDir),
          patients: openMongoPatientStore(config.mongo!),
        },
        drop: () => dropServerDatabases(database),
      };
    },
  });
}

function file({ withIds, withoutIds }: Setup): string {
  let text = HEADER;
  for (let id = 1; id <= withIds; id++) text += csvRow(id);
  for (let i = 0; i < withoutIds; i++) text += csvRow("");
  return text;
}

/**
 * Ann uploads the file through the second instance, then starts the import on the first (as
 * a load balancer might send her), which is killed once its first batch is stored.
 */
async function importKilledMidway(
  setup: Setup,
  first: RunningApp,
  second: TestApp,
  ann: TestBrowser,
): Promise<string> {
  await ann.get("/patients/import");
  const form = new FormData();
  form.set("_csrf", ann.csrf);
  form.set("on_conflict", "skip");
  form.set("file", new File([file(setup)], "ward.csv", { type: "text/csv" }));
  const uploaded = await ann.request("/patients/import", { method: "POST", body: form });
  assert.equal(uploaded.status, 303, parseDom(await uploaded.text()).text("body").slice(0, 500));
  const url = uploaded.headers.get("Location")!;
  const id = url.split("/").at(-1)!;
  await ann.get(url);
  const started = await fetch(`${first.base}${url}/run`, {
    method: "POST",
    headers: {
      Cookie: ann.cookieHeader(),
      Origin: first.base,
      "HX-Request": "true",
      "X-CSRF-Token": ann.csrf,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ _csrf: ann.csrf, on_conflict: "skip" }),
  });
  assert.equal(started.status, 200, await started.text());
  for (let i = 0;; i++) {
    const job = await findImport(second.stores.accounts, 1, id);
    if (job && job.rowsDone >= 5000) break;
    assert.ok(i < 1200, "the first instance stores its first batch within a minute");
    await new Promise((r) => setTimeout(r, 50));
  }
  await first.kill();
  const job = (await findImport(second.stores.accounts, 1, id))!;
  assert.equal(job.status, "running");
  assert.ok(job.rowsDone < setup.withIds + setup.withoutIds, "killed midway");
  return url;
}

/** Polls the import's progress as the page does, until its report. */
async function report(ann: TestBrowser, url: string) {
  const hx = { "HX-Request": "true" };
  for (let i = 0; i < 2400; i++) {
    const answer = parseDom(await (await ann.get(`${url}/progress`, hx)).text());
    if (!answer.find("#import-progress")) return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail("no report within two minutes");
}

/** Every row stored once, each with one create entry, the import's entry done with the counts. */
async function assertImportedOnce(setup: Setup, second: TestApp) {
  const { patients } = second.stores;
  const rows = setup.withIds + setup.withoutIds;
  assert.equal(await patients.count(1), rows, "every row once");
  assert.ok(await patients.get(1, setup.withIds));
  const creates = await patients.audit.search({ ownerId: 1, action: "create" }, {
    offset: 0,
    limit: 1,
  });
  assert.equal(creates.total, rows, "one entry per record");
  const imports = await patients.audit.search({ ownerId: 1, action: "import" }, {
    offset: 0,
    limit: 5,
  });
  assert.deepEqual(imports.items.map((e) => [e.status, e.details?.inserted]), [
    ["done", rows],
  ]);
}

async function withTwoInstances(
  setup: Setup,
  body: (first: RunningApp, second: TestApp, ann: TestBrowser) => Promise<void>,
) {
  const dataDir = await Deno.makeTempDir({ prefix: "spm-import-resume-" });
  const opened = setup.open(dataDir);
  const second = await createTestApp(
    opened.stores,
    testConfig({ dataDir, importLeaseMs: LEASE_SECONDS * 1000 }),
  );
  const ann = new TestBrowser(second);
  assert.equal((await ann.register("Ann", "ann@example.org", PASSWORD)).status, 303);
  const first = startMain({
    ...opened.env,
    SESSION_SECRET: SECRET,
    IMPORT_LEASE_SECONDS: String(LEASE_SECONDS),
  });
  try {
    await first.waitFor(/Patients: .*\n/);
    await body(first, second, ann);
  } finally {
    await first.stop();
    await second.close();
    await opened.drop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

for (const setup of setups) {
  Deno.test(
    `[${setup.name}] an import whose instance is killed is taken over by another and finished, nothing twice`,
    () =>
      withTwoInstances(setup, async (first, second, ann) => {
        const url = await importKilledMidway(setup, first, second, ann);
        const done = await report(ann, url);
        assert.match(done.text(".import-report .alert"), /Import finished/);
        const rows = (setup.withIds + setup.withoutIds).toLocaleString("en-US");
        assert.equal(done.text("ul.counts li"), `${rows} added`);
        assert.ok(second.logs.some((l) => /taken over after its instance stopped/.test(l)));
        await assertImportedOnce(setup, second);
      }),
  );
}

Deno.test(
  "an import that keeps losing its instance is marked failed, and runs again from where it stopped",
  () =>
    withTwoInstances(setups[0]!, async (first, second, ann) => {
      const url = await importKilledMidway(setups[0]!, first, second, ann);
      // As if it had been taken over twice already and lost each time.
      await second.stores.accounts.run((db) =>
        db.updateTable("imports").set({ attempts: 3 }).execute()
      );
      const failed = await report(ann, url);
      assert.match(failed.text(".alert-error"), /stopped before it finished/);
      const again = failed.get("form button");
      assert.equal(again.textContent, "Run the import again");
      const ran = await ann.postForm(`${url}/run`, {});
      assert.equal(ran.status, 303);
      const done = parseDom(await (await ann.get(url)).text());
      assert.equal(done.text("ul.counts li"), "33,000 added");
      await assertImportedOnce(setups[0]!, second);
    }),
);

Deno.test("the housekeeping takes over an import whose instance is gone and nobody watches", () =>
  withTwoInstances(setups[0]!, async (first, second, ann) => {
    const url = await importKilledMidway(setups[0]!, first, second, ann);
    const config = { importMaxBytes: 20_000_000, importLeaseMs: LEASE_SECONDS * 1000 };
    const logs: string[] = [];
    await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1000 + 200));
    assert.equal(await resumeStalledImports(second.stores, config, (l) => logs.push(l)), 1);
    assert.ok(logs.some((l) => /taken over after its instance stopped/.test(l)));
    const job = (await findImport(second.stores.accounts, 1, url.split("/").at(-1)!))!;
    assert.equal(job.status, "done");
    await assertImportedOnce(setups[0]!, second);
  }));
