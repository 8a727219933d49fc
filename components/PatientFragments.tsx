/** The htmx answers that change more than their target: the row or form, plus out-of-band message and count. */
import type { PatientRecord } from "../lib/patient_fields.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { DOM_IDS, selector } from "./htmx.ts";
import { AddPatientForm, StatusRegion } from "./PatientsPage.tsx";
import { CountSummary, PatientRow } from "./PatientTable.tsx";

/** Replaces the message beside the table (announced: it is a live region); empty clears it. */
export function Notice({ message, announce }: { message?: string; announce?: string }) {
  return <StatusRegion message={message} announce={announce} oob />;
}

/** The count of the page's rows on screen (`shown`), out of `total` that match now. */
function Count(props: { query: PatientListQuery; total: number; shown: number }) {
  return <CountSummary {...props} oob />;
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
          <PatientRow
            patient={props.patient}
            query={props.query}
            highlight
            added={!props.intoPage}
          />
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
  { patient, query, outside }: {
    patient: PatientRecord;
    query: PatientListQuery;
    outside: boolean;
  },
) {
  const message = outside
    ? `Patient ${patient.id} saved. It no longer matches the filters and leaves the list when it changes.`
    : `Patient ${patient.id} saved.`;
  return (
    <>
      <PatientRow patient={patient} query={query} focus highlight outside={outside} />
      <Notice message={message} />
    </>
  );
}

/** After a delete: nothing where the row was, the count and a message. */
export function DeletedFragment(
  props: { message: string; query: PatientListQuery; total: number; shown: number },
) {
  return (
    <>
      <Count query={props.query} total={props.total} shown={props.shown} />
      <Notice message={props.message} />
    </>
  );
}
