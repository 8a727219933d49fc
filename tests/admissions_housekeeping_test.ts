/**
 * The admissions' housekeeping, on every backend: deleted admissions are purged after the
 * retention period (each purge audited); an admission change left pending by a crash is decided
 * from the revisions (done when the admission has the revision it wrote, failed otherwise) by the
 * admissions' own round, which the records' round leaves alone; and a claim left by an instance
 * that died is settled by the next change that meets it.
 */
import assert from "node:assert/strict";
import { keepAdmissions } from "../lib/admission_audit.ts";
import { createAdmissionService } from "../lib/admission_service.ts";
import { newAdmissionRevision } from "../lib/admission_store.ts";
import { beginEntry, CHANGE_LEASE_MS, entryBy } from "../lib/audit_trail.ts";
import type { PatientStore } from "../lib/patient_store.ts";
import { keepRecords } from "../lib/record_keeping.ts";
import { admissionBody } from "./helpers/admissions.ts";
import { patientBackends } from "./helpers/backends.ts";
import { FIRST_ROW } from "./helpers/fixtures.ts";

const OWNER = 7;
const PATIENT = FIRST_ROW.id;
const DAY = 86_400_000;
const RETENTION = 30 * DAY;
const actor = { userId: OWNER };

for (const backend of patientBackends()) {
  const test = (name: string, fn: (store: PatientStore) => Promise<void>) =>
    Deno.test(`[${backend.name}] ${name}`, async () => {
      const opened = await backend.open();
      try {
        await opened.value.create(OWNER, FIRST_ROW);
        await fn(opened.value);
      } finally {
        await opened.cleanup();
      }
    });

  test("a deleted admission is purged after the retention period, audited", async (store) => {
    const service = createAdmissionService(store);
    await service.create(actor, PATIENT, admissionBody());
    await service.create(actor, PATIENT, admissionBody());
    await service.delete(actor, PATIENT, 1);
    const early = await keepAdmissions(store, new Date(Date.now() + 29 * DAY), RETENTION);
    assert.equal(early.purged, 0);
    assert.equal((await service.listDeleted(actor, PATIENT)).length, 1);
    const late = await keepAdmissions(store, new Date(Date.now() + 31 * DAY), RETENTION);
    assert.equal(late.purged, 1);
    assert.deepEqual(await service.listDeleted(actor, PATIENT), []);
    await assert.rejects(service.restore(actor, PATIENT, 1), /not among its deleted admissions/);
    assert.equal((await service.list(actor, PATIENT)).length, 1, "the live one stays");
    const purge = (await store.audit.history(OWNER, PATIENT)).find((e) => e.action === "purge");
    assert.equal(purge?.details?.admission_id, 1);
    assert.equal(purge?.user_id, null);
  });

  test("a change left pending by a crash is decided from the revisions, by the admissions' round", async (store) => {
    const service = createAdmissionService(store);
    const made = await service.create(actor, PATIENT, admissionBody());
    // A change that happened, then the instance died before finishing its entry…
    const wrote = newAdmissionRevision();
    const happened = entryBy(actor, "update", PATIENT, {
      changes: { nihss_arrival: [8, 20] },
      details: { admission_id: 1 },
      revision_before: made.revision,
      revision_after: wrote,
    });
    await beginEntry(store.audit, happened);
    await store.admissions.update(OWNER, PATIENT, 1, { nihss_arrival: 20 }, made.revision, wrote);
    // …and one that never did (another admission, so that its claim is its own).
    const other = await service.create(actor, PATIENT, admissionBody());
    const never = entryBy(actor, "update", PATIENT, {
      details: { admission_id: 2 },
      revision_before: other.revision,
      revision_after: newAdmissionRevision(),
    });
    await beginEntry(store.audit, never);
    const later = new Date(Date.now() + 20 * 60_000);
    // The records' round leaves them to the admissions' own.
    await keepRecords(store, later, RETENTION);
    assert.equal((await store.audit.pending(later, 10)).length, 2);
    const { settled } = await keepAdmissions(store, later, RETENTION);
    assert.equal(settled, 2);
    assert.deepEqual(await store.audit.pending(later, 10), []);
    const history = await store.audit.history(OWNER, PATIENT);
    const updates = history.filter((e) => e.action === "update");
    assert.deepEqual(updates.map((e) => [e.id, e.details?.admission_id]), [[happened.id, 1]]);
    assert.deepEqual(updates[0]!.changes, { nihss_arrival: [8, 20] });
    const failed = await store.audit.get(never.id);
    assert.equal(failed?.status, "failed");
  });

  test("a claim left by an instance that died is settled by the next change that meets it", async (store) => {
    const service = createAdmissionService(store);
    const made = await service.create(actor, PATIENT, admissionBody());
    const stuck = entryBy(actor, "update", PATIENT, {
      details: { admission_id: 1 },
      revision_before: made.revision,
      revision_after: newAdmissionRevision(),
    });
    stuck.at = new Date(Date.now() - CHANGE_LEASE_MS - 60_000);
    await beginEntry(store.audit, stuck);
    const changed = await service.patch(actor, PATIENT, 1, { nihss_arrival: 3 });
    assert.equal(changed.nihss_arrival, 3);
    assert.equal((await store.audit.get(stuck.id))?.status, "failed");
  });
}
