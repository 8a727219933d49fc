/**
 * The admissions section of a patient's page, read for a request: the patient's live and
 * recently deleted admissions in the request's registry, times in the user's zone. Read without
 * a view entry of its own: the page's view of the patient is audited as such.
 */
import type { Context } from "hono";
import {
  AdmissionsBody,
  type AdmissionsBodyProps,
  AdmissionsPanel,
} from "../components/stroke/AdmissionsPanel.tsx";
import { csrfToken } from "../middleware/csrf.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";
import { userTimeZone } from "./time_zone.ts";

type Extra = Pick<AdmissionsBodyProps, "add" | "focus">;

/** What the panel shows now. */
async function panelProps(
  c: Context<AppEnv>,
  patientId: number,
  extra: Extra,
): Promise<AdmissionsBodyProps> {
  const service = c.get("admissions");
  const actor = actorOf(c);
  const admissions = await service.list(actor, patientId, { audit: false });
  const deleted = await service.listDeleted(actor, patientId);
  return {
    patientId,
    admissions,
    deleted,
    zone: userTimeZone(c),
    csrfToken: csrfToken(c),
    ...extra,
  };
}

/** The whole section, for the patient's page. */
export async function admissionsPanel(c: Context<AppEnv>, patientId: number, extra: Extra = {}) {
  return <AdmissionsPanel {...await panelProps(c, patientId, extra)} />;
}

/** The part of the section the panel's forms swap (htmx answers). */
export async function admissionsBody(c: Context<AppEnv>, patientId: number, extra: Extra = {}) {
  return <AdmissionsBody {...await panelProps(c, patientId, extra)} />;
}
