/**
 * Hostile input, property-based (fast-check): two users send generated JSON bodies, query
 * strings, form posts and CSV files to the API and the pages. No answer is a 5xx, every API
 * answer to a documented path is one the OpenAPI document describes, neither user is ever shown
 * the other's records, and afterwards every stored record passes the validator and has only the
 * record's fields. 10,500 requests on the embedded store; a share of them on MongoDB/FerretDB.
 */
import fc from "fast-check";
import assert from "node:assert/strict";
import { openAccountsDb } from "../db/accounts/database.ts";
import { openSqlitePatientStore } from "../db/patients/sqlite/store.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { loadDocument } from "./helpers/api.ts";
import { createTestApp, testConfig } from "./helpers/app.ts";
import { type Backend, type Opened, patientBackends } from "./helpers/backends.ts";
import {
  bodyText,
  contentType,
  csvFile,
  encodeForm,
  formEncoding,
  formFields,
  headerText,
  importQuery,
  queryString,
} from "./helpers/hostile_inputs.ts";
import { oddText, pathIdIn } from "./helpers/hostile_values.ts";
import {
  apiRequest,
  assertStoredValid,
  check,
  type Party,
  party,
  revisionsOf,
  sessionRequest,
} from "./helpers/two_users.ts";

/** Runs of each property on the embedded store; MongoDB gets `MONGO_SHARE` of them. */
const RUNS = { writes: 4000, queries: 3000, forms: 2000, imports: 1500 };
const MONGO_SHARE = 0.1;

const API_READS = [
  "/api/patient_data",
  "/api/patient_data/export",
  "/api/patient_data/stats",
  "/api/patient_data/quality",
  "/api/patient_data/deleted",
  "/api/patient_data/{id}",
  "/api/patient_data/{id}/history",
  "/api/admin/audit",
];
const PAGES = [
  "/patients",
  "/dashboard",
  "/patients/deleted",
  "/patients/export/anonymity",
  "/patients/{id}",
  "/patients/{id}/edit",
  "/patients/{id}/history",
];

/** One of the keys, as often as its weight says. */
function weighted<K extends string>(weights: Record<K, number>): fc.Arbitrary<K> {
  return fc.oneof(
    ...Object.entries<number>(weights).map(([key, weight]) => ({
      weight,
      arbitrary: fc.constant(key as K),
    })),
  );
}

/** `value` now and then, else null. */
function sometimes<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: value });
}

/** An htmx request from the list page showing `view` (null: a plain browser request). */
function htmx(view: string | null): HeadersInit {
  if (view === null) return {};
  // As a browser sends it: the address, escaped.
  const url = new URL(`http://127.0.0.1:5000/patients?${view.toWellFormed()}`).href;
  return { "HX-Request": "true", "HX-Current-URL": url };
}

/**
 * A directory in memory where the machine has one: the embedded stores wait for the disk on
 * every write (`synchronous = FULL`), and this test writes thousands of times.
 */
function scratchDir(): Promise<string> {
  const prefix = "spm-hostile-";
  try {
    if (Deno.statSync("/dev/shm").isDirectory) return Deno.makeTempDir({ dir: "/dev/shm", prefix });
  } catch {
    // no such directory here
  }
  return Deno.makeTempDir({ prefix });
}

async function patientStore(backend: Backend<PatientStore>, dir: string) {
  if (backend.name !== "embedded") return await backend.open();
  const value = openSqlitePatientStore(dir);
  return { value, cleanup: () => value.close() } satisfies Opened<PatientStore>;
}

function hostileInputTest(backend: Backend<PatientStore>, share: number) {
  const numRuns = (n: number) => ({ numRuns: Math.max(25, Math.round(n * share)) });
  Deno.test({
    name:
      `[${backend.name}] generated bodies, query strings, form posts and CSV files never get a 5xx, store nothing invalid and show no one another user's records`,
    async fn() {
      const dir = await scratchDir();
      const opened = await patientStore(backend, dir);
      const app = await createTestApp(
        { accounts: openAccountsDb(null, dir), patients: opened.value },
        testConfig({ dataDir: dir }),
      );
      try {
        await loadDocument(app);
        const a = await party(app, "A", 987.65, 900_001);
        const b = await party(app, "B", 876.54, 800_001);
        const pairs: [Party, Party][] = [[a, b], [b, a]];
        // Who sends, as an index so that a counterexample prints short: 0 is A, 1 is B. A user
        // names its own ids, odd ones and the other's canaries, never its own canaries.
        const sender = <T extends unknown[]>(more: (others: number[]) => fc.Arbitrary<T>) =>
          fc.constantFrom(0, 1).chain((i) =>
            more(pairs[i]![1].canaries.map((c) => c.id)).map((rest): [number, ...T] => [
              i,
              ...rest,
            ])
          );
        let requests = 0;

        // The JSON API's writes.
        await fc.assert(
          fc.asyncProperty(
            sender((others) =>
              fc.tuple(
                weighted({ POST: 3, PUT: 3, PATCH: 3, DELETE: 1, RESTORE: 1 }),
                pathIdIn(others),
                bodyText(others),
                contentType,
                sometimes(headerText),
                sometimes(headerText),
              )
            ),
            async ([i, method, id, body, type, ifMatch, reason]) => {
              const [me, other] = pairs[i]!;
              const path = method === "POST"
                ? "/api/patient_data"
                : method === "RESTORE"
                ? `/api/patient_data/${id}/restore`
                : `/api/patient_data/${id}`;
              const verb = method === "RESTORE" ? "POST" : method;
              const headers: Record<string, string> = {
                ...(ifMatch === null ? {} : { "If-Match": ifMatch }),
                ...(reason === null ? {} : { "X-Change-Reason": reason }),
              };
              const res = ["PUT", "PATCH"].includes(verb) || method === "POST"
                ? await apiRequest(app, me, verb, path, body, type ?? "", headers)
                : await apiRequest(app, me, verb, path, undefined, undefined, headers);
              requests++;
              check(me, other, `${method} ${path}`, res.status, res.text);
            },
          ),
          numRuns(RUNS.writes),
        );

        // Query strings of every list, summary and export, in the API and on the pages.
        await fc.assert(
          fc.asyncProperty(
            sender((others) =>
              fc.tuple(
                pathIdIn(others),
                fc.nat(API_READS.length + PAGES.length - 1),
                queryString,
                fc.option(queryString),
              )
            ),
            async ([i, id, which, query, fragment]) => {
              const [me, other] = pairs[i]!;
              const api = which < API_READS.length;
              const template = api ? API_READS[which as number]! : PAGES[which - API_READS.length]!;
              const base = template.replace("{id}", id);
              const path = query ? `${base}?${query}` : base;
              requests++;
              if (api) {
                const res = await apiRequest(app, me, "GET", path);
                check(me, other, `GET ${path}`, res.status, res.text);
              } else {
                const res = await sessionRequest(app, me, path, { headers: htmx(fragment) });
                check(me, other, `GET ${path}`, res.status, await res.text());
              }
            },
          ),
          numRuns(RUNS.queries),
        );

        // Browser forms: add and edit a patient, delete one, change one's name.
        await fc.assert(
          fc.asyncProperty(
            sender((others) =>
              fc.tuple(
                weighted({ add: 3, edit: 4, delete: 1, profile: 2 }),
                pathIdIn(others),
                formFields,
                oddText,
                formEncoding,
                fc.option(queryString),
              )
            ),
            async ([i, form, id, fields, text, encoding, fragment]) => {
              const [me, other] = pairs[i]!;
              const paths: Record<string, string> = {
                add: "/patients",
                edit: `/patients/${id}`,
                delete: `/patients/${id}/delete`,
                profile: "/profile",
              };
              const sent: Record<string, [string, string][]> = {
                add: fields,
                edit: [
                  ...fields,
                  ["revision", text],
                  ["reason", text],
                ],
                delete: [["reason", text]],
                profile: [["name", text]],
              };
              const entries: [string, string][] = [["_csrf", me.browser.csrf], ...sent[form]!];
              const { body, headers } = encodeForm(entries, encoding);
              const path = paths[form]!;
              requests++;
              const res = await sessionRequest(app, me, path, {
                method: "POST",
                body,
                headers: { ...htmx(fragment), ...headers },
              });
              check(me, other, `POST ${path}`, res.status, await res.text());
            },
          ),
          numRuns(RUNS.forms),
        );

        // CSV imports.
        await fc.assert(
          fc.asyncProperty(
            sender((others) =>
              fc.tuple(
                csvFile(others),
                importQuery,
                weighted({ "text/csv": 6, "text/plain": 1, "application/json": 1, "": 1 }),
              )
            ),
            async ([i, csv, query, type]) => {
              const [me, other] = pairs[i]!;
              const path = `/api/patient_data/import${query ? `?${query}` : ""}`;
              requests++;
              const res = await apiRequest(app, me, "POST", path, csv, type);
              check(me, other, `IMPORT ${path}`, res.status, res.text);
            },
          ),
          numRuns(RUNS.imports),
        );

        // Nothing invalid was stored, the canaries are as they were, and the UUIDs each user
        // was shown include no revision of the other's records.
        const store = opened.value;
        let stored = 0;
        for (const [me, other] of pairs) {
          stored += await assertStoredValid(store, me.user.id);
          for (const canary of me.canaries) {
            const now = await store.get(me.user.id, canary.id);
            assert.equal(now?.revision, canary.revision, `${me.name}'s canary ${canary.id}`);
          }
          const theirs = await revisionsOf(store, other.user.id);
          const leaked = [...me.seen].filter((uuid) => theirs.has(uuid));
          assert.deepEqual(leaked, [], `${me.name} was shown revisions of ${other.name}`);
        }
        const answers = Object.fromEntries([...a.statuses].map(([k, n]) => [
          k,
          n + (b.statuses.get(k) ?? 0),
        ]));
        console.log(JSON.stringify({ backend: backend.name, requests, stored, answers }));
      } finally {
        await app.close();
        await opened.cleanup();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

for (const backend of patientBackends()) {
  hostileInputTest(backend, backend.name === "embedded" ? 1 : MONGO_SHARE);
}
