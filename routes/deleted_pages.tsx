/**
 * History and deletes in the browser, under `/patients`: `/patients/deleted` ("Recently
 * deleted") with Restore, the Undo after a delete (htmx, or a plain form), and
 * `/patients/{id}/history`.
 */
import { type Context, Hono } from "hono";
import { DeletedCount, DeletedPage, RestoredRow } from "../components/DeletedPage.tsx";
import { HistoryPage } from "../components/HistoryPanel.tsx";
import { withNames } from "../http/history_names.ts";
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
import { actorOf } from "../http/actor.ts";
import { withRegistry } from "../http/current_registry.ts";
import type { AppEnv } from "../http/env.ts";
import { formText } from "../http/form_body.ts";
import { pathId } from "../http/path_id.ts";
import { clampPage, currentQuery, rowsOnPage } from "../http/patient_list_view.ts";
import { parseUrl } from "../lib/safe_url.ts";

export const deletedRoutes = new Hono<AppEnv>();
for (const path of ["/deleted", "/:id{[0-9]+}/restore", "/:id{[0-9]+}/history"]) {
  deletedRoutes.use(path, requireUser());
}

const DAY_MS = 86_400_000;

/**
 * Whether the page an htmx request comes from (`HX-Current-URL`) shows the request's registry:
 * an Undo left by a delete in another registry restores there, but its row does not belong in
 * this page's table.
 */
function fromThisRegistry(c: Context<AppEnv>): boolean {
  const page = parseUrl(c.req.header("HX-Current-URL") ?? "");
  const named = (page?.searchParams.get("registry") ?? "").trim().toLowerCase();
  const registry = c.get("registry");
  if (!registry) return true;
  return named === "" ? registry.personal : named === registry.registryId;
}

deletedRoutes.get("/deleted", async (c) => {
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

deletedRoutes.post("/:id{[0-9]+}/restore", async (c) => {
  const id = pathId(c);
  const from = await formText(c, "from") === "deleted" ? "deleted" : "list";
  const patients = c.get("patients");
  const fragment = isFragmentRequest(c);
  try {
    const restored = await patients.restore(actorOf(c), id);
    const message = `Patient ${id} restored.`;
    if (!fragment) {
      flash(c, message);
      const next = from === "deleted" ? "/patients/deleted" : `/patients?q=${id}`;
      return c.redirect(withRegistry(next, c.get("registry")), 303);
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
    if (!fromThisRegistry(c)) {
      return c.html(<Notice message={`Patient ${id} restored in “${c.get("registry")!.name}”.`} />);
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

deletedRoutes.get("/:id{[0-9]+}/history", async (c) => {
  const id = pathId(c);
  const entries = await withNames(c, await c.get("patients").history(actorOf(c), id));
  return c.render(<HistoryPage id={id} entries={entries} you={c.get("user")!.id} />, {
    title: `History of patient ${id}`,
  });
});
