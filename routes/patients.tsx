/**
 * `/patients` in the browser: list, add, edit and delete. With htmx each answer is a fragment
 * (a row, the add form, the table); without JavaScript the same URLs work as full pages with
 * POST and redirect. The rules live in the patient use-cases; a route catches their errors only
 * to show the form again. An `{id}` is digits (`:id{[0-9]+}`), so that the pages beside these
 * (`import`, `export`, `deleted`) are never taken for a patient, in whatever order they are
 * mounted.
 */
import { formatCount } from "../lib/count_format.ts";
import { withNames } from "../http/history_names.ts";
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
  AddPatientPage,
  PatientDeletePage,
  PatientDetailPage,
  PatientEditPage,
} from "../components/PatientPages.tsx";
import {
  AddForm,
  AddPatientForm,
  Filters,
  FiltersFeedback,
  PatientsPage,
} from "../components/PatientsPage.tsx";
import {
  CountSummary,
  countText,
  pageCount,
  PAGING_LINK_IDS,
  PatientEditRow,
  PatientGoneRow,
  PatientTable,
} from "../components/PatientTable.tsx";
import { PatientRow } from "../components/PatientRows.ts";
import {
  type FieldError,
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  PatientInvalidError,
  PatientNotFoundError,
  StaleRevisionError,
} from "../lib/errors.ts";
import { formValues } from "../lib/patient_format.ts";
import type { PatientListQuery } from "../lib/patient_query.ts";
import { parsePatientText } from "../lib/patient_validation.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash, flashUndo, takeUndo } from "../middleware/session.ts";
import { actorOf, need } from "../http/actor.ts";
import { withRegistry } from "../http/current_registry.ts";
import { admissionsPanel } from "../http/admissions_panel.tsx";
import type { AppEnv } from "../http/env.ts";
import { formText, patientFormValues } from "../http/form_body.ts";
import { pathId, PATIENT_ID } from "../http/path_id.ts";
import {
  carriedQuery,
  clampPage,
  commaDecimal,
  currentQuery,
  currentView,
  ignoredAlert,
  isFiltered,
  type ListView,
  listViewOf,
  rowsOnPage,
} from "../http/patient_list_view.ts";

export const patientRoutes = new Hono<AppEnv>();
patientRoutes.use("*", requireUser(), async (c, next) => {
  c.header("Vary", "HX-Request"); // htmx gets fragments, browsers full pages, from the same URLs
  await next();
});

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

/**
 * The message the previous request left (after a redirect), taken so that it shows once; after a
 * delete it offers Undo, in the registry the delete was made in.
 */
function takeFlash(c: Context<AppEnv>): Child | undefined {
  const session = c.get("session");
  const message = session?.get("flash");
  const undo = takeUndo(session);
  if (typeof message !== "string") return undefined;
  return undo ? <UndoNotice {...undo} message={message} csrfToken={csrfToken(c)} /> : message;
}

/**
 * The address of an invalid view as typed, without its empty fields (so that reload shows it),
 * in the request's registry.
 */
function typedUrl(c: Context<AppEnv>, params: URLSearchParams): string {
  const kept = new URLSearchParams(
    [...params].filter(([name, value]) => value.trim() !== "" && name !== "registry"),
  );
  return withRegistry(kept.size ? `/patients?${kept}` : "/patients", c.get("registry"));
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
  const alert = ignoredAlert(view);
  const filters = { values: view.values, errors: view.errors, alert, open: view.filtersOpen };
  if (invalid) c.status(422);
  if (targets(c, DOM_IDS.patientTable)) {
    c.header(
      "HX-Push-Url",
      invalid
        ? typedUrl(c, new URL(c.req.url).searchParams)
        : withRegistry(listUrl(query), c.get("registry")),
    );
    const pages = pageCount(query, total);
    const announce = invalid
      ? `No patients shown: ${Object.values(view.errors)[0]}.`
      : `${note ? `${note} ` : ""}${countText(query, total, items.length)}${
        pages > 1 ? `, page ${query.page} of ${pages}` : ""
      }.`;
    return c.html(
      <>
        <PatientTable {...table} />
        <CountSummary
          query={query}
          total={total}
          shown={table.items.length}
          invalid={invalid}
          oob
        />
        <ExportView query={query} total={total} oob />
        <FiltersFeedback {...filters} form={c.req.header("HX-Trigger") === DOM_IDS.filters} />
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
    { title: "Patients", skip: { href: `#${DOM_IDS.patientRows}`, label: "Skip to the table" } },
  );
}

patientRoutes.get("/", (c) => render(c, listViewOf(new URL(c.req.url).searchParams)));

/**
 * The add form: what the list's folded panel fetches when it first opens (htmx), and a page of
 * its own without JavaScript.
 */
patientRoutes.get("/new", (c) => {
  need(c, "write");
  const props = { csrfToken: csrfToken(c), values: {}, errors: {} };
  if (isFragmentRequest(c)) return c.html(<AddForm {...props} />);
  return c.render(<AddPatientPage {...props} query={carriedQuery(c)} />, {
    title: "Add a patient",
  });
});

/**
 * The filter form of the list the browser shows, for its folded panel's first opening (htmx);
 * a browser without JavaScript is sent to the list with the panel open.
 */
patientRoutes.get("/filters", (c) => {
  if (!isFragmentRequest(c)) {
    return c.redirect(withRegistry("/patients?filters=open", c.get("registry")), 303);
  }
  const view = currentView(c);
  return c.html(
    <Filters
      query={view.query}
      values={view.values}
      errors={view.errors}
      alert={ignoredAlert(view)}
    />,
  );
});

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

patientRoutes.post("/", async (c) => {
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
      return c.redirect(withRegistry(`/patients?q=${created.id}`, c.get("registry")), 303);
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

patientRoutes.get("/:id{[0-9]+}", async (c) => {
  const patients = c.get("patients");
  const patient = await patients.get(actorOf(c), pathId(c), { via: "detail" });
  const history = await withNames(c, await patients.history(actorOf(c), patient.id));
  return c.render(
    <PatientDetailPage
      patient={patient}
      query={carriedQuery(c)}
      history={history}
      you={c.get("user")!.id}
      admissions={await admissionsPanel(c, patient.id)}
    />,
    { title: `Patient ${patient.id}` },
  );
});

patientRoutes.get("/:id{[0-9]+}/row", async (c) => {
  const id = pathId(c);
  if (!isFragmentRequest(c)) {
    return c.redirect(withRegistry(`/patients/${id}`, c.get("registry")), 303);
  }
  try {
    // The row the list showed, back after Cancel: not a new view.
    const patient = await c.get("patients").get(actorOf(c), id, { audit: false });
    return c.html(<PatientRow patient={patient} focus />);
  } catch (error) {
    if (!(error instanceof PatientNotFoundError)) throw error;
    return c.html(<PatientGoneRow id={id} message={gone(id)} />, 404);
  }
});

patientRoutes.get("/:id{[0-9]+}/edit", async (c) => {
  need(c, "write"); // a viewer's answer is a 403 naming the role, never a form it cannot send
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
      return c.redirect(withRegistry(`${listUrl(query)}#patient-${id}`, c.get("registry")), 303);
    }
    return c.html(<SavedFragment patient={saved} outside={outside} />);
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

patientRoutes.put("/:id{[0-9]+}", save);
patientRoutes.post("/:id{[0-9]+}", save);

/**
 * A row's Delete without JavaScript: the list's one delete form names the row (`id`) and carries
 * the list view, and this sends it on to that record's confirmation page, with the view (and
 * the registry). With htmx, static/app.js posts to the record's address itself.
 */
patientRoutes.get("/delete", (c) => {
  need(c, "delete");
  const params = new URL(c.req.url).searchParams;
  const text = params.get("id") ?? "";
  const id = PATIENT_ID.parse(text);
  if (id === null) throw PATIENT_ID.missing(text);
  params.delete("id");
  const rest = params.toString();
  return c.redirect(`/patients/${id}/delete${rest ? `?${rest}` : ""}`, 303);
});

patientRoutes.get("/:id{[0-9]+}/delete", async (c) => {
  need(c, "delete");
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
    flashUndo(c, id); // the next page offers Undo beside the message, in this registry
    return c.redirect(withRegistry(listUrl(carriedQuery(c)), c.get("registry")), 303);
  }
  const query = currentQuery(c);
  const total = await patients.count(actorOf(c), query.filter);
  // The page's rows were drawn with the deleted one among them (unless it was added since).
  const fromPage = existed && await formText(c, "added") !== "1";
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

patientRoutes.post("/:id{[0-9]+}/delete", remove);
