/**
 * Fits the risk model in a worker thread of its own, so that the seconds of CPU it takes on a big
 * registry leave the main thread free for other requests. A worker per fit, ended afterwards; the
 * records go over in slices, with other requests let in between (copying 50,000 records to the
 * worker at once would hold the main thread for a quarter of a second).
 */
import type { PatientFields } from "./patient_fields.ts";
import { RiskModelError, type RiskReport } from "./risk_model.ts";
import { Pace } from "./work_pace.ts";

/** What the worker answers: the report, the model's refusal, or a fault. */
export type RiskAnswer = { report: RiskReport } | { refused: string } | { failed: string };

/** Records sent to the worker at a time. */
const SLICE = 1000;

/** `fitRiskModel(records)` in a worker; throws `RiskModelError` as it does. */
export async function fitRiskModelOffThread(
  records: readonly PatientFields[],
): Promise<RiskReport> {
  const worker = new Worker(new URL("./risk_worker.ts", import.meta.url).href, {
    type: "module",
  });
  try {
    const answer = new Promise<RiskReport>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<RiskAnswer>) => {
        const answer = event.data;
        if ("report" in answer) resolve(answer.report);
        else if ("refused" in answer) reject(new RiskModelError(answer.refused));
        else reject(new Error(`The risk model failed in its worker: ${answer.failed}`));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`The risk model's worker failed: ${event.message}`));
      };
    });
    const pace = new Pace();
    for (let i = 0; i < records.length; i += SLICE) {
      worker.postMessage(records.slice(i, i + SLICE));
      await pace.breathe();
    }
    worker.postMessage(null);
    return await answer;
  } finally {
    worker.terminate();
  }
}
