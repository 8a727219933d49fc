/**
 * `/patients` in the browser: list, add, edit and delete. With htmx each answer is a fragment
 * (a row, the add form, the table); without JavaScript the same URLs work as full pages with
 * POST and redirect.
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { FieldErrors } from "../components/Form.tsx";
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
  NoFreePatientIdError,
  NotFoundError,
  PatientIdTakenError,
  StaleRevisionError,
} from "../db/errors.ts";
import type { PatientListQuery } from "../db/patient_store.ts";
import {
  type NewPatient,
  parsePatientId,
  PATIENT_FIELDS,
  type PatientFields,
} from "../lib/patient_fields.ts";
import { formValues } from "../lib/patient_format.ts";
import { listQueryString, parseListQuery } from "../lib/patient_query.ts";
import { type FieldError, parsePatientText, validatePatient } from "../lib/patient_validation.ts";
import { parseUrl, requireUser } from "./auth_guard.ts";
import { csrfToken } from "./csrf.ts";
import type { AppEnv } from "./env.ts";
import { isFragmentRequest } from "./errors.tsx";
import { AddedFragment, DeletedFragment, SavedFragment } from "./patient_fragments.tsx";
import { flash } from "./session.ts";

export const patientRoutes = new Hono<AppEnv>();
patientRoutes.use("/patients", requireUser);
patientRoutes.use("/patients/*", requireUser);
for (const path of ["/patients", "/patients/*"]) {
  patientRoutes.use(path, async (c, next) => {
    c.header("Vary", "HX-Request"); // htmx gets fragments, browsers full pages, from the same URLs
    await next();
  });
}

// The original app's paths.
patientRoutes.get("/patient_data", (c) => c.redirect("/patients", 301));
patientRoutes.get("/add_patient_data", (c) => c.redirect("/patients#add", 301));

const ctx = (c: Context<AppEnv>) => ({
  userId: c.get("user")!.id,
  patients: c.get("deps").stores.patients,
  csrf: csrfToken(c),
});

function toFieldErrors(errors: FieldError[]): FieldErrors {
  return Object.fromEntries(errors.map((e) => [e.field || "form", e.message]));
}

/** The submitted patient fields as text (only the dataset's names are read). */
async function submitted(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const field of PATIENT_FIELDS) {
    const value = body[field];
    if (typeof value === "string") out[field] = value;
  }
  return out;
}

function queryFrom(params: URLSearchParams): PatientListQuery {
  const parsed = parseListQuery(params, { emptyMeansAbsent: true });
  if (!parsed.ok) {
    throw new HTTPException(400, { message: parsed.errors.map((e) => e.message).join(". ") + "." });
  }
  return parsed.query;
}

/** The list view the browser is showing (for counts after an htmx change), or the default. */
function currentQuery(c: Context): PatientListQuery {
  const url = parseUrl(c.req.header("HX-Current-URL") ?? "");
  const parsed = url ? parseListQuery(url.searchParams, { emptyMeansAbsent: true }) : null;
  return parsed?.ok ? parsed.query : queryFrom(new URLSearchParams());
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
  if (id === null) throw new HTTPException(404, { message: `There is no patient ${text}.` });
  return id;
}

async function render(
  c: Context<AppEnv>,
  query: PatientListQuery,
  add = { values: {}, errors: {} },
) {
  const { userId, patients, csrf } = ctx(c);
  const { items, total } = await patients.list(userId, query);
  const table = { query, items, total, filtered: isFiltered(query), csrfToken: csrf };
  if (isFragmentRequest(c) && c.req.header("HX-Target") === "patient-table") {
    const qs = listQueryString(query);
    c.header("HX-Push-Url", qs ? `/patients?${qs}` : "/patients");
    // A message about an earlier action no longer applies to the new view.
    return c.html(
      <>
        <PatientTable {...table} />
        <div id="alerts" hx-swap-oob="innerHTML"></div>
      </>,
    );
  }
  const open = (total === 0 && !isFiltered(query)) || Object.keys(add.errors).length > 0;
  return c.render(<PatientsPage {...table} add={{ ...add, open }} />, { title: "Patients" });
}

patientRoutes.get("/patients", (c) => render(c, queryFrom(new URL(c.req.url).searchParams)));

patientRoutes.post("/patients", async (c) => {
  const { userId, patients, csrf } = ctx(c);
  const values = await submitted(c);
  const result = validatePatient(parsePatientText(values), "create");
  let errors: FieldErrors = result.ok ? {} : toFieldErrors(result.errors);
  if (result.ok) {
    try {
      const created = await patients.create(userId, result.value as NewPatient);
      if (!isFragmentRequest(c)) {
        flash(c, `Patient ${created.id} added.`);
        return c.redirect(`/patients?q=${created.id}`, 303);
      }
      const query = currentQuery(c);
      const total = await patients.count(userId, query.filter);
      return c.html(
        <AddedFragment patient={created} csrfToken={csrf} query={query} total={total} />,
      );
    } catch (error) {
      if (error instanceof NoFreePatientIdError) {
        errors = { id: `${error.message}.` };
      } else if (error instanceof PatientIdTakenError) {
        errors = {
          id:
            `You already have a patient with ID ${error.id}. Leave it empty to use the next free ID.`,
        };
      } else throw error;
    }
  }
  c.status(422);
  if (isFragmentRequest(c)) {
    return c.html(<AddPatientForm csrfToken={csrf} values={values} errors={errors} open />);
  }
  return render(c, queryFrom(new URLSearchParams()), { values, errors });
});

async function findOr404(c: Context<AppEnv>, id: number) {
  const { userId, patients } = ctx(c);
  const patient = await patients.get(userId, id);
  if (!patient) throw new HTTPException(404, { message: `You have no patient with ID ${id}.` });
  return patient;
}

patientRoutes.get("/patients/:id", async (c) => {
  const patient = await findOr404(c, pathId(c));
  return c.render(<PatientDetailPage patient={patient} />, { title: `Patient ${patient.id}` });
});

patientRoutes.get("/patients/:id/row", async (c) => {
  const id = pathId(c);
  if (!isFragmentRequest(c)) return c.redirect(`/patients/${id}`, 303);
  const { userId, patients } = ctx(c);
  const patient = await patients.get(userId, id);
  if (!patient) return c.html(<PatientGoneRow id={id} message={gone(id)} />, 404);
  return c.html(<PatientRow patient={patient} focus />);
});

patientRoutes.get("/patients/:id/edit", async (c) => {
  const patient = await findOr404(c, pathId(c));
  const props = {
    id: patient.id,
    revision: patient.revision,
    values: formValues(patient),
    errors: {},
    csrfToken: ctx(c).csrf,
  };
  if (isFragmentRequest(c)) return c.html(<PatientEditRow {...props} />);
  return c.render(<PatientEditPage {...props} />, { title: `Edit patient ${patient.id}` });
});

async function save(c: Context<AppEnv>) {
  const id = pathId(c);
  const { userId, patients, csrf } = ctx(c);
  const values = await submitted(c);
  const revision = String((await c.req.parseBody()).revision ?? "");
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
      ? c.html(<PatientEditRow id={id} csrfToken={csrf} {...props} />)
      : c.render(<PatientEditPage id={id} csrfToken={csrf} {...props} />, {
        title: `Edit patient ${id}`,
      });

  const result = validatePatient(parsePatientText({ ...values, id: String(id) }), "replace", id);
  if (!result.ok) {
    c.status(422);
    return edit({ revision, values, errors: toFieldErrors(result.errors) });
  }
  try {
    const { id: _same, ...fields } = result.value as PatientFields;
    const saved = await patients.replace(userId, id, fields, revision || undefined);
    if (!fragment) {
      flash(c, `Patient ${id} saved.`);
      return c.redirect(`/patients?q=${id}`, 303);
    }
    return c.html(<SavedFragment patient={saved} />);
  } catch (error) {
    if (error instanceof StaleRevisionError) {
      const current = await patients.get(userId, id);
      if (current) {
        c.status(409);
        return edit({
          revision: current.revision,
          values: formValues(current),
          errors: {},
          message:
            "Someone else changed this patient while you were editing. These are the current values; your changes were not saved.",
        });
      }
    } else if (!(error instanceof NotFoundError)) throw error;
    const message = `${gone(id)} Your changes were not saved.`;
    if (!fragment) throw new HTTPException(404, { message });
    return c.html(<PatientGoneRow id={id} message={message} />, 404);
  }
}

patientRoutes.put("/patients/:id", save);
patientRoutes.post("/patients/:id", save);

patientRoutes.get("/patients/:id/delete", async (c) => {
  const patient = await findOr404(c, pathId(c));
  return c.render(<PatientDeletePage id={patient.id} csrfToken={ctx(c).csrf} />, {
    title: `Delete patient ${patient.id}`,
  });
});

async function remove(c: Context<AppEnv>) {
  const id = pathId(c);
  const { userId, patients } = ctx(c);
  let existed = true;
  try {
    await patients.delete(userId, id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    existed = false;
  }
  const message = existed ? `Patient ${id} deleted.` : gone(id);
  if (!isFragmentRequest(c)) {
    if (!existed) throw new HTTPException(404, { message });
    flash(c, message);
    return c.redirect("/patients", 303);
  }
  const query = currentQuery(c);
  const total = await patients.count(userId, query.filter);
  return c.html(
    <DeletedFragment message={message} query={query} total={total} />,
    existed ? 200 : 404,
  );
}

patientRoutes.delete("/patients/:id", remove);
patientRoutes.post("/patients/:id/delete", remove);
