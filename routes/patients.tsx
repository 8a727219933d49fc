/**
 * `/patients` in the browser: list, add, edit and delete. With htmx each answer is a fragment
 * (a row, the add form, the table); without JavaScript the same URLs work as full pages with
 * POST and redirect. The rules live in the patient use-cases; a route catches their errors only
 * to show the form again.
 */
import { formatCount } from "../lib/count_format.ts";
import { type Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { UndoNotice } from "../components/DeletedPage.tsx";
import { ExportView } from "../components/ExportPanel.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import { DOM_IDS, isFragmentRequest, listUrl, targets } from "../components/htmx.ts";
import {
  AddedFragment,
  DeletedFragment,
  Notice,
  SavedFragment,
} from "../components/PatientFragments.tsx";
import {
  PatientDeletePage,
  PatientDetailPage,
  PatientEditPage,
} from "../components/PatientPages.tsx";
import { AddPatientForm, FiltersFeedback, PatientsPage } from "../components/PatientsPage.tsx";
import {
  countText,
  pageCount,
  PAGING_LINK_IDS,
  PatientEditRow,
  PatientGoneRow,
  PatientRow,
  PatientTable,
} from "../components/PatientTable.tsx";
import {
  type FieldError,
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  PatientInvalidError,
  PatientNotFoundError,
  StaleRevisionError,
} from "../lib/errors.ts";
import { parsePatientId } from "../lib/patient_fields.ts";
import { formValues } from "../lib/patient_format.ts";
import { DEFAULT_LIST_QUERY, type PatientListQuery } from "../lib/patient_query.ts";
import { parsePatientText } from "../lib/patient_validation.ts";
import { parseUrl } from "../lib/safe_url.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash, UNDO_FLASH } from "../middleware/session.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";
import { formText, patientFormValues } from "./form_body.ts";
import {
  clampPage,
  commaDecimal,
  isFiltered,
  type ListView,
  listViewOf,
  rowsOnPage,
} from "./patient_list_view.ts";

export const patientRoutes = new Hono<AppEnv>();
for (const path of ["/patients", "/patients/*"]) {
  patientRoutes.use(path, requireUser());
  patientRoutes.use(path, async (c, next) => {
    c.header("Vary", "HX-Request"); // htmx gets fragments, browsers full pages, from the same URLs
    await next();
  });
}

// The original app's paths.
patientRoutes.get("/patient_data", (c) => c.redirect("/patients", 301));
patientRoutes.get("/add_patient_data", (c) => c.redirect("/patients#add", 301));

/** The messages by field; a number typed with a decimal comma is told to use a point. */
function toFieldErrors(errors: FieldError[], values: Record<string, string> = {}): FieldErrors {
  return Object.fromEntries(errors.map((e) => {
    const typed = values[e.field];
    const message = commaDecimal(typed)
      ? `${e.message}. Write decimals with a point: ${typed!.trim().replace(",", ".")}`
      : e.message;
    return [e.field || "form", message];
  }));
}

/** The list view a plain form carries in its address (an edit or delete page), or the default. */
function carriedQuery(c: Context): PatientListQuery {
  return listViewOf(new URL(c.req.url).searchParams).query;
}

/** The list view the browser is showing (for counts after an htmx change), or the default. */
export function currentQuery(c: Context): PatientListQuery {
  const url = parseUrl(c.req.header("HX-Current-URL") ?? "");
  return url ? listViewOf(url.searchParams).query : DEFAULT_LIST_QUERY;
}

/** What a user sees for a record that is not there: deleted meanwhile, or never theirs. */
function gone(id: number): string {
  return `Patient ${id} was already deleted, or does not exist.`;
}

/** Whether a record (just saved) still matches the filters of a list view. */
async function stillMatches(c: Context<AppEnv>, query: PatientListQuery, id: number) {
  if (!isFiltered(query)) return true;
  if (query.filter.q !== undefined && query.filter.q !== id) return false;
  return await c.get("patients").count(actorOf(c), { ...query.filter, q: id }) > 0;
}

/** The id of the path; a 404 for anything that cannot be a patient id. */
function pathId(c: Context): number {
  const text = c.req.param("id") ?? "";
  const id = parsePatientId(text);
  if (id === null) throw new PatientNotFoundError(text);
  return id;
}

/**
 * The message the previous request left (after a redirect), taken so that it shows once; after a
 * delete it offers Undo.
 */
function takeFlash(c: Context<AppEnv>): Child | undefined {
  const session = c.get("session");
  const message = session?.get("flash");
  const undo = session?.get(UNDO_FLASH);
  if (typeof message !== "string") return undefined;
  return typeof undo === "number"
    ? <UndoNotice id={undo} message={message} csrfToken={csrfToken(c)} />
    : message;
}

/** The address of an invalid view as typed, without its empty fields (so that reload shows it). */
function typedUrl(params: URLSearchParams): string {
  const kept = new URLSearchParams([...params].filter(([, value]) => value.trim() !== ""));
  return kept.size ? `/patients?${kept}` : "/patients";
}

async function render(
  c: Context<AppEnv>,
  view: ListView,
  add: { values: Record<string, string>; errors: FieldErrors } = { values: {}, errors: {} },
) {
  const patients = c.get("patients");
  const invalid = Object.keys(view.errors).length > 0;
  let query = view.query;
  let { items, total } = await patients.list(actorOf(c), query);
  let note: string | undefined;
  if (!invalid && items.length === 0 && query.page > pageCount(query, total)) {
    query = clampPage(query, total);
    note = `There is no page ${formatCount(view.query.page)}: this is the last page.`;
    ({ items, total } = await patients.list(actorOf(c), query));
  }
  const table = {
    query,
    items: invalid ? [] : items,
    total,
    filtered: isFiltered(query),
    csrfToken: csrfToken(c),
    invalid,
    note,
    focusFirstRow: PAGING_LINK_IDS.includes(c.req.header("HX-Trigger") ?? ""),
  };
  const alert = view.ignored.length
    ? `Part of the address was not understood and is left out: ${
      view.ignored.map((p) => `“${p}”`).join(", ")
    }.`
    : undefined;
  const filters = { values: view.values, errors: view.errors, alert };
  if (invalid) c.status(422);
  if (targets(c, DOM_IDS.patientTable)) {
    c.header("HX-Push-Url", invalid ? typedUrl(new URL(c.req.url).searchParams) : listUrl(query));
    const pages = pageCount(query, total);
    const announce = invalid
      ? `No patients shown: ${Object.values(view.errors)[0]}.`
      : `${note ? `${note} ` : ""}${countText(query, total, items.length)}${
        pages > 1 ? `, page ${query.page} of ${pages}` : ""
      }.`;
    return c.html(
      <>
        <PatientTable {...table} />
        <ExportView query={query} total={total} oob />
        <FiltersFeedback {...filters} />
        <Notice announce={announce} />
      </>,
    );
  }
  const open = (total === 0 && !isFiltered(query)) || Object.keys(add.errors).length > 0;
  return c.render(
    <PatientsPage
      {...table}
      add={{ ...add, open }}
      filters={filters}
      exportView={{ query, total }}
      message={takeFlash(c)}
    />,
    { title: "Patients" },
  );
}

patientRoutes.get("/patients", (c) => render(c, listViewOf(new URL(c.req.url).searchParams)));

/** The message for an add that the use-case refused, by field. */
function addRefused(error: unknown, values: Record<string, string>): FieldErrors {
  if (error instanceof PatientInvalidError) return toFieldErrors(error.errors, values);
  if (error instanceof PatientIdTakenError) {
    return {
      id: `You already have a patient with ID ${error.id}. Leave it empty to use the next free ID.`,
    };
  }
  if (error instanceof NoFreePatientIdError) return { id: `${error.message}.` };
  throw error;
}

patientRoutes.post("/patients", async (c) => {
  const patients = c.get("patients");
  const values = await patientFormValues(c);
  const fragment = isFragmentRequest(c);
  const query = currentQuery(c);
  let errors: FieldErrors;
  try {
    // The page on screen was drawn when `before` patients matched its filters.
    const before = fragment ? await patients.count(actorOf(c), query.filter) : 0;
    const created = await patients.create(actorOf(c), parsePatientText(values));
    if (!fragment) {
      flash(c, `Patient ${created.id} added.`);
      return c.redirect(`/patients?q=${created.id}`, 303);
    }
    const total = await patients.count(actorOf(c), query.filter);
    const drawn = clampPage(query, before);
    const onPage = rowsOnPage(drawn, before);
    const intoPage = total > before && onPage < drawn.perPage;
    return c.html(
      <AddedFragment
        patient={created}
        csrfToken={csrfToken(c)}
        query={drawn}
        total={total}
        shown={onPage + (intoPage ? 1 : 0)}
        intoPage={intoPage}
      />,
    );
  } catch (error) {
    errors = addRefused(error, values);
  }
  c.status(422);
  if (fragment) {
    return c.html(<AddPatientForm csrfToken={csrfToken(c)} values={values} errors={errors} open />);
  }
  return render(c, listViewOf(new URLSearchParams()), { values, errors });
});

patientRoutes.get("/patients/:id", async (c) => {
  const patients = c.get("patients");
  const patient = await patients.get(actorOf(c), pathId(c), { via: "detail" });
  const history = await patients.history(actorOf(c), patient.id);
  return c.render(
    <PatientDetailPage
      patient={patient}
      query={carriedQuery(c)}
      history={history}
      you={c.get("user")!.id}
    />,
    { title: `Patient ${patient.id}` },
  );
});

patientRoutes.get("/patients/:id/row", async (c) => {
  const id = pathId(c);
  if (!isFragmentRequest(c)) return c.redirect(`/patients/${id}`, 303);
  try {
    // The row the list showed, back after Cancel: not a new view.
    const patient = await c.get("patients").get(actorOf(c), id, { audit: false });
    return c.html(<PatientRow patient={patient} query={currentQuery(c)} focus />);
  } catch (error) {
    if (!(error instanceof PatientNotFoundError)) throw error;
    return c.html(<PatientGoneRow id={id} message={gone(id)} />, 404);
  }
});

patientRoutes.get("/patients/:id/edit", async (c) => {
  const patient = await c.get("patients").get(actorOf(c), pathId(c), { via: "edit" });
  const fragment = isFragmentRequest(c);
  const props = {
    id: patient.id,
    revision: patient.revision,
    values: formValues(patient),
    errors: {},
    csrfToken: csrfToken(c),
    query: fragment ? currentQuery(c) : carriedQuery(c),
  };
  if (fragment) return c.html(<PatientEditRow {...props} />);
  return c.render(<PatientEditPage {...props} />, { title: `Edit patient ${patient.id}` });
});

async function save(c: Context<AppEnv>) {
  const id = pathId(c);
  const patients = c.get("patients");
  const values = await patientFormValues(c);
  const revision = await formText(c, "revision");
  const actor = actorOf(c, await formText(c, "reason"));
  const fragment = isFragmentRequest(c);
  const query = fragment ? currentQuery(c) : carriedQuery(c);
  const edit = (
    props: {
      revision: string;
      values: Record<string, string>;
      errors: FieldErrors;
      message?: string;
    },
  ) => {
    const all = { id, csrfToken: csrfToken(c), query, ...props };
    return fragment
      ? c.html(<PatientEditRow {...all} />)
      : c.render(<PatientEditPage {...all} />, { title: `Edit patient ${id}` });
  };

  try {
    const input = parsePatientText({ ...values, id: String(id) });
    const saved = await patients.replace(actor, id, input, revision ? [revision] : undefined);
    const outside = !(await stillMatches(c, query, id));
    if (!fragment) {
      flash(
        c,
        outside
          ? `Patient ${id} saved. It no longer matches the filters, so it is not in this list.`
          : `Patient ${id} saved.`,
      );
      return c.redirect(`${listUrl(query)}#patient-${id}`, 303);
    }
    return c.html(<SavedFragment patient={saved} query={query} outside={outside} />);
  } catch (error) {
    if (error instanceof PatientInvalidError) {
      c.status(422);
      return edit({ revision, values, errors: toFieldErrors(error.errors, values) });
    }
    if (error instanceof StaleRevisionError) {
      const current = await patients.get(actor, id, { via: "edit" });
      c.status(409);
      return edit({
        revision: current.revision,
        values: formValues(current),
        errors: {},
        message:
          "Someone else changed this patient while you were editing. These are the current values; your changes were not saved.",
      });
    }
    if (!(error instanceof PatientNotFoundError)) throw error;
    const message = `${gone(id)} Your changes were not saved.`;
    if (!fragment) throw new NotFoundError(message);
    return c.html(<PatientGoneRow id={id} message={message} />, 404);
  }
}

patientRoutes.put("/patients/:id", save);
patientRoutes.post("/patients/:id", save);

patientRoutes.get("/patients/:id/delete", async (c) => {
  // The confirmation shows the id only: not a view of the record.
  const patient = await c.get("patients").get(actorOf(c), pathId(c), { audit: false });
  return c.render(
    <PatientDeletePage id={patient.id} csrfToken={csrfToken(c)} query={carriedQuery(c)} />,
    { title: `Delete patient ${patient.id}` },
  );
});

async function remove(c: Context<AppEnv>) {
  const id = pathId(c);
  const patients = c.get("patients");
  let existed = true;
  try {
    await patients.delete(actorOf(c, await formText(c, "reason")), id);
  } catch (error) {
    if (!(error instanceof PatientNotFoundError)) throw error;
    existed = false;
  }
  const message = existed ? `Patient ${id} deleted.` : gone(id);
  if (!isFragmentRequest(c)) {
    if (!existed) throw new NotFoundError(message);
    flash(c, message);
    c.get("session").flash(UNDO_FLASH, id); // the next page offers Undo beside the message
    return c.redirect(listUrl(carriedQuery(c)), 303);
  }
  const query = currentQuery(c);
  const total = await patients.count(actorOf(c), query.filter);
  // The page's rows were drawn with the deleted one among them (unless it was added since).
  const fromPage = existed && new URL(c.req.url).searchParams.get("added") !== "1";
  const before = fromPage ? total + 1 : total;
  const drawn = clampPage(query, before);
  const undo = existed ? { id, csrfToken: csrfToken(c) } : undefined;
  return c.html(
    <DeletedFragment
      message={message}
      query={drawn}
      total={total}
      shown={rowsOnPage(drawn, before) - (fromPage ? 1 : 0)}
      undo={undo}
    />,
    existed ? 200 : 404,
  );
}

patientRoutes.delete("/patients/:id", remove);
patientRoutes.post("/patients/:id/delete", remove);
