/** A patient's history: who created, changed, viewed, deleted or restored it, when, why, and each changed value. */
import type { AuditEntry } from "../lib/audit.ts";
import { FIELD_LABELS, isPatientField, type PatientFields } from "../lib/patient_fields.ts";
import { displayValue } from "../lib/patient_format.ts";
import { HeaderRow, Time } from "./Paging.tsx";

const VIA: Record<string, string> = {
  api: "through the API",
  detail: "on its page",
  edit: "in the edit form",
};

function what(entry: AuditEntry): string {
  switch (entry.action) {
    case "create":
      return "Created";
    case "update":
      return Object.keys(entry.changes).length ? "Changed" : "Saved without changes";
    case "delete":
      return "Deleted";
    case "restore":
      return "Restored";
    case "purge":
      return "Removed for good";
    case "import":
      return "Imported from a CSV file";
    case "view": {
      const via = VIA[String(entry.details?.via ?? "")];
      return via ? `Viewed ${via}` : "Viewed";
    }
    default:
      return entry.action;
  }
}

/** A value as the record's pages show it (`N/A` for an unknown BMI). */
function shown(field: string, value: unknown): string {
  if (value === undefined) return "—";
  if (isPatientField(field)) return displayValue(field, value as PatientFields[typeof field]);
  return value === null ? "—" : String(value);
}

function Changes({ entry }: { entry: AuditEntry }) {
  const fields = Object.keys(entry.changes);
  if (fields.length === 0 || entry.action !== "update") return null;
  return (
    <table class="table history-changes">
      <caption class="visually-hidden">Changed fields</caption>
      <thead>
        <HeaderRow labels={["Field", "Before", "After"]} />
      </thead>
      <tbody>
        {fields.map((field) => {
          const [before, after] = entry.changes[field]!;
          return (
            <tr>
              <th scope="row">{isPatientField(field) ? FIELD_LABELS[field] : field}</th>
              <td>{shown(field, before)}</td>
              <td>{shown(field, after)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The entries, newest first; `you` is the viewer's user id (only ever the owner). */
export function HistoryPanel({ entries, you }: { entries: AuditEntry[]; you: number }) {
  return (
    <section class="card history" id="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {entries.length === 0
        ? <p>Nothing has been recorded for this patient yet.</p>
        : (
          <ol class="history-list">
            {entries.map((entry) => (
              <li>
                <p class="history-what">
                  <strong>{what(entry)}</strong> {entry.user_id === null
                    ? "by the app"
                    : entry.user_id === you
                    ? "by you"
                    : `by user ${entry.user_id}`}
                  {", "}
                  <Time date={entry.at} />
                </p>
                <Changes entry={entry} />
                {entry.reason && <p class="history-reason">Reason: {entry.reason}</p>}
              </li>
            ))}
          </ol>
        )}
    </section>
  );
}

/** The history on a page of its own (from a row's History link). */
export function HistoryPage(
  { id, entries, you }: { id: number; entries: AuditEntry[]; you: number },
) {
  return (
    <div hx-history="false">
      <p class="back">
        <a href="/patients">← All patients</a>
      </p>
      <h1>History of patient {id}</h1>
      <p class="lead">
        Every change, view, delete and restore, newest first.{" "}
        <a href={`/patients/${id}`}>Open patient {id}</a>
      </p>
      <HistoryPanel entries={entries} you={you} />
    </div>
  );
}
