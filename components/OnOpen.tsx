/**
 * The body of a folded panel (`<details>`) that is fetched the first time it opens, so that a
 * page does not carry forms most visits never open (the list's add form, filters and
 * de-identified export). With htmx the panel's `toggle` fetches `get`, whose answer takes this
 * body's place, live at once (no settle delay: the form's own triggers are bound as it appears,
 * so what is typed the moment it shows is not lost); without JavaScript the body is a link to a
 * page that shows the same.
 */
import type { Child } from "hono/jsx";

export function OnOpen(
  { get, href, children }: {
    /** The fragment that replaces this body (an htmx request). */
    get: string;
    /** The page with the same, for a browser without JavaScript. */
    href: string;
    children: Child;
  },
) {
  return (
    <div
      class="on-open"
      hx-get={get}
      hx-trigger="toggle from:closest details once"
      hx-target="this"
      hx-swap="outerHTML settle:0ms"
      hx-push-url="false"
    >
      <a href={href}>{children}</a>
    </div>
  );
}
