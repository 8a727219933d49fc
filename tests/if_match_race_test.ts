/**
 * If-Match under concurrency, on every backend: of simultaneous writes naming the same ETag
 * exactly one wins and the others are refused (412, or the conflict message in the browser),
 * through the API and the inline edit, sent to two app instances on the same databases; writes
 * without If-Match all land, one after another. The audit log then holds every acknowledged
 * write, in order, as one unbroken chain of revisions: no acknowledged write was overwritten.
 */
import assert from "node:assert/strict";
import type { AuditEntry } from "../lib/audit.ts";
import { beginEntry, CHANGE_LEASE_MS, entryBy } from "../lib/audit_trail.ts";
import { newRevision } from "../lib/patient_store.ts";
import { patientBackends } from "./helpers/backends.ts";
import { PASSWORD, samplePatient } from "./helpers/fixtures.ts";
import { parseDom } from "./helpers/html.ts";
import {
  type TwoInstances,
  withTwoInstances as withSharedInstances,
} from "./helpers/two_instances.ts";
import { htmxHeaders } from "./helpers/patients_pages.ts";
import { TestBrowser } from "./helpers/test_browser.ts";

/** Writes sent at once in each round. */
const WRITERS = 6;
/** Rounds of each kind of burst. */
const ROUNDS = 8;
const ID = 4242;
const URL = `/api/patient_data/${ID}`;

/** The glucose level that tags the write `n` (every write stores its own value). */
const glucoseOf = (n: number) => 60 + n / 100;

type Instances = TwoInstances;

/** Two app instances on the same databases, a user with a token, and patient `ID`. */
const withTwoInstances = (
  backend: ReturnType<typeof patientBackends>[number],
  body: (ctx: Instances) => Promise<void>,
) => withSharedInstances(backend, ID, body);

/** Sends every request at once; the statuses and ETags, in the order sent. */
async function all(requests: (() => Promise<Response>)[]) {
  const responses = await Promise.all(requests.map((send) => send()));
  return await Promise.all(responses.map(async (res) => {
    const text = await res.text();
    return { status: res.status, etag: res.headers.get("ETag"), text };
  }));
}

const revisionOfEtag = (etag: string | null) => etag?.replace(/^"|"$/g, "") ?? null;

/** The current ETag of the patient (null when it is not live). */
async function etagNow(ctx: Instances): Promise<string | null> {
  const res = await ctx.call(0, "GET", URL);
  await res.body?.cancel();
  return res.status === 200 ? res.headers.get("ETag") : null;
}

/**
 * The log's done changes of the patient, oldest first, checked to form one chain: each
 * change starts from the revision the one before it wrote.
 */
async function chainOf(ctx: Instances): Promise<AuditEntry[]> {
  const done = (await ctx.store.audit.history(ctx.owner, ID)).reverse()
    .filter((entry) => entry.revision_after !== null); // not the views
  done.slice(1).forEach((entry, i) => {
    assert.equal(
      entry.revision_before,
      done[i]!.revision_after,
      `the ${entry.action} at ${i + 1} starts from what the ${done[i]!.action} before it wrote`,
    );
  });
  return done;
}

/** Every acknowledged revision is in the chain, in the order acknowledged. */
function assertAcknowledgedInOrder(chain: AuditEntry[], acknowledged: string[]) {
  let from = 0;
  for (const revision of acknowledged) {
    const at = chain.findIndex((e, i) => i >= from && e.revision_after === revision);
    assert.ok(at >= 0, `the acknowledged revision ${revision} is in the log, in order`);
    from = at + 1;
  }
}

for (const backend of patientBackends()) {
  Deno.test(
    `[${backend.name}] simultaneous PUTs and PATCHes naming one If-Match: each round exactly one wins and the others get 412`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        const acknowledged: string[] = [];
        const values = new Map<string, number>();
        let last = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const etag = (await etagNow(ctx))!;
          const method = round % 2 === 0 ? "PATCH" : "PUT";
          const sent = Array.from({ length: WRITERS }, (_, i) => round * WRITERS + i + 1);
          const answers = await all(sent.map((n, i) => () => {
            const body = method === "PATCH"
              ? { avg_glucose_level: glucoseOf(n) }
              : samplePatient({ avg_glucose_level: glucoseOf(n) });
            return ctx.call(i, method, URL, body, { "If-Match": etag });
          }));
          const statuses = answers.map((a) => a.status).sort();
          assert.deepEqual(
            statuses,
            [200, ...Array(WRITERS - 1).fill(412)],
            `round ${round + 1} (${method}): one winner, the others 412`,
          );
          const winner = answers.findIndex((a) => a.status === 200);
          acknowledged.push(revisionOfEtag(answers[winner]!.etag)!);
          last = sent[winner]!;
          values.set(acknowledged.at(-1)!, glucoseOf(last));
        }
        const read = await ctx.call(1, "GET", URL);
        assert.equal((await read.json()).avg_glucose_level, glucoseOf(last), "the last win stays");
        const chain = await chainOf(ctx);
        assertAcknowledgedInOrder(chain, acknowledged);
        for (const entry of chain.slice(1)) {
          assert.equal(
            entry.changes.avg_glucose_level?.[1],
            values.get(entry.revision_after!),
            "each change in the history holds the value its writer was told was saved",
          );
        }
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous DELETEs naming one If-Match, and restores, each have exactly one winner`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        for (let round = 0; round < ROUNDS / 2; round++) {
          const etag = (await etagNow(ctx))!;
          const deletes = await all(
            Array.from({ length: WRITERS }, (_, i) => () =>
              ctx.call(i, "DELETE", URL, undefined, { "If-Match": etag })),
          );
          const deleted = deletes.map((a) =>
            a.status
          );
          assert.equal(deleted.filter((s) => s === 204).length, 1, `one delete wins: ${deleted}`);
          assert.ok(deleted.every((s) => [204, 404, 412].includes(s)), `the others: ${deleted}`);
          const restores = await all(
            Array.from({ length: WRITERS }, (_, i) => () => ctx.call(i, "POST", `${URL}/restore`)),
          );
          const restored = restores.map((a) => a.status);
          assert.equal(
            restored.filter((s) => s === 200).length,
            1,
            `one restore wins: ${restored}`,
          );
          assert.ok(restored.every((s) => [200, 404, 409].includes(s)), `the others: ${restored}`);
        }
        const chain = await chainOf(ctx);
        assert.deepEqual(
          chain.map((e) => e.action),
          ["create", ...Array(ROUNDS / 2).fill(["delete", "restore"]).flat()],
        );
        assert.equal(await etagNow(ctx), `"${chain.at(-1)!.revision_after}"`);
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous PATCHes without If-Match all land, one after another, none lost`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        const acknowledged: string[] = [];
        for (let round = 0; round < ROUNDS / 2; round++) {
          const answers = await all(
            Array.from({ length: WRITERS }, (_, i) => () =>
              ctx.call(i, "PATCH", URL, { avg_glucose_level: glucoseOf(round * WRITERS + i + 1) })),
          );
          assert.deepEqual(
            answers.map((a) =>
              a.status
            ),
            Array(WRITERS).fill(200),
          );
          acknowledged.push(...answers.map((a) => revisionOfEtag(a.etag)!));
        }
        const chain = await chainOf(ctx);
        assert.equal(chain.length, 1 + acknowledged.length, "one entry per acknowledged write");
        for (const revision of acknowledged) {
          assert.ok(chain.some((e) => e.revision_after === revision), `${revision} is in the log`);
        }
        assert.equal(await etagNow(ctx), `"${chain.at(-1)!.revision_after}"`);
      }),
  );

  Deno.test(
    `[${backend.name}] simultaneous inline edits from one edit form: one is saved, the others see the conflict message`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        const browsers = ctx.apps.map((app) => new TestBrowser(app));
        for (const browser of browsers) {
          assert.equal((await browser.logIn("race@example.org", PASSWORD)).status, 303);
          assert.equal((await browser.get("/patients")).status, 200);
        }
        const acknowledged: string[] = [];
        for (let round = 0; round < ROUNDS / 2; round++) {
          const edit = await browsers[0]!.get(`/patients/${ID}/edit`, {
            ...htmxHeaders(browsers[0]!, `patient-${ID}`),
          });
          const revision = parseDom(await edit.text()).find('input[name="revision"]')
            ?.getAttribute("value");
          assert.ok(revision, "the edit form carries the revision");
          const answers = await all(Array.from({ length: WRITERS }, (_, i) => () => {
            const browser = browsers[i % 2]!;
            const form = new URLSearchParams({
              ...Object.fromEntries(
                Object.entries(samplePatient({ age: 20 + round * WRITERS + i }))
                  .map(([k, v]) => [k, String(v)]),
              ),
              revision,
            });
            return browser.request(`/patients/${ID}`, {
              method: "PUT",
              headers: htmxHeaders(browser, `patient-${ID}`),
              body: form,
            });
          }));
          const statuses = answers.map((a) => a.status).sort();
          assert.deepEqual(statuses, [200, ...Array(WRITERS - 1).fill(409)], `round ${round + 1}`);
          for (const answer of answers.filter((a) => a.status === 409)) {
            assert.match(
              parseDom(answer.text).text('[role="alert"]'),
              /^Someone else changed this patient.*not saved/,
            );
          }
          acknowledged.push((await ctx.store.get(ctx.owner, ID))!.revision);
        }
        assertAcknowledgedInOrder(await chainOf(ctx), acknowledged);
      }),
  );
}

/** A journal entry begun by an instance that stopped `ageMs` ago, changing `ID` from `revision`. */
async function abandonedChange(ctx: Instances, revision: string, ageMs: number) {
  const entry = entryBy({ userId: ctx.owner }, "update", ID, {
    at: new Date(Date.now() - ageMs),
    revision_before: revision,
    revision_after: newRevision(),
    changes: { age: [67, 1] },
  });
  await beginEntry(ctx.store.audit, entry);
  return entry;
}

for (const backend of patientBackends()) {
  Deno.test(
    `[${backend.name}] a change begun by an instance that died blocks the record only until its lease ends`,
    () =>
      withTwoInstances(backend, async (ctx) => {
        const etag = (await etagNow(ctx))!;
        const young = await abandonedChange(ctx, revisionOfEtag(etag)!, 1_000);
        const blocked = await ctx.call(0, "PATCH", URL, { age: 70 }, { "If-Match": etag });
        assert.equal(blocked.status, 412, "a change from the same revision is under way");
        await blocked.body?.cancel();
        // Without If-Match the write waits for the change under way, then lands after it.
        const waiting = ctx.call(1, "PATCH", URL, { age: 71 });
        await new Promise((resolve) => setTimeout(resolve, 200));
        await ctx.store.audit.finish({ ...young, status: "failed" });
        const landed = await waiting;
        assert.equal(landed.status, 200);
        assert.equal((await landed.json()).age, 71);

        const current = (await etagNow(ctx))!;
        const old = await abandonedChange(ctx, revisionOfEtag(current)!, CHANGE_LEASE_MS + 1_000);
        const settled = await ctx.call(0, "PATCH", URL, { age: 72 }, { "If-Match": current });
        assert.equal(settled.status, 200, "a claim past its lease is settled on the spot");
        await settled.body?.cancel();
        assert.equal((await ctx.store.audit.get(old.id))?.status, "failed", "it changed nothing");
        assertAcknowledgedInOrder(await chainOf(ctx), [
          revisionOfEtag(settled.headers.get("ETag"))!,
        ]);
      }),
  );
}
