/**
 * Heavy requests through the app, on every patient backend: an export holds its user's slot until
 * its stream ends or is cancelled, and meanwhile that user's other heavy requests are refused with
 * 429 and Retry-After — problem+json in the API, a readable page or fragment in the browser —
 * while another user is served. Summaries are kept until the records change, whichever app
 * instance changes them, and concurrent asks for one summary share its computation.
 */
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { type ApiUser, loadDocument, registerApiUser } from "./helpers/api.ts";
import { createTestApp, type TestApp, testConfig } from "./helpers/app.ts";
import { type Backend, patientBackends } from "./helpers/backends.ts";
import { samplePatients } from "./helpers/chromium.ts";
import { PASSWORD } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

const P = "/api/patient_data";
/** Short waits, so that a refusal comes quickly. */
const LIMITS = { perUser: 1, userWaitMs: 200, slots: 4, waitMs: 2_000 };

/** The store, counting the summary queries it is asked (countGroups stands for them all). */
function counting(store: PatientStore): { store: PatientStore; queries: () => number } {
  let queries = 0;
  const countGroups: PatientStore["countGroups"] = (...args) => {
    queries++;
    return store.countGroups(...args);
  };
  return { store: { ...store, countGroups }, queries: () => queries };
}

interface Setting {
  app: TestApp;
  /** The app's store, counting its summary queries. */
  queries: () => number;
  /** A second app instance on the same databases (own connections). */
  other: TestApp;
  alice: ApiUser;
  bob: ApiUser;
  /** Alice's browser session. */
  session: TestBrowser;
}

async function withLimitedApps(
  backend: Backend<PatientStore>,
  body: (setting: Setting) => Promise<void>,
): Promise<void> {
  const opened = await backend.open();
  const dir = await Deno.makeTempDir({ prefix: "spm-heavy-" });
  const config = testConfig({ dataDir: dir, heavyWork: LIMITS });
  const { store, queries } = counting(opened.value);
  const app = await createTestApp({ accounts: openAccountsDb(null, dir), patients: store }, config);
  const other = await createTestApp(
    { accounts: openAccountsDb(null, dir), patients: opened.reopen!() },
    config,
  );
  try {
    await loadDocument(app);
    const alice = await registerApiUser(app, "alice@example.org");
    const bob = await registerApiUser(app, "bob@example.org");
    for (const user of [alice, bob]) {
      await opened.value.insertMany(user.id, samplePatients(60, 1));
    }
    const session = new TestBrowser(app);
    assert.equal((await session.logIn(alice.email, PASSWORD)).status, 303);
    await body({ app, queries, other, alice, bob, session });
  } finally {
    await other.close();
    await app.close();
    await opened.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

function heavyTest(name: string, body: (setting: Setting) => Promise<void>) {
  for (const backend of patientBackends()) {
    Deno.test(`[${backend.name}] ${name}`, () => withLimitedApps(backend, body));
  }
}

heavyTest(
  "an export holds its user's slot until its stream ends or is cancelled; their next heavy request gets 429",
  async ({ app, alice, bob, session }) => {
    const exporting = await app.request(`${P}/export`, {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    assert.equal(exporting.status, 200);

    // The API: problem+json naming what runs, and when to try again.
    for (const path of [`${P}/stats`, `${P}/quality`, `${P}/risk`, `${P}/export?format=json`]) {
      const refused = await alice.api("GET", path);
      assert.equal(refused.status, 429, `${path} while the export streams`);
      assert.equal(refused.headers.get("Content-Type"), "application/problem+json");
      assert.equal(refused.headers.get("Retry-After"), "1");
      assert.equal(refused.body.title, "Still working on your last request");
      assert.match(refused.body.detail, /^Your export is still running/);
    }
    const csv = "id,gender,age,hypertension,heart_disease,ever_married,work_type," +
      "Residence_type,avg_glucose_level,bmi,smoking_status,stroke\n";
    const importing = await alice.api("POST", `${P}/import?dry_run=true`, csv, {
      "Content-Type": "text/csv",
    });
    assert.equal(importing.status, 429);
    assert.match(importing.body.detail, /Your import check was not started/);

    // The browser: a page to read, and a fragment for an htmx request.
    const page = await session.get("/dashboard");
    assert.equal(page.status, 429);
    assert.equal(page.headers.get("Retry-After"), "1");
    const dom = parseDom(await page.text());
    assert.equal(dom.text("h1"), "Still working on your last request");
    assert.match(dom.text(".lead"), /Your export is still running.*Your dashboard was not started/);
    const check = await session.get("/patients/export/anonymity?deidentify=true&k_min=5", {
      "HX-Request": "true",
    });
    assert.equal(check.status, 429);
    const fragment = await check.text();
    assert.doesNotMatch(fragment, /<html/);
    assert.match(fragment, /role="alert".*Your anonymity check was not started/s);

    const form = new FormData();
    form.set("_csrf", session.csrf);
    form.set("on_conflict", "skip");
    form.set("file", new File([csv], "ward.csv", { type: "text/csv" }));
    const upload = await session.request("/patients/import", { method: "POST", body: form });
    assert.equal(upload.status, 429);
    assert.match(parseDom(await upload.text()).text(".lead"), /Your import check was not started/);

    // Another user is served meanwhile.
    assert.equal((await bob.api("GET", `${P}/stats`)).status, 200);

    // Cancelled, the export gives the slot back at once.
    await exporting.body!.cancel();
    assert.equal((await alice.api("GET", `${P}/stats`)).status, 200);

    // Read to its end, too.
    const whole = await app.request(`${P}/export?format=json`, {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    assert.equal((await whole.json()).length, 60);
    assert.equal((await alice.api("GET", `${P}/quality?gender=Female`)).status, 200);
  },
);

heavyTest(
  "summaries are kept until the records change, whichever app instance changes them",
  async ({ queries, other, alice }) => {
    const stats = async () => {
      const res = await alice.api("GET", `${P}/stats`);
      assert.equal(res.status, 200, res.text);
      return res.body.total as number;
    };
    assert.equal(await stats(), 60);
    const computed = queries();
    assert.ok(computed > 0);
    assert.equal(await stats(), 60);
    assert.equal((await alice.api("GET", `${P}/quality`)).status, 200);
    assert.equal(queries(), computed, "kept: asked again, nothing is counted afresh");

    // The other instance adds a record, then deletes one: each time this one counts afresh.
    const headers = { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" };
    const added = await other.request(P, {
      method: "POST",
      headers,
      body: JSON.stringify({ ...samplePatients(1, 1000)[0] }),
    });
    assert.equal(added.status, 201);
    assert.equal(await stats(), 61);
    assert.ok(queries() > computed);
    const removed = await other.request(`${P}/1000`, { method: "DELETE", headers });
    assert.equal(removed.status, 204);
    assert.equal(await stats(), 60);
  },
);

heavyTest(
  "concurrent asks for one summary share its computation and none is refused",
  async ({ queries, alice }) => {
    const before = queries();
    assert.equal((await alice.api("GET", `${P}/stats?gender=Male`)).status, 200);
    const once = queries() - before;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => alice.api("GET", `${P}/stats?gender=Female`)),
    );
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
    assert.equal(queries() - before - once, once, "five asks, one computation");
  },
);
