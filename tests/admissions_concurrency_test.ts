/**
 * Admissions under concurrency, on every backend, through two app instances on the same
 * databases: simultaneous creates for one patient all succeed with numbers of their own;
 * of simultaneous writes naming one `If-Match` exactly one wins and the others get 412 (FerretDB
 * v1 does not apply a conditional update atomically: the audit journal's claim does it); writes
 * without `If-Match` all land; and the audit log holds every acknowledged change as one chain.
 */
import assert from "node:assert/strict";
import type { AuditEntry } from "../lib/audit.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { patientBackends } from "./helpers/backends.ts";
import { withTwoInstances as withSharedInstances } from "./helpers/two_instances.ts";

const PATIENT = 4242;
const BASE = `/api/patient_data/${PATIENT}/admissions`;
const WRITERS = 6;
const ROUNDS = 5;

interface Instances {
  store: PatientStore;
  owner: number;
  call(i: number, method: string, path: string, body?: unknown, headers?: HeadersInit): Promise<
    { status: number; etag: string | null; json: () => Record<string, unknown> }
  >;
}

/** Two instances and patient `PATIENT`; `call` answers the status, the ETag and the JSON. */
function withTwoInstances(
  backend: ReturnType<typeof patientBackends>[number],
  body: (ctx: Instances) => Promise<void>,
) {
  return withSharedInstances(backend, PATIENT, ({ store, owner, call }) =>
    body({
      store,
      owner,
      call: async (i, method, path, json, headers) => {
        const res = await call(i, method, path, json, headers);
        const text = await res.text();
        return { status: res.status, etag: res.headers.get("ETag"), json: () => JSON.parse(text) };
      },
    }));
}

/** The log's done changes of admission `aid`, oldest first, checked to form one chain. */
async function chainOf(ctx: Instances, aid: number): Promise<AuditEntry[]> {
  const done = (await ctx.store.audit.history(ctx.owner, PATIENT)).reverse()
    .filter((e) => e.details?.admission_id === aid && e.revision_after !== null);
  done.slice(1).forEach((entry, i) => {
    assert.equal(
      entry.revision_before,
      done[i]!.revision_after,
      `the ${entry.action} at ${i + 1} starts from what the ${done[i]!.action} before it wrote`,
    );
  });
  return done;
}

const revisionOf = (etag: string | null) => etag?.replace(/^"|"$/g, "") ?? null;

for (const backend of patientBackends()) {
  Deno.test(
    `[${backend.name}] simultaneous creates for one patient all succeed, each numbered apart`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            ctx.call(i, "POST", BASE, admissionBody({ nihss_arrival: i }))),
        );
        assert.deepEqual(
          answers.map((a) =>
            a.status
          ),
          Array(10).fill(201),
        );
        const numbers = answers.map((a) => a.json().admission_id as number).sort((a, b) => a - b);
        assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // Each number holds the admission its creator was told about.
        for (const answer of answers) {
          const sent = answer.json();
          const read = await ctx.call(0, "GET", `${BASE}/${sent.admission_id}`);
          assert.equal(read.json().nihss_arrival, sent.nihss_arrival);
        }
        const creates = (await ctx.store.audit.history(ctx.owner, PATIENT))
          .filter((e) => e.action === "create" && e.details?.admission_id !== undefined);
        assert.deepEqual(
          creates.map((e) => e.details!.admission_id).sort((a, b) => Number(a) - Number(b)),
          numbers,
        );
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous writes naming one If-Match: exactly one wins, the others 412`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        assert.equal((await ctx.call(0, "POST", BASE, admissionBody())).status, 201);
        const acknowledged: string[] = [];
        let lastValue = -1;
        for (let round = 0; round < ROUNDS; round++) {
          const etag = (await ctx.call(0, "GET", `${BASE}/1`)).etag!;
          const method = round % 2 === 0 ? "PATCH" : "PUT";
          const values = Array.from({ length: WRITERS }, (_, i) => (round * WRITERS + i) % 43);
          const answers = await Promise.all(values.map((value, i) =>
            ctx.call(
              i,
              method,
              `${BASE}/1`,
              method === "PATCH"
                ? { nihss_arrival: value }
                : admissionBody({ nihss_arrival: value }),
              { "If-Match": etag },
            )
          ));
          const statuses = answers.map((a) => a.status).sort();
          assert.deepEqual(statuses, [200, ...Array(WRITERS - 1).fill(412)], `round ${round + 1}`);
          const winner = answers.findIndex((a) => a.status === 200);
          acknowledged.push(revisionOf(answers[winner]!.etag)!);
          lastValue = values[winner]!;
        }
        assert.equal((await ctx.call(1, "GET", `${BASE}/1`)).json().nihss_arrival, lastValue);
        const chain = await chainOf(ctx, 1);
        assert.deepEqual(
          chain.filter((e) => e.action === "update").map((e) => e.revision_after),
          acknowledged,
          "every acknowledged write is in the log, in order",
        );
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous writes without If-Match all land, one after another`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        assert.equal((await ctx.call(0, "POST", BASE, admissionBody())).status, 201);
        const answers = await Promise.all(
          Array.from({ length: WRITERS }, (_, i) =>
            ctx.call(i, "PATCH", `${BASE}/1`, { nihss_arrival: 30 + i })),
        );
        assert.deepEqual(
          answers.map((a) =>
            a.status
          ),
          Array(WRITERS).fill(200),
        );
        const chain = await chainOf(ctx, 1);
        assert.equal(chain.filter((e) => e.action === "update").length, WRITERS);
        const last = chain.at(-1)!;
        assert.equal(
          (await ctx.call(0, "GET", `${BASE}/1`)).json().nihss_arrival,
          last.changes.nihss_arrival?.[1],
          "the value read is the last change in the log",
        );
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous deletes naming one If-Match, then restores: one winner each`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        assert.equal((await ctx.call(0, "POST", BASE, admissionBody())).status, 201);
        for (let round = 0; round < 2; round++) {
          const etag = (await ctx.call(0, "GET", `${BASE}/1`)).etag!;
          const deletes = (await Promise.all(
            Array.from({ length: WRITERS }, (_, i) =>
              ctx.call(i, "DELETE", `${BASE}/1`, undefined, { "If-Match": etag })),
          )).map((a) =>
            a.status
          );
          assert.equal(deletes.filter((s) => s === 204).length, 1, `one delete: ${deletes}`);
          // A loser may also be told the record is busy (503 + Retry-After) on a slow server.
          assert.ok(deletes.every((s) => [204, 404, 412, 503].includes(s)), `${deletes}`);
          const restores = (await Promise.all(
            Array.from({ length: WRITERS }, (_, i) => ctx.call(i, "POST", `${BASE}/1/restore`)),
          )).map((a) => a.status);
          assert.equal(restores.filter((s) => s === 200).length, 1, `one restore: ${restores}`);
          assert.ok(restores.every((s) => [200, 404, 503].includes(s)), `${restores}`);
        }
        const chain = await chainOf(ctx, 1);
        assert.deepEqual(chain.map((e) => e.action), [
          "create",
          "delete",
          "restore",
          "delete",
          "restore",
        ]);
      }),
  );
}
