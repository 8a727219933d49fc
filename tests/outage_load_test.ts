/**
 * Outages under load: clients read and write while the test kills FerretDB (a process of its
 * own, SIGKILL) or cuts MariaDB off (a TCP proxy in front of the real server), then brings it
 * back. What needs the missing database answers 503 within 2 s, the rest keeps working, the app
 * recovers within 5 s, every acknowledged write is there afterwards and no refused one is half
 * done. The app runs with its default database timeouts.
 */
import assert from "node:assert/strict";
import { findUserById } from "../db/accounts/users.ts";
import { checkWrites, type WriteAttempt } from "./helpers/acknowledged_writes.ts";
import { loadDocument, registerApiUser } from "./helpers/api.ts";
import type { TestApp } from "./helpers/app.ts";
import { mongoServer, mysqlServer } from "./helpers/backends.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import { withMongoOutageApp, withMysqlOutageApp } from "./helpers/outage_apps.ts";
import {
  type Answer,
  apiWriter,
  assertOutageBehaviour,
  Load,
  type Outage,
  read,
  reader,
  runOutage,
  Tags,
} from "./helpers/outage_load.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

/** A client changing its name on the profile page; every attempt is kept as [name, status]. */
async function profileWriter(
  load: Load,
  affected: boolean,
  browser: TestBrowser,
  names: [string, number][],
): Promise<void> {
  for (let n = 1; load.running; n++) {
    const name = `Name ${n}`;
    const res = await load.send(
      "profile form",
      affected,
      "POST /profile",
      () => read(browser.postForm("/profile", { name })),
    );
    names.push([name, res.status]);
    assert.ok([303, 503].includes(res.status), `POST /profile answered ${res.status}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** The name kept: the last one acknowledged, or a later one whose answer was a 503. */
function assertNameKept(name: string | undefined, names: [string, number][]): void {
  const last = names.findLastIndex(([, status]) => status === 303);
  const allowed = names.filter(([, status], i) => i === last || (i > last && status === 503));
  assert.ok(allowed.some(([n]) => n === name), `the name is ${name}`);
}

interface Scenario {
  app: TestApp;
  outage: Outage;
  /** Which of the clients need the database that goes away. */
  affects: { patients: boolean; accounts: boolean };
  /** Requests that need no database at all, sent without a session. */
  publicPaths: string[];
}

/** Runs the clients through the outage, checks what they saw and what was stored. */
async function underLoad(scenario: Scenario) {
  try {
    await runScenario(scenario);
  } catch (error) {
    // What the app logged of a failure (a 500 says no more than its request id).
    console.log(scenario.app.logs.filter((line) => / error: /.test(line)).join("\n"));
    throw error;
  }
}

async function runScenario({ app, outage, affects, publicPaths }: Scenario) {
  await loadDocument(app);
  const user = await registerApiUser(app, "clinician@example.org");
  const again = { email: user.email, existing: true, page: "/profile" };
  const [pages, profile] = [await loggedInBrowser(app, again), await loggedInBrowser(app, again)];
  const anonymous = new TestBrowser(app);
  const load = new Load();
  const tags = new Tags();
  const attempts: WriteAttempt[] = [];
  const names: [string, number][] = [];
  const get = (browser: TestBrowser) => (path: string): Promise<Answer> => read(browser.get(path));
  const clients = [
    apiWriter(load, "api writer 1", true, user.api, 1, tags, attempts),
    apiWriter(load, "api writer 2", true, user.api, 100_000, tags, attempts),
    apiWriter(load, "api writer 3", true, user.api, 200_000, tags, attempts),
    apiWriter(load, "api writer 4", true, user.api, 300_000, tags, attempts),
    reader(load, "api reader", true, [
      "/api/patient_data?per_page=20",
      "/api/patient_data?sort=-age&gender=Male",
    ], (path) => user.api("GET", path)),
    reader(load, "patients page", true, ["/patients"], get(pages)),
    reader(load, "health", true, ["/healthz"], (path) => read(app.request(path))),
    profileWriter(load, affects.accounts, profile, names),
    reader(load, "public pages", false, publicPaths, get(anonymous)),
  ];
  if (!affects.accounts) {
    clients.push(reader(load, "profile page", false, ["/profile", "/"], get(pages)));
  }
  const times = await runOutage(
    load,
    clients,
    outage,
    async () => (await read(app.request("/healthz"))).status === 200,
  );
  const report = assertOutageBehaviour(load.samples, times);
  const writes = await checkWrites(app.stores.patients, user.id, attempts);
  assertNameKept((await findUserById(app.stores.accounts, user.id))?.name, names);
  const acked = attempts.filter((a) => a.status < 300).length;
  console.log(JSON.stringify({ ...report, writes: attempts.length, acked, ...writes }));
}

Deno.test({
  name:
    "killing FerretDB under load: patient requests answer 503 within 2 s, accounts and public pages keep working, it recovers within 5 s and keeps every acknowledged write",
  ignore: !mongoServer(),
  fn: () =>
    withMongoOutageApp(undefined, (app, outage) =>
      underLoad({
        app,
        outage,
        affects: { patients: true, accounts: false },
        publicPaths: ["/", "/login", "/api/codebook", "/api/openapi.json"],
      })),
});

Deno.test({
  name:
    "cutting MariaDB off under load: signed-in requests answer 503 within 2 s, public pages keep working, it recovers within 5 s and keeps every acknowledged write",
  ignore: !mysqlServer(),
  fn: () =>
    withMysqlOutageApp(undefined, (app, outage) =>
      underLoad({
        app,
        outage,
        affects: { patients: false, accounts: true },
        publicPaths: ["/", "/login", "/register", "/api/codebook", "/api/openapi.json"],
      })),
});
