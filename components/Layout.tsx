/** The page shell every full page shares: head, skip link, navigation bar, main and footer. */
import type { Child } from "hono/jsx";
import { DOM_IDS } from "./htmx.ts";

export interface LayoutProps {
  title: string;
  /** URLs of the stylesheets and scripts (versioned by content), in the order they load. */
  stylesheets: string[];
  icon: string;
  scripts: string[];
  /** The logged-in user, for the navigation bar (admins also get a link to `/admin`). */
  user?: { name: string; admin?: boolean | undefined } | null | undefined;
  /** The session's CSRF token: sent by htmx with every request, and by the log-out form. */
  csrfToken?: string | undefined;
  /** A message left by the previous request ("Your name is saved."), perhaps with a button. */
  flash?: Child | undefined;
  /** The logged-in session's clock, for the idle-timeout warning and kept forms. */
  session?: SessionClock | null | undefined;
  children?: Child | undefined;
}

/** What static/session_timeout.js and static/form_keep.js read from the page. */
export interface SessionClock {
  /** Whose drafts the page may restore (the user's id). */
  user: string;
  ends_in_ms: number;
  ends_by: "idle" | "lifetime";
  idle_ms: number;
  warn_before_ms: number;
}

/** htmx settings; a meta tag keeps them out of inline script, so the CSP can forbid that. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  // Not "style": an inline style that something else put on an element (an extension, a test
  // tool hiding the caret) would be copied by setAttribute while settling, which the CSP refuses.
  attributesToSettle: ["class", "width", "height"],
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "409", swap: true },
    // A patient that is gone (or never was this user's) comes back as a row saying so.
    { code: "404", swap: true },
    { code: "[45]..", swap: false, error: true },
  ],
});

function NavLinks({ user, csrfToken }: Pick<LayoutProps, "user" | "csrfToken">) {
  if (!user) {
    return (
      <div class="nav-links">
        <a href="/login">Log in</a>
        <a class="nav-button" href="/register">Create account</a>
      </div>
    );
  }
  return (
    <div class="nav-links">
      <a href="/patients">Patients</a>
      <a href="/dashboard">Dashboard</a>
      {user.admin && <a href="/admin">Admin</a>}
      <a href="/profile" class="nav-user">
        <span class="visually-hidden">Profile of</span> {user.name}
      </a>
      <form method="post" action="/logout" class="nav-logout">
        <input type="hidden" name="_csrf" value={csrfToken ?? ""} />
        <button type="submit" class="nav-button">Log out</button>
      </form>
    </div>
  );
}

export function Layout(
  { title, stylesheets, icon, scripts, user, csrfToken, flash, session, children }: LayoutProps,
) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · Stroke Patient Management</title>
        <meta name="htmx-config" content={HTMX_CONFIG} />
        {session && <meta name="spm-session" content={JSON.stringify(session)} />}
        {stylesheets.map((href) => <link rel="stylesheet" href={href} />)}
        <link rel="icon" href={icon} type="image/svg+xml" />
        {scripts.map((src) => <script src={src} defer></script>)}
      </head>
      <body hx-headers={csrfToken ? JSON.stringify({ "X-CSRF-Token": csrfToken }) : undefined}>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <nav class="nav" aria-label="Main">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">SPM</span>
              <span>Stroke Patient Management</span>
            </a>
            <NavLinks user={user} csrfToken={csrfToken} />
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          <div id={DOM_IDS.alerts} aria-live="polite" tabindex={-1}>
            {flash && <div class="alert alert-ok" role="status">{flash}</div>}
          </div>
          {children}
        </main>
        <footer class="site-footer">
          <p>Stroke Patient Management · records stay in your own databases</p>
        </footer>
      </body>
    </html>
  );
}
