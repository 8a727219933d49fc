/** What a person sees when a request fails: a heading, a plain explanation and, for faults, the request id. */

export interface ErrorInfo {
  status: number;
  title: string;
  detail: string;
  /** Shown for server faults so that a report can be matched with the server log. */
  requestId?: string | undefined;
  /** A page to go on from, offered before the home page (e.g. the patient list). */
  next?: { href: string; label: string } | undefined;
}

function RequestIdNote({ status, requestId }: Pick<ErrorInfo, "status" | "requestId">) {
  if (!requestId) return null;
  return (
    <p class="request-id">
      Request id: <code>{requestId}</code>
      {status >= 500 ? " (please quote it when you report this)" : ""}
    </p>
  );
}

/** The message itself; also sent alone as an htmx fragment. */
export function ErrorMessage(props: ErrorInfo) {
  return (
    <div class="alert alert-error" role="alert">
      <h2 class="alert-title">{props.title}</h2>
      <p>{props.detail}</p>
      <RequestIdNote {...props} />
    </div>
  );
}

/** The body of a full error page. */
export function ErrorPage(props: ErrorInfo) {
  return (
    <section class="error-page" aria-labelledby="error-heading">
      <p class="error-status">Error {props.status}</p>
      <h1 id="error-heading">{props.title}</h1>
      <p class="lead">{props.detail}</p>
      <RequestIdNote {...props} />
      <p class="actions">
        {props.next && <a class="button" href={props.next.href}>{props.next.label}</a>}
        <a class={props.next ? "button button-secondary" : "button"} href="/">
          Go to the home page
        </a>
      </p>
    </section>
  );
}
