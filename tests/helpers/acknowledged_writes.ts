/**
 * Writes made through the API while a database fails, and the checks that nothing acknowledged
 * was lost and nothing refused was half done. Each write stamps its record with its own tag:
 * glucose, age and BMI all follow from one number, so a record mixing two writes shows.
 */
import assert from "node:assert/strict";
import type { AuditEntry } from "../../lib/audit.ts";
import { settlePending } from "../../lib/audit_trail.ts";
import type { NewPatient, PatientRecord } from "../../lib/patient_fields.ts";
import type { PatientStore } from "../../lib/patient_store.ts";
import { samplePatient } from "./fixtures.ts";

export type WriteKind = "create" | "replace" | "delete" | "restore";

/** One write a client sent: what, with which tag, and how it was answered. */
export interface WriteAttempt {
  id: number;
  kind: WriteKind;
  /** The tag of the values it writes (create, replace); null for a delete or restore. */
  tag: number | null;
  status: number;
  /** The ETag of an acknowledged create, replace or restore. */
  revision: string | null;
}

const TAGS = 90_000;

/** The patient a write with tag `tag` stores: every measured field follows from the tag. */
export function taggedPatient(tag: number): Omit<NewPatient, "id"> {
  const n = tag % TAGS;
  return samplePatient({
    avg_glucose_level: 60 + n / 100,
    age: 1 + (n % 119),
    bmi: 10 + (n % 140),
  });
}

/** The tag a stored record carries; throws when its fields do not all come from one write. */
export function tagOf(record: PatientRecord): number {
  const tag = Math.round((record.avg_glucose_level - 60) * 100);
  const expected = taggedPatient(tag);
  assert.deepEqual(
    [record.age, record.bmi],
    [expected.age, expected.bmi],
    `patient ${record.id} mixes the values of two writes (glucose says tag ${tag})`,
  );
  return tag;
}

export const acknowledged = (a: WriteAttempt) => a.status >= 200 && a.status < 300;

/** What the audit log says a done entry wrote, oldest first. */
async function doneEntries(store: PatientStore, owner: number, id: number): Promise<AuditEntry[]> {
  return (await store.audit.history(owner, id)).reverse();
}

/**
 * Settles the journal as the housekeeping would a quarter of an hour later, then checks every
 * record the attempts touched: it is in exactly one place (live or deleted), that place carries
 * the revision of the last change the log says was done, its values come from one write, the
 * last acknowledged write or a later one that answered 503; and every acknowledged write is in
 * the log, in order. Returns how many acknowledged writes were checked, and how many journal
 * entries (changes cut short) the settling decided.
 */
export async function checkWrites(
  store: PatientStore,
  owner: number,
  attempts: readonly WriteAttempt[],
): Promise<{ checked: number; settled: number }> {
  const settled = await settlePending(store, new Date(Date.now() + 16 * 60_000));
  const left = await store.audit.pending(new Date(Date.now() + 60 * 60_000), 10);
  assert.deepEqual(left.map((e) => e.action), [], "no entry is left in the journal");
  const ids = [...new Set(attempts.map((a) => a.id))];
  let checked = 0;
  for (const id of ids) {
    const mine = attempts.filter((a) => a.id === id);
    const done = await doneEntries(store, owner, id);
    const live = await store.get(owner, id);
    const copy = await store.getDeleted(owner, id);
    const last = done.at(-1);
    const where = `patient ${id} (${mine.map((a) => `${a.kind}:${a.status}`).join(" ")})`;
    if (!last) {
      assert.deepEqual([live, copy], [null, null], `${where}: no change was done, none is stored`);
    } else if (last.action === "delete") {
      assert.equal(live, null, `${where}: deleted last, so not live`);
      assert.equal(copy?.revision, last.revision_after, `${where}: the deleted copy is the last`);
    } else {
      assert.equal(live?.revision, last.revision_after, `${where}: live with the last change`);
      assert.equal(copy, null, `${where}: live and also among the deleted`);
    }
    // Every acknowledged write is in the log, in the order the client saw them.
    let from = 0;
    for (const attempt of mine.filter(acknowledged)) {
      const at = done.findIndex((entry, i) =>
        i >= from && entry.action === (attempt.kind === "replace" ? "update" : attempt.kind) &&
        (attempt.revision === null || entry.revision_after === attempt.revision)
      );
      assert.ok(at >= 0, `${where}: the acknowledged ${attempt.kind} is not in the log`);
      from = at + 1;
      checked++;
    }
    if (live) {
      // The values: from the last acknowledged write, or from a later one whose answer was lost.
      const tag = tagOf(live);
      const lastAcked = mine.findLastIndex((a) => acknowledged(a) && a.tag !== null);
      const allowed = mine.filter((a, i) =>
        a.tag !== null && (i === lastAcked || (i > lastAcked && a.status === 503))
      ).map((a) => a.tag);
      assert.ok(allowed.includes(tag), `${where}: holds tag ${tag}, not one of ${allowed}`);
    }
  }
  return { checked, settled };
}
