/**
 * A patient's admissions in the browser, under `/patients/{id}/admissions`: add, edit, delete
 * and restore. With htmx each answer is the part of the patient page's admissions section it
 * changes (and a message out of band); without JavaScript the same URLs work as plain forms
 * and pages that redirect back to the patient's page. Times are read and shown in the user's
 * time zone. The rules live in the admission use-cases; a route catches their errors only to
 * show the form again. A role without the right is refused (403) before the form is read.
 */
import { type Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { isFragmentRequest } from "../components/htmx.ts";
import {
  AdmissionDeletePage,
  AdmissionFormPage,
  type AdmissionFormPageProps,
  patientPageUrl,
} from "../components/stroke/AdmissionPages.tsx";
import {
  AdmissionArticle,
  AdmissionEditArticle,
  type AdmissionEditProps,
  AdmissionGone,
} from "../components/stroke/AdmissionArticle.tsx";
import { AdmissionsNotice, AdmissionUndo } from "../components/stroke/AdmissionsPanel.tsx";
import type { FieldErrors } from "../components/Form.tsx";
import {
  AdmissionInvalidError,
  AdmissionNotFoundError,
  AdmissionStaleError,
  DeletedAdmissionNotFoundError,
} from "../lib/admission_errors.ts";
import { type FieldError, NotFoundError } from "../lib/errors.ts";
import { type RegistryRight, requireRight } from "../lib/registry_rights.ts";
import {
  type AdmissionFormValues,
  admissionFormValues,
  formValuesOf,
  readAdmissionForm,
} from "../lib/stroke/admission_form.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash } from "../middleware/session.ts";
import { actorOf } from "../http/actor.ts";
import { admissionsBody } from "../http/admissions_panel.tsx";
import type { AppEnv } from "../http/env.ts";
import { formText, readForm } from "../http/form_body.ts";
import { pathAdmissionId, pathId } from "../http/path_id.ts";
import { userTimeZone } from "../http/time_zone.ts";

export const admissionPageRoutes = new Hono<AppEnv>();
admissionPageRoutes.use("*", requireUser(), async (c, next) => {
  c.header("Vary", "HX-Request"); // htmx gets fragments, browsers full pages, from the same URLs
  await next();
});

/** Refuses (403, naming the role needed) a role without `right`, before anything is read. */
function need(c: Context<AppEnv>, right: RegistryRight): void {
  requireRight(c.get("registry")!, right);
}

/**
 * The messages by field; a problem with the whole admission (no field, or its number: the
 * patient has as many admissions as one may have) under `form`, above the form.
 */
function fieldErrors(errors: FieldError[]): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) {
    out[e.field === "" || e.field === "admission_id" ? "form" : e.field] ??= e.message;
  }
  return out;
}

/** The form's values, read and checked in the user's zone: the admission's input, or problems. */
async function readAdmission(c: Context<AppEnv>) {
  const values = admissionFormValues(await readForm(c));
  const reading = readAdmissionForm(values, userTimeZone(c), new Date());
  return { values, reading };
}

/** Leaves `message` for the next page and goes back to the patient's page. */
function backToPatient(c: Context<AppEnv>, message: string, patientId: number, aid?: number) {
  flash(c, message);
  return c.redirect(patientPageUrl(patientId, aid), 303);
}

/** The swapped part of the section with a message beside it. */
async function bodyWith(
  c: Context<AppEnv>,
  patientId: number,
  message: Child,
  extra: Parameters<typeof admissionsBody>[2] = {},
  kind: "ok" | "error" = "ok",
) {
  return c.html(
    <>
      {await admissionsBody(c, patientId, extra)}
      <AdmissionsNotice message={message} kind={kind} />
    </>,
  );
}

admissionPageRoutes.get("/", async (c) => {
  const patientId = pathId(c);
  if (!isFragmentRequest(c)) return c.redirect(patientPageUrl(patientId), 303);
  return c.html(await admissionsBody(c, patientId));
});

admissionPageRoutes.post("/", async (c) => {
  need(c, "write");
  const patientId = pathId(c);
  const fragment = isFragmentRequest(c);
  const { values, reading } = await readAdmission(c);
  const refused = async (errors: FieldError[]) => {
    c.status(422);
    const add = { values, errors: fieldErrors(errors) };
    if (fragment) return await bodyWith(c, patientId, undefined, { add });
    const props: AdmissionFormPageProps = {
      patientId,
      ...add,
      zone: userTimeZone(c),
      csrfToken: csrfToken(c),
    };
    return c.render(<AdmissionFormPage {...props} />, {
      title: `Add an admission to patient ${patientId}`,
    });
  };
  if (!reading.ok) return await refused(reading.errors);
  try {
    const created = await c.get("admissions").create(actorOf(c), patientId, reading.input);
    const aid = created.admission_id;
    const message = `Admission ${aid} added to patient ${patientId}.`;
    if (!fragment) return backToPatient(c, message, patientId, aid);
    return await bodyWith(c, patientId, message, { focus: aid });
  } catch (error) {
    if (!(error instanceof AdmissionInvalidError)) throw error;
    return await refused(error.errors);
  }
});

admissionPageRoutes.get("/:aid", async (c) => {
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  if (!isFragmentRequest(c)) return c.redirect(patientPageUrl(patientId, aid), 303);
  try {
    // The admission the page showed, back after Cancel: not a new view.
    const admission = await c.get("admissions").get(actorOf(c), patientId, aid, { audit: false });
    return c.html(
      <AdmissionArticle patientId={patientId} admission={admission} zone={userTimeZone(c)} focus />,
    );
  } catch (error) {
    if (!(error instanceof AdmissionNotFoundError)) throw error;
    return c.html(<AdmissionGone admissionId={aid} message={error.message} />, 404);
  }
});

/** The edit form as a part of the page (htmx) or a page of its own. */
function editForm(c: Context<AppEnv>, props: Omit<AdmissionEditProps, "zone" | "csrfToken">) {
  const all = { ...props, zone: userTimeZone(c), csrfToken: csrfToken(c) };
  if (isFragmentRequest(c)) return c.html(<AdmissionEditArticle {...all} />);
  return c.render(<AdmissionFormPage {...all} />, {
    title: `Edit admission ${props.admissionId} of patient ${props.patientId}`,
  });
}

admissionPageRoutes.get("/:aid/edit", async (c) => {
  need(c, "write");
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  const admission = await c.get("admissions").get(actorOf(c), patientId, aid, { via: "edit" });
  return editForm(c, {
    patientId,
    admissionId: aid,
    revision: admission.revision,
    values: formValuesOf(admission, userTimeZone(c)),
    errors: {},
  });
});

async function save(c: Context<AppEnv>) {
  need(c, "write");
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  const service = c.get("admissions");
  const fragment = isFragmentRequest(c);
  const { values, reading } = await readAdmission(c);
  const revision = await formText(c, "revision");
  const actor = actorOf(c, await formText(c, "reason"));
  const again = (status: 409 | 422, v: AdmissionFormValues, errors: FieldErrors, extra = {}) => {
    c.status(status);
    return editForm(c, { patientId, admissionId: aid, revision, values: v, errors, ...extra });
  };
  if (!reading.ok) return again(422, values, fieldErrors(reading.errors));
  try {
    const expected = revision ? [revision] : undefined;
    const saved = await service.replace(actor, patientId, aid, reading.input, expected);
    const message = `Admission ${aid} of patient ${patientId} saved.`;
    if (!fragment) return backToPatient(c, message, patientId, aid);
    return c.html(
      <>
        <AdmissionArticle patientId={patientId} admission={saved} zone={userTimeZone(c)} focus />
        <AdmissionsNotice message={message} />
      </>,
    );
  } catch (error) {
    if (error instanceof AdmissionInvalidError) {
      return again(422, values, fieldErrors(error.errors));
    }
    if (error instanceof AdmissionStaleError) {
      const current = await service.get(actor, patientId, aid, { via: "edit" });
      c.status(409);
      return editForm(c, {
        patientId,
        admissionId: aid,
        revision: current.revision,
        values: formValuesOf(current, userTimeZone(c)),
        errors: {},
        message: `Someone else changed admission ${aid} while you were editing it. These are ` +
          "the current values; your changes were not saved.",
      });
    }
    if (!(error instanceof AdmissionNotFoundError)) throw error;
    const message = `${error.message} It may have been deleted meanwhile; your changes were ` +
      "not saved.";
    if (!fragment) throw new NotFoundError(message);
    return c.html(<AdmissionGone admissionId={aid} message={message} />, 404);
  }
}

admissionPageRoutes.post("/:aid", save);
admissionPageRoutes.put("/:aid", save);

admissionPageRoutes.get("/:aid/delete", async (c) => {
  need(c, "delete");
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  // The confirmation shows what is deleted, as the page it came from did: not a new view.
  const admission = await c.get("admissions").get(actorOf(c), patientId, aid, { audit: false });
  return c.render(
    <AdmissionDeletePage
      patientId={patientId}
      admission={admission}
      zone={userTimeZone(c)}
      csrfToken={csrfToken(c)}
    />,
    { title: `Delete admission ${aid} of patient ${patientId}` },
  );
});

async function remove(c: Context<AppEnv>) {
  need(c, "delete");
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  const fragment = isFragmentRequest(c);
  const reason = c.req.method === "POST" ? await formText(c, "reason") : undefined;
  let existed = true;
  try {
    await c.get("admissions").delete(actorOf(c, reason), patientId, aid);
  } catch (error) {
    if (!(error instanceof AdmissionNotFoundError) || error.admissionId !== aid) throw error;
    existed = false;
  }
  const gone = `Admission ${aid} of patient ${patientId} was already deleted.`;
  if (!fragment) {
    if (!existed) throw new NotFoundError(gone);
    return backToPatient(
      c,
      `Admission ${aid} deleted. You can restore it from the patient's recently deleted admissions.`,
      patientId,
    );
  }
  const message = existed
    ? <AdmissionUndo patientId={patientId} admissionId={aid} csrfToken={csrfToken(c)} />
    : gone;
  return await bodyWith(c, patientId, message, { focus: "count" }, existed ? "ok" : "error");
}

admissionPageRoutes.delete("/:aid", remove);
admissionPageRoutes.post("/:aid/delete", remove);

admissionPageRoutes.post("/:aid/restore", async (c) => {
  need(c, "restore");
  const patientId = pathId(c);
  const aid = pathAdmissionId(c, patientId);
  const fragment = isFragmentRequest(c);
  try {
    await c.get("admissions").restore(actorOf(c), patientId, aid);
  } catch (error) {
    if (!(error instanceof DeletedAdmissionNotFoundError)) throw error;
    const message = `${error.message} It may have been restored already.`;
    if (!fragment) throw new NotFoundError(message);
    return await bodyWith(c, patientId, message, {}, "error");
  }
  const message = `Admission ${aid} of patient ${patientId} restored.`;
  if (!fragment) return backToPatient(c, message, patientId, aid);
  return await bodyWith(c, patientId, message, { focus: aid });
});
