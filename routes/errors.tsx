/** The one error handler: a full page, an htmx fragment or problem+json, by request type. */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ErrorMessage, ErrorPage } from "../components/ErrorPage.tsx";
import { StoreUnavailableError } from "../db/errors.ts";
import type { AppEnv, Log } from "./env.ts";
import { problem, wantsProblemJson } from "./problem.ts";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Please log in",
  403: "Not allowed",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  412: "Changed in the meantime",
  413: "Too large",
  415: "Unsupported content type",
  422: "Invalid input",
  429: "Too many attempts",
  500: "Something went wrong",
  503: "Temporarily unavailable",
};

/** True for an htmx request that expects a fragment (not a boosted or history-restore one). */
export function isFragmentRequest(c: Context): boolean {
  return c.req.header("HX-Request") === "true" && c.req.header("HX-Boosted") !== "true" &&
    c.req.header("HX-History-Restore-Request") !== "true";
}

function respond(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  detail: string,
  requestId?: string,
): Response | Promise<Response> {
  const title = TITLES[status] ?? "Error";
  if (wantsProblemJson(c)) {
    return problem(c, { title, status, detail, ...(requestId ? { request_id: requestId } : {}) });
  }
  c.status(status);
  const info = { status, title, detail, requestId };
  if (isFragmentRequest(c)) {
    c.header("Vary", "HX-Request");
    return c.html(<ErrorMessage {...info} />);
  }
  return c.render(<ErrorPage {...info} />, { title });
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, 404, "There is nothing at this address. Check the link, or start from the home page.");

/** Renders typed errors; logs faults with the request id that the error page shows. */
export function errorHandler(log: Log): ErrorHandler<AppEnv> {
  return (error, c) => {
    const requestId = c.get("requestId");
    if (error instanceof HTTPException) {
      if (error.res) return error.res;
      return respond(
        c,
        error.status as ContentfulStatusCode,
        error.message || TITLES[error.status] || "Error",
      );
    }
    if (error instanceof StoreUnavailableError) {
      log(
        `${new Date().toISOString()} ${requestId} ${error.store} store unavailable: ${
          describe(error.cause)
        }`,
      );
      c.header("Retry-After", "5");
      return respond(
        c,
        503,
        `${error.message}. Please try again in a moment; the rest of the app keeps working.`,
        requestId,
      );
    }
    log(`${new Date().toISOString()} ${requestId} error: ${describe(error)}`);
    return respond(
      c,
      500,
      "The server could not complete this request. The error has been logged.",
      requestId,
    );
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
