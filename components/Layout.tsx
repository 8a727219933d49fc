/** The page shell every full page shares: head, skip link, navigation bar, main and footer. */
import type { Child } from "hono/jsx";
import { DOM_IDS } from "./htmx.ts";
import { withRegistry } from "./registry_url.ts";
import { Toast } from "./Toast.tsx";

export interface LayoutProps {
  title: string;
  /** URLs of the stylesheets and scripts (versioned by content), in the order they load. */
  stylesheets: string[];
  icon: string;
  scripts: string[];
  /** The logged-in user, for the navigation bar (admins also get a link to `/admin`). */
  user?: { name: string; admin?: boolean | undefined } | null | undefined;
  /**
   * The session's CSRF token, in the log-out form: said once a page, static/app.js sends it with
   * every htmx request (the page's other forms carry the same).
   */
  csrfToken?: string | undefined;
  /** A message left by the previous request ("Your name is saved."), perhaps with a button. */
  flash?: Child | undefined;
  /** The logged-in session's clock, for the idle-timeout warning and kept forms. */
  session?: SessionClock | null | undefined;
  /** The key under which kept forms belong to this browser's session ("" for none). */
  draftScope?: string | undefined;
  /** A second skip link, to the page's main work (the patient table). */
  skip?: SkipLink | undefined;
  /** The logged-in user's registries, for the header's switcher. */
  registries?: RegistryNav | null | undefined;
  children?: Child | undefined;
}

/** The header's registry switcher: the user's registries and the one the page is in. */
export interface RegistryNav {
  /** Personal first, then the teams by name. */
  registries: { id: string; name: string; role: string; personal: boolean }[];
  /** The id of the page's registry; null when the address names none of them. */
  current: string | null;
  /** Where switching goes (the page itself, or the list it belongs to), without `registry=`. */
  action: string;
}

/** A skip link: where it goes (`#id`) and what it says. */
export interface SkipLink {
  href: `#${string}`;
  label: string;
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

/** `path` in the registry the page is in (a team's id as `registry=`; nothing for personal). */
function inRegistry(path: string, nav: RegistryNav | null | undefined): string {
  const current = nav?.registries.find((r) => r.id === nav.current);
  return withRegistry(path, current && { registryId: current.id, personal: current.personal });
}

/**
 * The header's registry menu: a disclosure (no script needed) naming the page's registry and the
 * user's role there, which opens onto links to the same page in each of their registries.
 */
function RegistrySwitch({ nav }: { nav: RegistryNav }) {
  const current = nav.registries.find((r) => r.id === nav.current);
  return (
    <details class="registry-menu" data-registry-menu>
      <summary>
        <span class="registry-menu-label">Registry</span>{" "}
        <span class="registry-menu-name">{current ? current.name : "not one of yours"}</span>
        {current && (
          <>
            {" "}
            <span class="registry-menu-role">
              <span class="visually-hidden">your role:</span> {current.role}
            </span>
          </>
        )}
      </summary>
      <div class="registry-menu-panel">
        <ul class="plain-list" aria-label="Switch to another registry">
          {nav.registries.map((r) => (
            <li>
              <a
                href={withRegistry(nav.action, { registryId: r.id, personal: r.personal })}
                aria-current={r.id === nav.current ? "true" : undefined}
              >
                <span class="registry-menu-name">{r.name}</span>{" "}
                <span class="registry-menu-role">
                  <span class="visually-hidden">your role:</span> {r.role}
                </span>
              </a>
            </li>
          ))}
        </ul>
        <a class="registry-menu-manage" href={inRegistry("/registries", nav)}>
          Manage registries
        </a>
      </div>
    </details>
  );
}

function NavLinks(
  { user, csrfToken, registries }: Pick<LayoutProps, "user" | "csrfToken" | "registries">,
) {
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
      <a href={inRegistry("/patients", registries)}>Patients</a>
      <a href={inRegistry("/dashboard", registries)}>Dashboard</a>
      <a href={inRegistry("/registries", registries)}>Registries</a>
      <a href={inRegistry("/codebook", registries)}>Codebook</a>
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
  {
    title,
    stylesheets,
    icon,
    scripts,
    user,
    csrfToken,
    flash,
    session,
    draftScope,
    skip,
    registries,
    children,
  }: LayoutProps,
) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · Stroke Patient Management</title>
        {session && <meta name="spm-session" content={JSON.stringify(session)} />}
        <meta name="spm-drafts" content={draftScope ?? ""} />
        {stylesheets.map((href) => <link rel="stylesheet" href={href} />)}
        <link rel="icon" href={icon} type="image/svg+xml" />
        {scripts.map((src) => <script src={src} defer></script>)}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        {skip && <a class="skip-link" href={skip.href}>{skip.label}</a>}
        <header class="site-header">
          <nav class="nav" aria-label="Main">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">SPM</span>
              <span>Stroke Patient Management</span>
            </a>
            {user && registries && registries.registries.length > 1 && (
              <RegistrySwitch nav={registries} />
            )}
            <NavLinks user={user} csrfToken={csrfToken} registries={registries} />
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          <div id={DOM_IDS.alerts} aria-live="polite" tabindex={-1}>
            {flash && <Toast>{flash}</Toast>}
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
