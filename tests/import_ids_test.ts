/** The import's table of first lines per id: every id kept through growth and collisions. */
import assert from "node:assert/strict";
import { MAX_PATIENT_ID } from "../lib/patient_fields.ts";
import { IdLines } from "../lib/patient_import.ts";

Deno.test("IdLines keeps the first line of every id, and knows no others", () => {
  const lines = new IdLines();
  const ids = [1, 2, 1024, 2048, MAX_PATIENT_ID, 67, 9046];
  for (let i = 0; i < 5000; i++) ids.push(100_000 + i * 1024); // many that share low bits
  ids.forEach((id, i) => lines.set(id, i + 2));
  ids.forEach((id, i) => assert.equal(lines.get(id), i + 2, `id ${id}`));
  for (const id of [3, 1023, 2049, MAX_PATIENT_ID - 1, 100_001]) {
    assert.equal(lines.get(id), undefined, `id ${id}`);
  }
});
