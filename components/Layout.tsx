/** The page shell every full page shares: head, skip link, navigation bar, main and footer. */
import type { Child } from "hono/jsx";

export interface LayoutProps {
  title: string;
  /** URLs of the stylesheet and scripts (versioned by content). */
  stylesheet: string;
  scripts: string[];
  children?: Child;
}

/** htmx settings; a meta tag keeps them out of inline script, so the CSP can forbid that. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: false, error: true },
  ],
});

export function Layout({ title, stylesheet, scripts, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · Stroke Patient Management</title>
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <link rel="stylesheet" href={stylesheet} />
        {scripts.map((src) => <script key={src} src={src} defer></script>)}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <nav class="nav" aria-label="Main">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">SPM</span>
              <span>Stroke Patient Management</span>
            </a>
          </nav>
        </header>
        <main id="main" tabindex={-1}>
          <div id="alerts" aria-live="polite"></div>
          {children}
        </main>
        <footer class="site-footer">
          <p>Stroke Patient Management · records stay in your own databases</p>
        </footer>
      </body>
    </html>
  );
}
