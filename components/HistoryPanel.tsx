/** A patient's history: who created, changed, viewed, deleted or restored it, when, why, and each changed value. */
import { type AuditEntry, importSource, type NamedEntry } from "../lib/audit.ts";
import { FIELD_LABELS, isPatientField, type PatientFields } from "../lib/patient_fields.ts";
import { displayValue } from "../lib/patient_format.ts";
import { formatTime } from "../lib/time_format.ts";
import { HeaderRow, Time } from "./Paging.tsx";
import { here } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

const VIA: Record<string, string> = {
  api: "through the API",
  detail: "on its page",
  edit: "in the edit form",
};

/** "by importing ward.csv (line 5)": where an import's create or change came from. */
function fromImport(entry: AuditEntry): string {
  const source = importSource(entry);
  if (!source) return "";
  const file = source.file_name === null ? "a CSV file through the API" : source.file_name;
  return ` by importing ${file} (line ${source.line})`;
}

function what(entry: AuditEntry): string {
  switch (entry.action) {
    case "create":
      return "Created" + fromImport(entry);
    case "update":
      if (entry.details?.values_before === "unknown") {
        return `Replaced${fromImport(entry)} (the values before were lost with an interrupted run)`;
      }
      return (Object.keys(entry.changes).length ? "Changed" : "Saved without changes") +
        fromImport(entry);
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

/** "Viewed 3 times on its page" (where, when every view of the line was in one place). */
function timesViewed(entry: AuditEntry, count: number): string {
  const via = VIA[String(entry.details?.via ?? "")];
  return `Viewed ${count} times${via ? ` ${via}` : ""}`;
}

/** A value as the record's pages show it (`N/A` for an unknown BMI). */
function shown(field: string, value: unknown): string {
  if (value === undefined) return "—";
  if (isPatientField(field)) return displayValue(field, value as PatientFields[typeof field]);
  return value === null ? "—" : String(value);
}

/** One changed field's cells: its label (a row header), the value before and after. */
export function ChangeCells(
  { field, before, after }: { field: string; before: unknown; after: unknown },
) {
  return (
    <>
      <th scope="row">{isPatientField(field) ? FIELD_LABELS[field] : field}</th>
      <td>{shown(field, before)}</td>
      <td>{shown(field, after)}</td>
    </>
  );
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
              <ChangeCells field={field} before={before} after={after} />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** How close two views by one person must be to read as one line. */
export const VIEW_GROUP_MS = 5 * 60_000;

/** One line of the history: an entry, or several views in a row by one person. */
export interface HistoryLine {
  /** The newest entry of the line. */
  entry: NamedEntry;
  /** How many views the line stands for (1 for any other entry). */
  count: number;
  /** The oldest entry's time (the line's own for a single entry). */
  since: Date;
}

/**
 * The history as it reads (newest first): consecutive views by the same person, each within
 * {@link VIEW_GROUP_MS} of the next, become one line ("Viewed 3 times"). Only the display is
 * grouped; the log keeps every entry.
 */
export function historyLines(entries: NamedEntry[], windowMs = VIEW_GROUP_MS): HistoryLine[] {
  const lines: (HistoryLine & { oldest: NamedEntry; mixed: boolean })[] = [];
  for (const entry of entries) {
    const last = lines.at(-1);
    if (
      last && entry.action === "view" && last.entry.action === "view" &&
      entry.user_id === last.entry.user_id &&
      last.oldest.at.getTime() - entry.at.getTime() <= windowMs
    ) {
      last.count++;
      last.since = entry.at;
      if (last.oldest.details?.via !== entry.details?.via) last.mixed = true;
      last.oldest = entry;
      continue;
    }
    lines.push({ entry, count: 1, since: entry.at, oldest: entry, mixed: false });
  }
  return lines.map(({ entry, count, since, mixed }) => ({
    entry: mixed ? { ...entry, details: null } : entry,
    count,
    since,
  }));
}

/** The entries, newest first; `you` is the viewer's user id (only ever the owner). */
export function HistoryPanel({ entries, you }: { entries: NamedEntry[]; you: number }) {
  return (
    <section class="card history" id="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {entries.length === 0
        ? <p>Nothing has been recorded for this patient yet.</p>
        : (
          <ol class="history-list">
            {historyLines(entries).map(({ entry, count, since }) => (
              <li>
                <p class="history-what">
                  <strong>{count > 1 ? timesViewed(entry, count) : what(entry)}</strong>{" "}
                  {entry.user_id === null
                    ? "by the app"
                    : entry.user_id === you
                    ? "by you"
                    : `by ${entry.user_name || `user ${entry.user_id}`}`}
                  {", "}
                  {count > 1 && formatTime(since) !== formatTime(entry.at) && (
                    <>
                      <Time date={since} /> to{" "}
                    </>
                  )}
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
  { id, entries, you }: { id: number; entries: NamedEntry[]; you: number },
) {
  return (
    <div hx-history="false">
      <p class="back">
        <a href={here("/patients")}>← All patients</a>
      </p>
      <h1>
        History of patient {id}
        <RegistryTag />
      </h1>
      <p class="lead">
        Every change, view, delete and restore, newest first.{" "}
        <a href={here(`/patients/${id}`)}>Open patient {id}</a>
      </p>
      <HistoryPanel entries={entries} you={you} />
    </div>
  );
}
