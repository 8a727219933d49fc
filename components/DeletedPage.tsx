/** "Recently deleted": the list with Restore buttons, and the Undo offered right after a delete. */
import { formatCount } from "../lib/count_format.ts";
import type { DeletedRecord } from "../lib/patient_store.ts";
import { FIELD_LABELS } from "../lib/patient_fields.ts";
import { displayStored } from "../lib/patient_format.ts";
import type { Paging } from "../lib/query_params.ts";
import { CsrfField, FormAlert } from "./Form.tsx";
import { PageLinks, Time } from "./Paging.tsx";
import { here, mayDo, type RegistryRef, withRegistry } from "./registry_url.ts";
import { RegistryTag } from "./RegistryTag.tsx";

/** Where a restore was asked from: the list (Undo) or the "Recently deleted" page. */
export type RestoreFrom = "list" | "deleted";

/**
 * `path` in `registry` when one is given (an Undo names the registry its delete was made in),
 * else in the page's registry.
 */
function inRegistry(path: string, registry: RegistryRef | undefined): string {
  return registry ? withRegistry(path, registry) : here(path);
}

/** One button that restores a deleted record: htmx when it runs, a plain POST otherwise. */
export function RestoreForm(
  { id, csrfToken, from, label, registry }: {
    id: number;
    csrfToken: string;
    from: RestoreFrom;
    label: string;
    /** The registry the record was deleted in (default: the page's). */
    registry?: RegistryRef | undefined;
  },
) {
  const action = inRegistry(`/patients/${id}/restore`, registry);
  return (
    <form
      method="post"
      action={action}
      hx-post={action}
      class="restore-form"
      {...(from === "list"
        ? { "hx-swap": "none", "data-restores": String(id) }
        : { "hx-target": "closest tr", "hx-swap": "outerHTML" })}
    >
      <CsrfField token={csrfToken} />
      <input type="hidden" name="from" value={from} />
      <button type="submit" class="button-small" aria-label={`${label} (patient ${id})`}>
        {label}
      </button>
    </form>
  );
}

/**
 * "Patient 12 deleted." with Undo and a link to the recently deleted records, in the registry
 * the delete was made in (`registry`; default: the page's) — wherever the message is shown.
 */
export function UndoNotice(
  { id, message, csrfToken, registry }: {
    id: number;
    message: string;
    csrfToken: string;
    registry?: RegistryRef | undefined;
  },
) {
  return (
    <span class="undo-notice">
      {message}{" "}
      <RestoreForm id={id} csrfToken={csrfToken} from="list" label="Undo" registry={registry} />
      {" "}
      <a href={inRegistry("/patients/deleted", registry)}>Recently deleted</a>
    </span>
  );
}

const COLUMNS = ["gender", "age", "hypertension", "heart_disease", "stroke"] as const;

export function DeletedRow(
  { record, csrfToken }: { record: DeletedRecord; csrfToken: string },
) {
  return (
    <tr id={`deleted-${record.revision}`}>
      <th scope="row">{record.id}</th>
      {COLUMNS.map((field) => <td class="detail">{displayStored(record, field)}</td>)}
      <td>
        <Time date={record.deleted_at} />
      </td>
      {mayDo("restore") && (
        <td class="row-actions">
          <RestoreForm id={record.id} csrfToken={csrfToken} from="deleted" label="Restore" />
        </td>
      )}
    </tr>
  );
}

/** What takes a deleted row's place once it is restored (or could not be). */
export function RestoredRow({ id, error }: { id: number; error?: string | undefined }) {
  return (
    <tr class={error ? "gone" : "restored"}>
      <td colspan={COLUMNS.length + 3} role={error ? "alert" : "status"}>
        {error ?? (
          <>
            Patient {id} is restored. <a href={here(`/patients/${id}`)}>Open patient {id}</a>
          </>
        )}
      </td>
    </tr>
  );
}

/** "3 deleted patients" (swapped out of band after a restore). */
export function DeletedCount({ total, oob }: { total: number; oob?: boolean }) {
  return (
    <p id="deleted-count" class="count" hx-swap-oob={oob ? "true" : undefined}>
      {formatCount(total)} deleted patient{total === 1 ? "" : "s"}
    </p>
  );
}

export interface DeletedPageProps {
  items: DeletedRecord[];
  total: number;
  paging: Paging;
  retentionDays: number;
  csrfToken: string;
  error?: string | undefined;
}

export function DeletedPage(props: DeletedPageProps) {
  const { items, total, retentionDays } = props;
  return (
    <div class="deleted-page" hx-history="false">
      <p class="back">
        <a href={here("/patients")}>← All patients</a>
      </p>
      <h1>
        Recently deleted<RegistryTag />
      </h1>
      <p class="lead">
        Deleted patients stay here for {retentionDays} days, then they are removed for good.
        {mayDo("restore")
          ? " Restore one to put it back in your list, as it was."
          : " Your role here may not restore them: an editor or owner can."}
      </p>
      <FormAlert message={props.error} />
      {items.length === 0
        ? <p class="card">No patient has been deleted in the last {retentionDays} days.</p>
        : (
          <div class="table-wrap">
            <table class="table deleted">
              <caption class="visually-hidden">
                Your recently deleted patients, most recent first
              </caption>
              <thead>
                <tr>
                  <th scope="col">ID</th>
                  {COLUMNS.map((field) => <th scope="col" class="detail">{FIELD_LABELS[field]}
                  </th>)}
                  <th scope="col">Deleted</th>
                  {mayDo("restore") && (
                    <th scope="col" class="row-actions">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {items.map((record) => <DeletedRow record={record} csrfToken={props.csrfToken} />)}
              </tbody>
            </table>
          </div>
        )}
      <DeletedCount total={total} />
      <PageLinks base="/patients/deleted" paging={props.paging} total={total} />
    </div>
  );
}
