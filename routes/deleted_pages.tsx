/**
 * History and deletes in the browser: `/patients/deleted` ("Recently deleted") with Restore,
 * the Undo after a delete (htmx, or a plain form), and `/patients/{id}/history`. Mounted before
 * `/patients/{id}`, whose path would otherwise take `deleted` for an id.
 */
import { type Context, Hono } from "hono";
import { DeletedCount, DeletedPage, RestoredRow } from "../components/DeletedPage.tsx";
import { HistoryPage } from "../components/HistoryPanel.tsx";
import { isFragmentRequest } from "../components/htmx.ts";
import { Notice, PageNotice, RestoredFragment } from "../components/PatientFragments.tsx";
import {
  DeletedPatientNotFoundError,
  type FieldError,
  InvalidQueryError,
  PatientIdTakenError,
} from "../lib/errors.ts";
import { type Paging, readPaging } from "../lib/query_params.ts";
import { csrfToken } from "../middleware/csrf.ts";
import { requireUser } from "../middleware/require_user.ts";
import { flash } from "../middleware/session.ts";
import { actorOf } from "./actor.ts";
import { pathId } from "./api_patients.ts";
import type { AppEnv } from "./env.ts";
import { clampPage, rowsOnPage } from "./patient_list_view.ts";
import { formText } from "./form_body.ts";
import { currentQuery } from "./patients.tsx";

export const deletedRoutes = new Hono<AppEnv>();
deletedRoutes.use("/patients/deleted", requireUser());
deletedRoutes.use("/patients/:id/restore", requireUser());
deletedRoutes.use("/patients/:id/history", requireUser());

const DAY_MS = 86_400_000;

deletedRoutes.get("/patients/deleted", async (c) => {
  const errors: FieldError[] = [];
  const paging = readPaging(new URL(c.req.url).searchParams, errors, true);
  if (errors.length) throw new InvalidQueryError(errors);
  return await deletedPage(c, paging);
});

async function deletedPage(
  c: Context<AppEnv>,
  paging: Paging,
  error?: string,
) {
  const { items, total } = await c.get("patients").listDeleted(actorOf(c), paging);
  return c.render(
    <DeletedPage
      items={items}
      total={total}
      paging={paging}
      retentionDays={Math.round(c.get("deps").config.deletedRetentionMs / DAY_MS)}
      csrfToken={csrfToken(c)}
      error={error}
    />,
    { title: "Recently deleted" },
  );
}

deletedRoutes.post("/patients/:id/restore", async (c) => {
  const id = pathId(c);
  const from = await formText(c, "from") === "deleted" ? "deleted" : "list";
  const patients = c.get("patients");
  const fragment = isFragmentRequest(c);
  try {
    const restored = await patients.restore(actorOf(c), id);
    const message = `Patient ${id} restored.`;
    if (!fragment) {
      flash(c, message);
      return c.redirect(from === "deleted" ? "/patients/deleted" : `/patients?q=${id}`, 303);
    }
    if (from === "deleted") {
      const { total } = await patients.listDeleted(actorOf(c), { page: 1, perPage: 1 });
      return c.html(
        <>
          <RestoredRow id={id} />
          <DeletedCount total={total} oob />
          <PageNotice message={message} />
        </>,
      );
    }
    const query = currentQuery(c);
    const total = await patients.count(actorOf(c), query.filter);
    // The restored row joins the rows on screen, above them.
    const shown = rowsOnPage(clampPage(query, total - 1), total - 1) + 1;
    return c.html(
      <RestoredFragment patient={restored} query={query} total={total} shown={shown} />,
    );
  } catch (error) {
    let message: string;
    if (error instanceof PatientIdTakenError) {
      c.status(409);
      message =
        `You already have a patient with ID ${id}, so the deleted one cannot be restored. Change the ID of that patient, or delete it, first.`;
    } else if (error instanceof DeletedPatientNotFoundError) {
      c.status(404);
      message = `${error.message} It may have been restored already.`;
    } else throw error;
    if (!fragment) return await deletedPage(c, { page: 1, perPage: 50 }, message);
    if (from === "deleted") return c.html(<RestoredRow id={id} error={message} />);
    return c.html(<Notice kind="error" message={message} />);
  }
});

deletedRoutes.get("/patients/:id/history", async (c) => {
  const id = pathId(c);
  const entries = await c.get("patients").history(actorOf(c), id);
  return c.render(<HistoryPage id={id} entries={entries} you={c.get("user")!.id} />, {
    title: `History of patient ${id}`,
  });
});
