/** The htmx answers that change more than their target: the row or form, plus out-of-band message and count. */
import type { Child } from "hono/jsx";
import type { PatientRecord } from "../lib/patient_fields.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { UndoNotice } from "./DeletedPage.tsx";
import { ExportView } from "./ExportPanel.tsx";
import { DOM_IDS, selector } from "./htmx.ts";
import { AddPatientForm, StatusRegion } from "./PatientsPage.tsx";
import { PatientRow } from "./PatientRows.ts";
import { CountSummary } from "./PatientTable.tsx";
import { Toast } from "./Toast.tsx";

/** Replaces the message beside the table (announced: it is a live region); empty clears it. */
export function Notice(
  { message, announce, kind }: { message?: Child; announce?: string; kind?: "ok" | "error" },
) {
  return <StatusRegion message={message} announce={announce} kind={kind} oob />;
}

/** Replaces the page's own message region (pages without the patients table); empty clears it. */
export function PageNotice(
  { message, kind = "ok" }: { message?: Child; kind?: "ok" | "error" },
) {
  return (
    <div id={DOM_IDS.alerts} hx-swap-oob="innerHTML">
      {message && <Toast kind={kind}>{message}</Toast>}
    </div>
  );
}

/**
 * The count of the page's rows on screen (`shown`), out of `total` that match now — beside the
 * table, and in the export panel's words.
 */
function Count(props: { query: PatientListQuery; total: number; shown: number }) {
  return (
    <>
      <CountSummary {...props} oob />
      <ExportView query={props.query} total={props.total} oob />
    </>
  );
}

/**
 * After an add: a fresh form, the new row at the top of the table, the count and a message. On a
 * page with room for it (its view's last page) the row joins the page's rows; on a full page it
 * goes in a group of its own above them, so that the count still says what the page shows.
 */
export function AddedFragment(
  props: {
    patient: PatientRecord;
    csrfToken: string;
    query: PatientListQuery;
    total: number;
    shown: number;
    /** Among the page's rows (counted in `shown`), or apart from them. */
    intoPage: boolean;
  },
) {
  const where = props.intoPage
    ? `afterbegin:${selector(DOM_IDS.patientRows)}`
    : `afterend:${selector(DOM_IDS.patientAdded)}-label`;
  return (
    <>
      <AddPatientForm csrfToken={props.csrfToken} values={{}} errors={{}} open autofocus />
      <template>
        <tbody hx-swap-oob={where}>
          <PatientRow patient={props.patient} highlight />
        </tbody>
      </template>
      <Count query={props.query} total={props.total} shown={props.shown} />
      <Notice message={`Patient ${props.patient.id} added.`} />
    </>
  );
}

/**
 * After a save: the row as it now is, with the focus back on its Edit button; marked when its
 * new values no longer match the list's filters (it leaves the list when the view changes).
 */
export function SavedFragment(
  { patient, outside }: { patient: PatientRecord; outside: boolean },
) {
  const message = outside
    ? `Patient ${patient.id} saved. It no longer matches the filters and leaves the list when it changes.`
    : `Patient ${patient.id} saved.`;
  return (
    <>
      <PatientRow patient={patient} focus highlight outside={outside} />
      <Notice message={message} />
    </>
  );
}

/** After a delete: nothing where the row was, the count and a message (with Undo when it was deleted). */
export function DeletedFragment(
  props: {
    message: string;
    query: PatientListQuery;
    total: number;
    shown: number;
    undo?: { id: number; csrfToken: string } | undefined;
  },
) {
  const { undo } = props;
  return (
    <>
      <Count query={props.query} total={props.total} shown={props.shown} />
      <Notice message={undo ? <UndoNotice {...undo} message={props.message} /> : props.message} />
    </>
  );
}

/** After an Undo on the list: the row back at the top of the table, the count and a message. */
export function RestoredFragment(
  props: { patient: PatientRecord; query: PatientListQuery; total: number; shown: number },
) {
  return (
    <>
      <template>
        <tbody hx-swap-oob={`afterbegin:${selector(DOM_IDS.patientRows)}`}>
          <PatientRow patient={props.patient} highlight />
        </tbody>
      </template>
      <Count query={props.query} total={props.total} shown={props.shown} />
      <Notice message={`Patient ${props.patient.id} restored.`} />
    </>
  );
}
