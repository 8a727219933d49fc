/**
 * The patient table's rows, as HTML text. A page draws fifty of them, so a row is put together
 * as a string (values escaped) rather than through JSX, and holds only what differs from row to
 * row: whatever the rows share is said once, on the table. The target and swap of each Edit link
 * are inherited from the rows' `<tbody>` (`ROWS_HTMX`), its address is its `href` (static/app.js
 * knows it by that address and follows it through htmx); the id cell is a row header without
 * `scope` (the first column holds no data cells, so HTML makes it one); every Delete button
 * submits the page's one delete form (`ROW_DELETE_FORM`, components/PatientTable.tsx) with the
 * row's id as its value; cells carry no classes (static/app.css styles them by column:
 * `COLUMN_ORDER` there), and leave out the end tags HTML makes optional (`</td>`, `</th>`; a
 * row's `</tr>` stays, as an htmx answer may put more after it) and the quotes around values of
 * letters, digits and hyphens (ids, the delete button's form, name and value), which HTML lets
 * go; addresses stay quoted.
 */
import { raw } from "hono/html";
import { escapeHtml } from "../lib/html_escape.ts";
import {
  PATIENT_FIELDS,
  type PatientField,
  type PatientFields,
  type PatientRecord,
  ruleOf,
} from "../lib/patient_fields.ts";
import { displayStored, displayValue, formatNumber } from "../lib/patient_format.ts";
import { mayDo, registryParam } from "./registry_url.ts";

/** The columns in the order a clinician scans them: the id, the outcome, then the dataset's order. */
export const COLUMN_ORDER: readonly PatientField[] = [
  "id",
  "stroke",
  ...PATIENT_FIELDS.filter((f) => f !== "id" && f !== "stroke"),
];
/** Columns after the id, which heads each row (also the order of the fields in every form). */
export const DATA_COLUMNS: readonly PatientField[] = COLUMN_ORDER.filter((f) => f !== "id");

/** The yes/no fields (0/1), whose "Yes" stands out. */
export const FLAG_FIELDS: ReadonlySet<PatientField> = new Set(
  PATIENT_FIELDS.filter((f) => {
    const rule = ruleOf(f);
    return rule.kind === "category" && typeof rule.values[0] === "number";
  }),
);
/** The measured fields, right-aligned. */
export const NUMBER_FIELDS: ReadonlySet<PatientField> = new Set(
  PATIENT_FIELDS.filter((f) => ruleOf(f).kind === "measure"),
);

/** The id of the page's one form that every row's Delete button submits. */
export const ROW_DELETE_FORM = "del";

/** What every row's Edit link shares, set once on the rows' `<tbody>`: it swaps its own row. */
export const ROWS_HTMX = {
  "hx-target": "closest tr",
  "hx-swap": "outerHTML",
  "hx-push-url": "false",
} as const;

/** A number as a table cell shows it: `228.69`, `94.40`, `36.0`, `67`, `1.80`. */
export function cellNumber(field: PatientField, value: number): string {
  const text = formatNumber(value);
  const rule = ruleOf(field);
  const fewest = rule.kind === "measure" ? rule.decimals ?? 0 : 0;
  // Whole years stay whole: the decimals of age are for the fractional ages of infants.
  const decimals = field === "age" && Number.isInteger(value) ? 0 : fewest;
  const [whole, fraction = ""] = text.split(".");
  if (fraction.length >= decimals || text.includes("e")) return text;
  return `${whole}.${fraction.padEnd(decimals, "0")}`;
}

/** One value of a row: a "Yes" of a yes/no field as a badge, an unknown one marked. */
function cell(field: PatientField, value: PatientFields[PatientField]): string {
  if (value === null) return '<td class="unknown">N/A';
  if (FLAG_FIELDS.has(field)) return value === 1 ? "<td><b>Yes</b>" : "<td>No";
  if (typeof value === "number") return `<td>${cellNumber(field, value)}`;
  return `<td>${escapeHtml(displayValue(field, value))}`;
}

/** A value the original app stored that cannot be read: shown as stored, marked. */
function unreadableCell(patient: PatientRecord, field: PatientField): string {
  return '<td class="unreadable" title="Stored by the original app; cannot be read. Correct it in Edit.">' +
    escapeHtml(displayStored(patient, field));
}

/** Records do not change once read (a change is a new record): each one's cells are drawn once. */
const drawnCells = new WeakMap<PatientFields, string>();

function cells(patient: PatientRecord): string {
  let html = drawnCells.get(patient);
  if (html === undefined) {
    html = "";
    for (const field of DATA_COLUMNS) {
      html += patient.stored?.[field]?.readable === false
        ? unreadableCell(patient, field)
        : cell(field, patient[field]);
    }
    drawnCells.set(patient, html);
  }
  return html;
}

/** What a page's rows share: read once per page (the registry and the role's rights). */
export interface RowContext {
  /** `?registry={rid}` on a team registry's page, else "". */
  registry: string;
  write: boolean;
  delete: boolean;
}

/** The rows' shared part for the page being drawn. */
export function rowContext(): RowContext {
  const param = registryParam();
  return {
    registry: param ? escapeHtml(`?${param.name}=${encodeURIComponent(param.value)}`) : "",
    write: mayDo("write"),
    delete: mayDo("delete"),
  };
}

export interface PatientRowProps {
  patient: PatientRecord;
  /** Put the focus on its Edit link (after a save or cancel). */
  focus?: boolean | undefined;
  /** Put the focus on its id link (the first row, after paging). */
  focusId?: boolean | undefined;
  /** Mark it as just added or changed. */
  highlight?: boolean | undefined;
  /** Saved with values that no longer match the list's filters. */
  outside?: boolean | undefined;
}

/**
 * A record as a table row: its id links to the record, and Edit (inline), History and Delete
 * (with a confirmation) follow, Edit and Delete only for a role that may use them. Each action
 * is named for its patient ("Edit patient 67"), not only by its word: the rest of its name is
 * text that only screen readers and speech input read (an `<i>` that static/app.css hides from
 * view, WCAG technique C7), shorter than an `aria-label` repeating the word and read the same.
 */
export function patientRowHtml(props: PatientRowProps, context: RowContext): string {
  const { patient } = props;
  const id = patient.id;
  const r = context.registry;
  const base = `/patients/${id}`;
  const classes = props.highlight
    ? (props.outside ? ' class="changed outside"' : ' class="changed"')
    : (props.outside ? ' class="outside"' : "");
  let html = `<tr id=patient-${id}${classes}><th><a href="${base}${r}"` +
    `${props.focusId ? " autofocus" : ""}>${id}</a>` +
    `${props.outside ? '<span class="tag">Not in this view</span>' : ""}${cells(patient)}<td>`;
  if (context.write) {
    html += `<a href="${base}/edit${r}"${props.focus ? " autofocus" : ""}>` +
      `Edit<i> patient ${id}</i></a>`;
  }
  html += `<a href="${base}/history${r}">History<i> of patient ${id}</i></a>`;
  if (context.delete) {
    html += `<button form=${ROW_DELETE_FORM} name=id value=${id}>` +
      `Delete<i> patient ${id}</i></button>`;
  }
  return `${html}</tr>`;
}

/** One row, for a JSX answer (a row saved, cancelled, added or restored). */
export function PatientRow(props: PatientRowProps) {
  return raw(patientRowHtml(props, rowContext()));
}

/**
 * A page's rows; the first one's id link takes the focus when asked (after paging). Joined into
 * one flat string: the answer is copied out once, not gathered from thousands of pieces.
 */
export function PatientRows(
  { items, focusFirst }: { items: readonly PatientRecord[]; focusFirst?: boolean | undefined },
) {
  const context = rowContext();
  return raw(
    items.map((patient, i) => patientRowHtml({ patient, focusId: focusFirst && i === 0 }, context))
      .join(""),
  );
}
