/**
 * `/patients` in the browser: list, add, edit and delete. With htmx each answer is a fragment
 * (a row, the add form, the table); without JavaScript the same URLs work as full pages with
 * POST and redirect. The rules live in the patient use-cases; a route catches their errors only
 * to show the form again.
 */
import { type Context, Hono } from "hono";
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
import { AddPatientForm, PatientsPage } from "../components/PatientsPage.tsx";
import {
  PatientEditRow,
  PatientGoneRow,
  PatientRow,
  PatientTable,
} from "../components/PatientTable.tsx";
import {
  type FieldError,
  InvalidQueryError,
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  PatientInvalidError,
  PatientNotFoundError,
  StaleRevisionError,
} from "../lib/errors.ts";
import { parsePatientId } from "../lib/patient_fields.ts";
import { formValues } from "../lib/patient_format.ts";
import { DEFAULT_LIST_QUERY, parseListQuery, type PatientListQuery } from "../lib/patient_query.ts";
import { parsePatientText } from "../lib/patient_validation.ts";
import { parseUrl } from "../lib/safe_url.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash, UNDO_FLASH } from "../middleware/session.ts";
import { actorOf } from "./actor.ts";
import type { AppEnv } from "./env.ts";
import { formText, patientFormValues } from "./form_body.ts";

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

function toFieldErrors(errors: FieldError[]): FieldErrors {
  return Object.fromEntries(errors.map((e) => [e.field || "form", e.message]));
}

/** The list view a query string asks for; throws `InvalidQueryError`. */
function listQueryOf(params: URLSearchParams): PatientListQuery {
  const parsed = parseListQuery(params, { emptyMeansAbsent: true });
  if (!parsed.ok) throw new InvalidQueryError(parsed.errors);
  return parsed.query;
}

/** The list view the browser is showing (for counts after an htmx change), or the default. */
export function currentQuery(c: Context): PatientListQuery {
  const url = parseUrl(c.req.header("HX-Current-URL") ?? "");
  const parsed = url ? parseListQuery(url.searchParams, { emptyMeansAbsent: true }) : null;
  return parsed?.ok ? parsed.query : DEFAULT_LIST_QUERY;
}

/** What a user sees for a record that is not there: deleted meanwhile, or never theirs. */
function gone(id: number): string {
  return `Patient ${id} was already deleted, or does not exist.`;
}

function isFiltered(query: PatientListQuery): boolean {
  return Object.keys(query.filter).length > 0;
}

/** The id of the path; a 404 for anything that cannot be a patient id. */
function pathId(c: Context): number {
  const text = c.req.param("id") ?? "";
  const id = parsePatientId(text);
  if (id === null) throw new PatientNotFoundError(text);
  return id;
}

async function render(
  c: Context<AppEnv>,
  query: PatientListQuery,
  add: { values: Record<string, string>; errors: FieldErrors } = { values: {}, errors: {} },
) {
  const { items, total } = await c.get("patients").list(actorOf(c), query);
  const table = { query, items, total, filtered: isFiltered(query), csrfToken: csrfToken(c) };
  if (targets(c, DOM_IDS.patientTable)) {
    c.header("HX-Push-Url", listUrl(query));
    // A message about an earlier action no longer applies to the new view.
    return c.html(
      <>
        <PatientTable {...table} />
        <ExportView query={query} total={total} oob />
        <Notice />
      </>,
    );
  }
  const open = (total === 0 && !isFiltered(query)) || Object.keys(add.errors).length > 0;
  return c.render(<PatientsPage {...table} add={{ ...add, open }} />, { title: "Patients" });
}

patientRoutes.get("/patients", (c) => render(c, listQueryOf(new URL(c.req.url).searchParams)));

/** The message for an add that the use-case refused, by field. */
function addRefused(error: unknown): FieldErrors {
  if (error instanceof PatientInvalidError) return toFieldErrors(error.errors);
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
  let errors: FieldErrors;
  try {
    const created = await patients.create(actorOf(c), parsePatientText(values));
    if (!isFragmentRequest(c)) {
      flash(c, `Patient ${created.id} added.`);
      return c.redirect(`/patients?q=${created.id}`, 303);
    }
    const query = currentQuery(c);
    const total = await patients.count(actorOf(c), query.filter);
    return c.html(
      <AddedFragment patient={created} csrfToken={csrfToken(c)} query={query} total={total} />,
    );
  } catch (error) {
    errors = addRefused(error);
  }
  c.status(422);
  if (isFragmentRequest(c)) {
    return c.html(<AddPatientForm csrfToken={csrfToken(c)} values={values} errors={errors} open />);
  }
  return render(c, DEFAULT_LIST_QUERY, { values, errors });
});

patientRoutes.get("/patients/:id", async (c) => {
  const patients = c.get("patients");
  const patient = await patients.get(actorOf(c), pathId(c), { via: "detail" });
  const history = await patients.history(actorOf(c), patient.id);
  return c.render(
    <PatientDetailPage patient={patient} history={history} you={c.get("user")!.id} />,
    { title: `Patient ${patient.id}` },
  );
});

patientRoutes.get("/patients/:id/row", async (c) => {
  const id = pathId(c);
  if (!isFragmentRequest(c)) return c.redirect(`/patients/${id}`, 303);
  try {
    // The row the list showed, back after Cancel: not a new view.
    const patient = await c.get("patients").get(actorOf(c), id, { audit: false });
    return c.html(<PatientRow patient={patient} focus />);
  } catch (error) {
    if (!(error instanceof PatientNotFoundError)) throw error;
    return c.html(<PatientGoneRow id={id} message={gone(id)} />, 404);
  }
});

patientRoutes.get("/patients/:id/edit", async (c) => {
  const patient = await c.get("patients").get(actorOf(c), pathId(c), { via: "edit" });
  const props = {
    id: patient.id,
    revision: patient.revision,
    values: formValues(patient),
    errors: {},
    csrfToken: csrfToken(c),
  };
  if (isFragmentRequest(c)) return c.html(<PatientEditRow {...props} />);
  return c.render(<PatientEditPage {...props} />, { title: `Edit patient ${patient.id}` });
});

async function save(c: Context<AppEnv>) {
  const id = pathId(c);
  const patients = c.get("patients");
  const values = await patientFormValues(c);
  const revision = await formText(c, "revision");
  const actor = actorOf(c, await formText(c, "reason"));
  const fragment = isFragmentRequest(c);
  const edit = (
    props: {
      revision: string;
      values: Record<string, string>;
      errors: FieldErrors;
      message?: string;
    },
  ) =>
    fragment
      ? c.html(<PatientEditRow id={id} csrfToken={csrfToken(c)} {...props} />)
      : c.render(<PatientEditPage id={id} csrfToken={csrfToken(c)} {...props} />, {
        title: `Edit patient ${id}`,
      });

  try {
    const input = parsePatientText({ ...values, id: String(id) });
    const saved = await patients.replace(actor, id, input, revision ? [revision] : undefined);
    if (!fragment) {
      flash(c, `Patient ${id} saved.`);
      return c.redirect(`/patients?q=${id}`, 303);
    }
    return c.html(<SavedFragment patient={saved} />);
  } catch (error) {
    if (error instanceof PatientInvalidError) {
      c.status(422);
      return edit({ revision, values, errors: toFieldErrors(error.errors) });
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
  return c.render(<PatientDeletePage id={patient.id} csrfToken={csrfToken(c)} />, {
    title: `Delete patient ${patient.id}`,
  });
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
    return c.redirect("/patients", 303);
  }
  const query = currentQuery(c);
  const total = await patients.count(actorOf(c), query.filter);
  const undo = existed ? { id, csrfToken: csrfToken(c) } : undefined;
  return c.html(
    <DeletedFragment message={message} query={query} total={total} undo={undo} />,
    existed ? 200 : 404,
  );
}

patientRoutes.delete("/patients/:id", remove);
patientRoutes.post("/patients/:id/delete", remove);
