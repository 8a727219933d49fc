/** The app shell: layout, static files, error pages, security headers and the request log. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { html as markup } from "hono/html";
import { jsxRenderer } from "hono/jsx-renderer";
import { createApiToken } from "../db/accounts/api_tokens.ts";
import { StoreUnavailableError } from "../lib/errors.ts";
import { createUser } from "../db/accounts/users.ts";
import type { AppEnv } from "../http/env.ts";
import { errorHandler } from "../http/errors.tsx";
import { requestIds } from "../middleware/request_id.ts";
import { requestLog } from "../middleware/request_log.ts";
import { securityHeaders } from "../middleware/security_headers.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";

async function withApp(body: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await createTestApp();
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

/** The first `src` or `href` in `html` that starts with `prefix`. */
function linkTo(html: string, prefix: string): string {
  const match = new RegExp(`(?:src|href)="(${prefix.replaceAll("/", "\\/")}[^"]*)"`).exec(html);
  assert.ok(match, `no link to ${prefix} in the page`);
  return match[1]!.replaceAll("&amp;", "&");
}

/** A stack trace line as V8 prints it, e.g. "    at handler (file:///...)". */
const STACK_LINE = /\n\s+at .+(:\d+:\d+|\(native\))/;

Deno.test("GET / answers 200 with the full page layout", () =>
  withApp(async (app) => {
    const res = await app.request("/");
    const html = await res.text();
    assert.deepEqual(res.status, 200);
    assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
    assert.match(html, /^<!DOCTYPE html><html lang="en">/);
    assert.match(html, /<title>Home · Stroke Patient Management<\/title>/);
    assert.match(html, /<a class="skip-link" href="#main">Skip to content<\/a>/);
    assert.match(html, /<nav [^>]*aria-label="Main"/);
    assert.match(html, /<main id="main"/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/bundle\.[0-9a-f]{12}\.css"/);
    assert.match(html, /<script [^>]*src="\/static\/vendor\/htmx\.min\.[0-9a-f]{12}\.js"/);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)[^"]*\.(js|css)"/, "no CDN");
    assert.doesNotMatch(html, /<script>|<script[^>]*>[^<]+<\/script>|<style>/, "nothing inline");
  }));

Deno.test("htmx 2 is served by the app itself as JavaScript", () =>
  withApp(async (app) => {
    const res = await app.request("/static/vendor/htmx.min.js");
    const body = await res.text();
    assert.deepEqual(res.status, 200);
    assert.match(res.headers.get("Content-Type") ?? "", /^(text|application)\/javascript/);
    assert.ok(body.startsWith("var htmx=function()"), body.slice(0, 40));
    assert.match(body, /version:"2\.\d+\.\d+"/);
  }));

Deno.test("a fingerprinted asset URL from the page is cached for good, a bare one revalidated", () =>
  withApp(async (app) => {
    const html = await (await app.request("/")).text();
    const assets: [fingerprinted: string, bare: string][] = [
      ["/static/vendor/htmx.min.", "/static/vendor/htmx.min.js"],
      ["/static/bundle.", "/static/bundle.css"],
    ];
    for (const [prefix, path] of assets) {
      const versioned = await app.request(linkTo(html, prefix));
      await versioned.body?.cancel();
      assert.deepEqual(versioned.status, 200, prefix);
      assert.deepEqual(
        versioned.headers.get("Cache-Control"),
        "public, max-age=31536000, immutable",
      );
      const bare = await app.request(path);
      await bare.body?.cancel();
      assert.deepEqual(bare.headers.get("Cache-Control"), "no-cache", prefix);
    }
    const stale = await app.request("/static/app.000000000000.css");
    await stale.body?.cancel();
    assert.deepEqual(stale.headers.get("Cache-Control"), "no-cache");
  }));

Deno.test("an asset answers 304 without a body when its ETag still matches", () =>
  withApp(async (app) => {
    const first = await app.request("/static/vendor/htmx.min.js");
    await first.body?.cancel();
    const etag = first.headers.get("ETag");
    assert.match(etag ?? "", /^"[0-9a-f]+"$/);
    const again = await app.request("/static/vendor/htmx.min.js", {
      headers: { "If-None-Match": etag! },
    });
    assert.deepEqual(again.status, 304);
    assert.deepEqual(await again.text(), "");
    assert.deepEqual(again.headers.get("ETag"), etag);
    const changed = await app.request("/static/vendor/htmx.min.js", {
      headers: { "If-None-Match": '"0000"' },
    });
    assert.deepEqual(changed.status, 200);
    assert.ok((await changed.text()).length > 10_000);
  }));

Deno.test("the stylesheet is served as CSS", () =>
  withApp(async (app) => {
    const res = await app.request("/static/app.css");
    assert.deepEqual(res.status, 200);
    assert.match(res.headers.get("Content-Type") ?? "", /^text\/css/);
    assert.match(await res.text(), /:root\s*\{/);
  }));

Deno.test("an unknown path answers a 404 page in the layout, without a stack trace", () =>
  withApp(async (app) => {
    for (const path of ["/no/such/page", "/static/no-such-file.js"]) {
      const res = await app.request(path);
      const html = await res.text();
      assert.deepEqual(res.status, 404, path);
      assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
      assert.match(html, /<title>Not found · Stroke Patient Management<\/title>/);
      assert.match(html, /<a class="skip-link"/);
      assert.doesNotMatch(html, STACK_LINE);
      assert.doesNotMatch(html, /Error: |file:\/\//);
    }
  }));

Deno.test("an unknown path under /api answers a problem+json 404 to a signed-in caller", () =>
  withApp(async (app) => {
    const user = await createUser(app.stores.accounts, {
      name: "Api",
      email: "api@example.com",
      passwordHash: "unused",
    });
    const { token } = await createApiToken(app.stores.accounts, user.id, "shell test");
    const res = await app.request("/api/no-such-thing", {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.deepEqual(res.status, 404);
    assert.deepEqual(res.headers.get("Content-Type"), "application/problem+json");
    const body = await res.json();
    assert.deepEqual(body.status, 404);
    assert.deepEqual(body.type, "about:blank");
    assert.deepEqual(typeof body.title, "string");
    assert.deepEqual(typeof body.detail, "string");
  }));

Deno.test("every response carries the security headers and a CSP of the app's own files", () =>
  withApp(async (app) => {
    const paths = ["/", "/static/app.css", "/static/vendor/htmx.min.js", "/nope", "/api/nope"];
    for (const path of [...paths, "/healthz"]) {
      const res = await app.request(path);
      await res.body?.cancel();
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      assert.match(csp, /(^|; )default-src 'self'(;|$)/, path);
      assert.match(csp, /(^|; )script-src 'self'(;|$)/, path);
      assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
      assert.deepEqual(res.headers.get("X-Content-Type-Options"), "nosniff", path);
      assert.ok(res.headers.get("Referrer-Policy"), path);
      assert.deepEqual(res.headers.get("X-Frame-Options"), "DENY", path);
      assert.deepEqual(res.headers.get("Strict-Transport-Security"), null, path);
    }
  }));

Deno.test("HSTS is sent only when the browser came over HTTPS through a proxy", () =>
  withApp(async (app) => {
    const https = await app.request("/", { headers: { "X-Forwarded-Proto": "https" } });
    await https.body?.cancel();
    assert.match(https.headers.get("Strict-Transport-Security") ?? "", /max-age=\d{7,}/);
    const http = await app.request("/", { headers: { "X-Forwarded-Proto": "http" } });
    await http.body?.cancel();
    assert.deepEqual(http.headers.get("Strict-Transport-Security"), null);
  }));

Deno.test("each request logs one line with the request id it answers in X-Request-Id", () =>
  withApp(async (app) => {
    for (const path of ["/", "/nope", "/static/app.css"]) {
      const before = app.logs.length;
      const res = await app.request(path);
      await res.body?.cancel();
      const id = res.headers.get("X-Request-Id") ?? "";
      assert.match(id, /^[\w-]{8,}$/);
      const lines = app.logs.slice(before);
      assert.deepEqual(lines.length, 1, JSON.stringify(lines));
      const line = lines[0] ?? "";
      assert.ok(line.includes(` ${id} `), line);
      assert.ok(line.includes(`GET ${path} ${res.status}`), line);
    }
  }));

Deno.test("a request id sent by a client is never adopted, and odd ones are logged escaped", () =>
  withApp(async (app) => {
    const plain = await app.request("/", { headers: { "X-Request-Id": "abc-123" } });
    await plain.body?.cancel();
    assert.notDeepEqual(plain.headers.get("X-Request-Id"), "abc-123");
    const odd = await app.request("/", { headers: { "X-Request-Id": "a b <script>" } });
    await odd.body?.cancel();
    assert.notDeepEqual(odd.headers.get("X-Request-Id"), "a b <script>");
    assert.ok(app.logs.every((line) => !line.includes("<script>")));
    assert.ok(app.logs.at(-1)?.includes("client_request_id=a%20b%20%3Cscript%3E"));
  }));

/** The production middleware and error handler around routes that fail on purpose. */
function failingApp(logs: string[]): Hono<AppEnv> {
  const log = (line: string) => logs.push(line);
  const app = new Hono<AppEnv>();
  app.use(requestIds());
  app.use(requestLog(log));
  app.use(securityHeaders());
  // A bare page shell: what is under test is the error handler, not the layout.
  app.use(
    jsxRenderer(({ children, title }) =>
      markup`<!DOCTYPE html><html><head><title>${title}</title></head><body>${children}</body></html>`
    ),
  );
  const fail = () => {
    throw new Error("secret detail: SELECT password FROM login_data");
  };
  app.get("/boom", fail);
  app.get("/api/boom", fail);
  app.get("/down", () => {
    throw new StoreUnavailableError("patients", { cause: new Error("connect ECONNREFUSED") });
  });
  app.onError(errorHandler(log));
  return app;
}

Deno.test("a failure answers a 500 page with the request id, and only the log has the stack", async () => {
  const logs: string[] = [];
  const res = await failingApp(logs).request("/boom");
  const html = await res.text();
  const id = res.headers.get("X-Request-Id") ?? "";
  assert.deepEqual(res.status, 500);
  assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
  assert.deepEqual(res.headers.get("Cache-Control"), "no-store");
  assert.match(html, /<title>Something went wrong<\/title>/);
  assert.match(html, /<h1 id="error-heading">Something went wrong<\/h1>/);
  assert.ok(html.includes(`<code>${id}</code>`), html);
  assert.doesNotMatch(html, /secret detail|login_data/);
  assert.doesNotMatch(html, STACK_LINE);
  const logged = logs.filter((line) => line.includes(id));
  assert.ok(logged.some((line) => line.includes("secret detail") && STACK_LINE.test(line)));
  assert.ok(logged.some((line) => line.includes("GET /boom 500")), JSON.stringify(logs));
});

Deno.test("a failure under /api answers problem+json 500 with the request id and no detail", async () => {
  const logs: string[] = [];
  const res = await failingApp(logs).request("/api/boom");
  const body = await res.json();
  assert.deepEqual(res.status, 500);
  assert.deepEqual(res.headers.get("Content-Type"), "application/problem+json");
  assert.deepEqual(body.status, 500);
  assert.deepEqual(body.request_id, res.headers.get("X-Request-Id"));
  assert.doesNotMatch(JSON.stringify(body), /secret detail|login_data|\bat /);
});

Deno.test("a store outage answers a 503 page that names the store and asks to retry", async () => {
  const logs: string[] = [];
  const res = await failingApp(logs).request("/down");
  const html = await res.text();
  assert.deepEqual(res.status, 503);
  assert.deepEqual(res.headers.get("Retry-After"), "5");
  assert.match(html, /The patient database is not reachable right now/);
  assert.doesNotMatch(html, /ECONNREFUSED/);
  const id = res.headers.get("X-Request-Id") ?? "";
  assert.ok(html.includes(id));
  assert.ok(logs.some((line) => line.includes(id) && line.includes("ECONNREFUSED")));
});
