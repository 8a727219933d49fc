/** The htmx answers that change more than their target: the row or form, plus out-of-band message and count. */
import type { Child } from "hono/jsx";
import type { PatientRecord } from "../lib/patient_fields.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { UndoNotice } from "./DeletedPage.tsx";
import { DOM_IDS, selector } from "./htmx.ts";
import { AddPatientForm } from "./PatientsPage.tsx";
import { CountSummary, PatientRow } from "./PatientTable.tsx";

/** Replaces the page's message region (announced: it is an aria-live region); empty clears it. */
export function Notice(
  { message, kind = "ok" }: { message?: Child; kind?: "ok" | "error" },
) {
  return (
    <div id={DOM_IDS.alerts} hx-swap-oob="innerHTML">
      {message && (
        <div class={`alert alert-${kind}`} role={kind === "ok" ? "status" : "alert"}>{message}</div>
      )}
    </div>
  );
}

function Count({ query, total }: { query: PatientListQuery; total: number }) {
  // The rows on screen are unknown here: count what the page would hold now.
  const shown = Math.max(0, Math.min(query.perPage, total - (query.page - 1) * query.perPage));
  return <CountSummary query={query} total={total} shown={shown} oob />;
}

/** After an add: a fresh form, the new row at the top of the table, the count and a message. */
export function AddedFragment(
  props: { patient: PatientRecord; csrfToken: string; query: PatientListQuery; total: number },
) {
  return (
    <>
      <AddPatientForm csrfToken={props.csrfToken} values={{}} errors={{}} open autofocus />
      <template>
        <tbody hx-swap-oob={`afterbegin:${selector(DOM_IDS.patientRows)}`}>
          <PatientRow patient={props.patient} highlight />
        </tbody>
      </template>
      <Count query={props.query} total={props.total} />
      <Notice message={`Patient ${props.patient.id} added.`} />
    </>
  );
}

/** After a save: the row as it now is, with the focus back on its Edit button. */
export function SavedFragment(
  { patient }: { patient: PatientRecord },
) {
  return (
    <>
      <PatientRow patient={patient} focus highlight />
      <Notice message={`Patient ${patient.id} saved.`} />
    </>
  );
}

/** After a delete: nothing where the row was, the count and a message (with Undo when it was deleted). */
export function DeletedFragment(
  props: {
    message: string;
    query: PatientListQuery;
    total: number;
    undo?: { id: number; csrfToken: string } | undefined;
  },
) {
  const { undo } = props;
  return (
    <>
      <Count query={props.query} total={props.total} />
      <Notice
        message={undo ? <UndoNotice {...undo} message={props.message} /> : props.message}
      />
    </>
  );
}

/** After an Undo on the list: the row back at the top of the table, the count and a message. */
export function RestoredFragment(
  props: { patient: PatientRecord; query: PatientListQuery; total: number },
) {
  return (
    <>
      <template>
        <tbody hx-swap-oob={`afterbegin:${selector(DOM_IDS.patientRows)}`}>
          <PatientRow patient={props.patient} highlight />
        </tbody>
      </template>
      <Count query={props.query} total={props.total} />
      <Notice message={`Patient ${props.patient.id} restored.`} />
    </>
  );
}
