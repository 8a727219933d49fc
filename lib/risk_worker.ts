/**
 * The risk model in a worker thread (started by `risk_off_thread.ts`): fitting it on tens of
 * thousands of records takes seconds of CPU, which on the main thread would stall every request.
 * Receives the records in slices, then `null`: answers with the report or why there is none.
 */
import { setPriority } from "node:os";
import type { PatientFields } from "./patient_fields.ts";
import { fitRiskModel, RiskModelError } from "./risk_model.ts";
import type { RiskAnswer } from "./risk_off_thread.ts";

/** The little of a worker's global scope used here (the checker sees window's types). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<PatientFields[] | null>) => void) | null;
  postMessage(message: RiskAnswer): void;
}

const scope = globalThis as unknown as WorkerScope;

// The lowest CPU priority for this thread, so that the main thread (answering requests) wins a
// busy core. On Linux the nice value is a thread's own (setpriority(2)); elsewhere it would be
// the whole process's, so it is left alone there.
if (Deno.build.os === "linux") {
  try {
    setPriority(19);
  } catch {
    // Not allowed (no --allow-sys): the fit runs at normal priority.
  }
}
const records: PatientFields[] = [];

scope.onmessage = (event) => {
  if (event.data !== null) {
    for (const record of event.data) records.push(record);
    return;
  }
  try {
    scope.postMessage({ report: fitRiskModel(records) });
  } catch (error) {
    scope.postMessage(
      error instanceof RiskModelError
        ? { refused: error.message }
        : { failed: error instanceof Error ? (error.stack ?? error.message) : String(error) },
    );
  }
};
