/** Synthetic admissions: deterministic, always valid, and shaped like a real stroke unit's. */
import assert from "node:assert/strict";
import type { Admission } from "../lib/stroke/admission_fields.ts";
import { validateAdmission } from "../lib/stroke/admission_rules.ts";
import { qualityIndicators } from "../lib/stroke/quality_indicators.ts";
import {
  admissionsOfPatient,
  syntheticAdmissions,
  type SyntheticPatient,
} from "../lib/stroke/synthetic_admissions.ts";
import { formatWithOffset } from "../lib/stroke/time_zone.ts";
import { assertIndicatorRanges, assertWithin } from "./helpers/admissions.ts";
import { DATASET, loadDataset, skipWithoutData } from "./helpers/dataset.ts";

const now = new Date("2026-12-01T09:00:00Z");

function patients(count: number, strokeEvery = 1): SyntheticPatient[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    age: 30 + (i * 37) % 60,
    stroke: (i % strokeEvery === 0 ? 1 : 0) as 0 | 1,
  }));
}

/** An admission as a client would send it: times with the offset of `zone`. */
function asJson(admission: Admission, zone: string): Record<string, unknown> {
  const { admission_id: _id, ...fields } = admission;
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v instanceof Date ? formatWithOffset(v, zone) : v]),
  );
}

Deno.test("syntheticAdmissions() gives the same admissions for the same seed, others for another", () => {
  const group = patients(300, 2);
  const first = [...syntheticAdmissions(group, { seed: 7, now })];
  const again = [...syntheticAdmissions(group, { seed: 7, now })];
  assert.deepEqual(again, first);
  const other = [...syntheticAdmissions(group, { seed: 8, now })];
  assert.notDeepEqual(other, first);
  // A patient's admissions do not depend on who else is generated.
  const alone = admissionsOfPatient(group[42]!, { seed: 7, now });
  assert.deepEqual(alone, first.filter((a) => a.patient_id === 43).map((a) => a.admission));
});

Deno.test("syntheticAdmissions() are all valid under the admission rules, sent in any zone", () => {
  const all = [...syntheticAdmissions(patients(4000, 3), { seed: 3, now })];
  assert.ok(all.length > 1000);
  for (const [i, { admission }] of all.entries()) {
    const zone = ["Europe/London", "America/New_York", "Asia/Kolkata"][i % 3]!;
    const result = validateAdmission(asJson(admission, zone), "create", { now });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const { admission_id: _id, ...fields } = admission;
    assert.deepEqual(result.value, fields, "read back as generated");
  }
});

Deno.test("syntheticAdmissions() admits every stroke patient with a stroke, and some others with a TIA or mimic", () => {
  const group = patients(3000, 4);
  const byPatient = new Map<number, Admission[]>();
  for (const { patient_id, admission } of syntheticAdmissions(group, { seed: 11, now })) {
    byPatient.set(patient_id, [...(byPatient.get(patient_id) ?? []), admission]);
  }
  for (const patient of group) {
    const list = byPatient.get(patient.id) ?? [];
    if (patient.stroke === 1) {
      assert.ok(list.length >= 1 && list.length <= 2, `patient ${patient.id}`);
      assert.ok(
        list.every((a) => a.stroke_type === "ischaemic" || a.stroke_type === "haemorrhagic"),
      );
    } else {
      assert.ok(list.every((a) => a.stroke_type === "TIA" || a.stroke_type === "mimic"));
    }
    assert.deepEqual(list.map((a) => a.admission_id), list.map((_, i) => i + 1));
    for (let i = 1; i < list.length; i++) {
      assert.ok(list[i - 1]!.arrival_at <= list[i]!.arrival_at, "oldest first");
    }
  }
  const others = group.filter((p) => p.stroke === 0);
  const admittedOthers = others.filter((p) => byPatient.has(p.id)).length / others.length;
  assert.ok(admittedOthers > 0.01 && admittedOthers < 0.035, `${admittedOthers}`);
});

Deno.test("syntheticAdmissions() look like a stroke unit's: thrombolysis, door to needle, deaths, mRS", () => {
  const admissions = [...syntheticAdmissions(patients(20_000), { seed: 5, now })]
    .map((a) => a.admission);
  const q = qualityIndicators(admissions, { from: null, to: null, zone: "UTC" });
  assertIndicatorRanges(q, {
    thrombolysis_rate: [0.12, 0.18],
    thrombectomy_rate: [0.05, 0.1],
    door_to_needle: [45, 55],
    door_to_needle_60: [0.6, 0.75],
    in_hospital_death: [0.07, 0.13],
    nihss_recorded: [0.88, 0.95],
  });
  const within = assertWithin;
  const grades = q.mrs_90d.all;
  const total = grades.reduce((a, b) => a + b, 0);
  within(grades[6] / total, 0.1, 0.25, "dead at 90 days");
  within((grades[0] + grades[1] + grades[2]) / total, 0.45, 0.7, "mRS 0–2 at 90 days");
  const good = (counts: number[]) =>
    (counts[0]! + counts[1]! + counts[2]!) / counts.reduce((a, b) => a + b, 0);
  assert.ok(good(q.mrs_90d.thrombolysed) > good(q.mrs_90d.not_thrombolysed), "thrombolysis helps");
  assert.ok(admissions.every((a) => a.arrival_at.getTime() < now.getTime() - 86_400_000));
});

Deno.test("syntheticAdmissions() give each of the dataset's stroke patients an admission", () => {
  if (skipWithoutData(DATASET)) return;
  const dataset = loadDataset()!;
  const admitted = new Set(
    [...syntheticAdmissions(dataset.patients, { seed: 1, now })].map((a) => a.patient_id),
  );
  const strokes = dataset.patients.filter((p) => p.stroke === 1);
  assert.equal(strokes.length, 249);
  assert.ok(strokes.every((p) => admitted.has(p.id)));
  assert.ok(admitted.size > strokes.length, "some patients without a stroke have a TIA or mimic");
});
