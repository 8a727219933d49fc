/**
 * Compressed answers: pages, JSON, CSV exports and problem+json come gzipped or brotli-compressed
 * as `Accept-Encoding` asks, decode to the very bytes a client asking for none gets, stream as
 * they are produced, say `Vary: Accept-Encoding`, and keep conditional requests working.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Hono } from "hono";
import { compression } from "../middleware/compression.ts";
import { noneMatchHits } from "../lib/entity_tags.ts";
import { findUserByEmail } from "../db/accounts/users.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { loadDocument, PASSWORD, registerApiUser, samplePatient } from "./helpers/api.ts";
import { loggedInBrowser } from "./helpers/logged_in.ts";
import type { TestBrowser } from "./helpers/test_browser.ts";

const P = "/api/patient_data";

interface Scene {
  app: TestApp;
  /** Sends a request with Ann's bearer token. */
  api(path: string, headers?: HeadersInit, init?: RequestInit): Promise<Response>;
  browser: TestBrowser;
}

/** An app where Ann has 300 records (a list, a page and an export well over 1 KB). */
async function withRecords(body: (s: Scene) => Promise<void>): Promise<void> {
  const app = await createTestApp();
  try {
    await loadDocument(app);
    const browser = await loggedInBrowser(app, { email: "ann@example.org" });
    const { token } = await registerApiUser(app, "bob@example.org");
    const ann = await findUserByEmail(app.stores.accounts, "ann@example.org");
    const bob = await findUserByEmail(app.stores.accounts, "bob@example.org");
    const records = Array.from({ length: 300 }, (_, i) => ({
      ...samplePatient({ age: 20 + (i % 60), avg_glucose_level: 80 + i / 4 }),
      id: i + 1,
    }));
    await app.stores.patients.insertMany(ann!.id, records as never);
    await app.stores.patients.insertMany(bob!.id, records as never);
    const api = (path: string, headers: HeadersInit = {}, init: RequestInit = {}) =>
      app.request(path, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...Object.fromEntries(new Headers(headers)) },
      });
    await body({ app, api, browser });
  } finally {
    await app.close();
  }
}

/** The body of `res`, decoded as its `Content-Encoding` says. */
async function decoded(res: Response): Promise<Buffer> {
  const raw = Buffer.from(await res.arrayBuffer());
  const coding = res.headers.get("Content-Encoding");
  if (coding === "gzip") return gunzipSync(raw);
  if (coding === "br") return brotliDecompressSync(raw);
  assert.equal(coding, null, `an unexpected coding: ${coding}`);
  return raw;
}

/** A page without what differs between two answers: its masked tokens and the session's clock. */
function withoutTokens(html: string): string {
  return html
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
    .replace(/&quot;ends_in_ms&quot;:\d+/, "");
}

Deno.test("gzip and brotli answers decode to the same bytes as the plain one", () =>
  withRecords(async ({ app, api, browser }) => {
    const paths = [
      `${P}?per_page=100&sort=-age`,
      `${P}/export?format=csv`,
      `${P}/export?format=json`,
    ];
    for (const path of paths) {
      const plain = await api(path);
      const bytes = await decoded(plain);
      assert.equal(plain.status, 200, path);
      assert.ok(bytes.byteLength > 4096, `${path} is large enough to be compressed`);
      for (const coding of ["gzip", "br"]) {
        const res = await api(path, { "Accept-Encoding": coding });
        assert.equal(res.headers.get("Content-Encoding"), coding, path);
        assert.match(res.headers.get("Vary") ?? "", /Accept-Encoding/, path);
        assert.equal(res.headers.get("Content-Type"), plain.headers.get("Content-Type"), path);
        assert.equal(res.headers.get("Content-Length"), null, path);
        const body = await decoded(res);
        assert.ok(body.equals(bytes), `${path} as ${coding} decodes to the plain bytes`);
      }
    }
    const page = `/patients?per_page=200`;
    const cookie = { Cookie: browser.cookieHeader() };
    const html = (await decoded(await app.request(page, { headers: cookie }))).toString();
    assert.ok(html.length > 20_000);
    for (const coding of ["gzip", "br"]) {
      const res = await app.request(page, { headers: { ...cookie, "Accept-Encoding": coding } });
      assert.equal(res.headers.get("Content-Encoding"), coding);
      assert.equal(res.headers.get("Cache-Control"), "no-store", "pages are still never stored");
      const body = (await decoded(res)).toString();
      assert.equal(withoutTokens(body), withoutTokens(html), `the page as ${coding}`);
    }
  }));

Deno.test("the client's preference decides the coding, and none means none", () =>
  withRecords(async ({ api }) => {
    const path = `${P}?per_page=100`;
    const cases: [string | null, string | null][] = [
      [null, null],
      ["identity", null],
      ["gzip;q=0, br;q=0", null],
      ["deflate", null],
      ["gzip", "gzip"],
      ["br", "br"],
      ["gzip;q=0.5, br", "br"],
      ["br;q=0.2, gzip;q=0.8", "gzip"],
      ["*", "gzip"],
      ["*;q=0.5, gzip;q=0", "br"],
      ["GZIP", "gzip"],
    ];
    for (const [accept, coding] of cases) {
      const res = await api(path, accept === null ? {} : { "Accept-Encoding": accept });
      assert.equal(res.headers.get("Content-Encoding"), coding, `Accept-Encoding: ${accept}`);
      assert.match(res.headers.get("Vary") ?? "", /Accept-Encoding/, `${accept}: Vary`);
      assert.equal(JSON.parse((await decoded(res)).toString()).items.length, 100);
    }
  }));

Deno.test("answers under 1 KB and answers to Range requests go as they are", () =>
  withRecords(async ({ api }) => {
    const gzip = { "Accept-Encoding": "gzip, br" };
    const one = await api(`${P}/1`, gzip);
    const text = await one.text();
    assert.equal(one.status, 200);
    assert.ok(text.length < 1024, `one record is small (${text.length} bytes)`);
    assert.equal(one.headers.get("Content-Encoding"), null);
    assert.equal(JSON.parse(text).id, 1);

    const problem = await api(`${P}/99999`, gzip);
    assert.equal(problem.status, 404);
    assert.equal(problem.headers.get("Content-Type"), "application/problem+json");
    assert.equal(problem.headers.get("Content-Encoding"), null, "a short problem is sent plain");
    assert.equal((await problem.json()).status, 404);

    const ranged = await api(`${P}?per_page=100`, { ...gzip, Range: "bytes=0-99" });
    assert.equal(ranged.headers.get("Content-Encoding"), null, "a Range request");
    assert.equal(JSON.parse(await ranged.text()).items.length, 100);
  }));

/** A bare app with the compression middleware, for what no route of the app does. */
function harness(produced: { rows: number }, total: number): Hono {
  const app = new Hono();
  app.use(compression());
  app.get("/rows.csv", (c) => {
    async function* rows() {
      for (let i = 0; i < total; i++) {
        produced.rows = i + 1;
        yield `${i},${"row of the export ".repeat(3)}${i * 7 % 1000}\r\n`;
        if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    c.header("Content-Type", "text/csv; charset=utf-8");
    return c.body(ReadableStream.from(rows()).pipeThrough(new TextEncoderStream()));
  });
  app.get("/kept.json", (c) => {
    c.header("Cache-Control", "no-transform");
    return c.json({ text: "unchanged ".repeat(500) });
  });
  app.get("/versioned.json", (c) => {
    c.header("ETag", '"v7"');
    if (noneMatchHits(c.req.header("If-None-Match"), "v7")) return c.body(null, 304);
    return c.json({ version: 7, text: "version seven ".repeat(200) });
  });
  return app;
}

Deno.test("an export is compressed as it is produced: the first bytes come before the last row", async () => {
  const produced = { rows: 0 };
  const total = 50_000; // about 3.5 MB of CSV
  const app = harness(produced, total);
  for (const coding of ["gzip", "br"]) {
    produced.rows = 0;
    const res = await app.request("/rows.csv", { headers: { "Accept-Encoding": coding } });
    assert.equal(res.headers.get("Content-Encoding"), coding);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.byteLength > 0, "a first chunk");
    const atFirst = produced.rows;
    assert.ok(
      atFirst < total / 4,
      `${coding}: ${atFirst} of ${total} rows made before the first bytes`,
    );
    const chunks = [first.value];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
    }
    assert.ok(chunks.length > 10, `${coding}: it came in ${chunks.length} chunks`);
    const raw = Buffer.concat(chunks);
    const text = (coding === "gzip" ? gunzipSync(raw) : brotliDecompressSync(raw)).toString();
    assert.equal(text.split("\r\n").length - 1, total);
    assert.ok(
      raw.byteLength < text.length / 4,
      `${coding}: small lines are gathered before compressing`,
    );
  }
});

Deno.test("Cache-Control: no-transform keeps an answer as it is", async () => {
  const res = await harness({ rows: 0 }, 0).request("/kept.json", {
    headers: { "Accept-Encoding": "gzip, br" },
  });
  assert.equal(res.headers.get("Content-Encoding"), null);
  assert.equal((await res.json()).text.length, 5000);
});

Deno.test("a conditional GET still answers 304 once the answer is compressed", async () => {
  const app = harness({ rows: 0 }, 0);
  for (const coding of ["gzip", "br"]) {
    const headers = { "Accept-Encoding": coding };
    const full = await app.request("/versioned.json", { headers });
    await full.body?.cancel();
    const etag = full.headers.get("ETag")!;
    assert.equal(etag, `"v7-${coding === "gzip" ? "gzip" : "br"}"`, "a strong tag per coding");
    const again = await app.request("/versioned.json", {
      headers: { ...headers, "If-None-Match": etag },
    });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("ETag"), etag, "the 304 names the tag the client holds");
    assert.equal(await again.text(), "");
    const plain = await app.request("/versioned.json", { headers: { "If-None-Match": etag } });
    assert.equal(plain.status, 304, "the coded tag names the same version to any client");
  }
});

Deno.test("a write with If-Match of a compressed answer's tag is a write of that version", () =>
  withRecords(async ({ api }) => {
    const read = await api(`${P}/1`);
    const etag = read.headers.get("ETag")!;
    await read.body?.cancel();
    const coded = `${etag.slice(0, -1)}-gzip"`;
    const json = { "Content-Type": "application/json" };
    const patched = await api(`${P}/1`, { ...json, "If-Match": coded }, {
      method: "PATCH",
      body: JSON.stringify({ age: 44 }),
    });
    assert.equal(patched.status, 200, await patched.clone().text());
    assert.equal((await patched.json()).age, 44);
    const stale = await api(`${P}/1`, { ...json, "If-Match": coded }, {
      method: "PATCH",
      body: JSON.stringify({ age: 45 }),
    });
    assert.equal(stale.status, 412, "the old version's coded tag no longer matches");
    await stale.body?.cancel();
    const weak = await api(`${P}/1`, { ...json, "If-Match": `W/${patched.headers.get("ETag")}` }, {
      method: "PATCH",
      body: JSON.stringify({ age: 46 }),
    });
    assert.equal(weak.status, 412, "If-Match still compares strongly");
    await weak.body?.cancel();
  }));

Deno.test("a compressed page keeps its cookies and the visitor can still log in with its form", () =>
  withRecords(async ({ app }) => {
    const res = await app.request("/login", { headers: { "Accept-Encoding": "gzip, br" } });
    assert.equal(res.headers.get("Content-Encoding"), "gzip");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("spm_csrf="));
    assert.ok(cookie, "the form's cookie is set");
    const html = (await decoded(res)).toString();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(token, "the form carries its token");
    const login = await app.request("/login", {
      method: "POST",
      headers: {
        Cookie: cookie.split(";")[0]!,
        Origin: "http://127.0.0.1:5000",
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ email: "ann@example.org", password: PASSWORD, _csrf: token }),
    });
    assert.equal(login.status, 303);
    assert.ok(login.headers.getSetCookie().some((c) => c.startsWith("spm_session=")));
  }));
