/**
 * HTTP as the benchmarks use it outside wrk: a small browser for setting up (keeps cookies, sends
 * `Origin`, finds CSRF tokens), an API token, and a timed GET.
 */

export class Browser {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last HTML page (its forms' `_csrf` field). */
  csrf = "";

  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", this.cookieHeader());
    headers.set("Origin", this.base);
    const res = await fetch(this.base + path, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      if (value === "" || attributes.some((a) => /max-age=0/i.test(a.trim()))) {
        this.cookies.delete(name!.trim());
      } else this.cookies.set(name!.trim(), value);
    }
    return res;
  }

  /** GETs an HTML page and remembers its CSRF token; throws unless it answers 200. */
  async page(path: string): Promise<string> {
    const res = await this.request(path);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrf = token;
    return html;
  }

  /** Fetches the form at `path` and posts `fields` back with its CSRF token. */
  async postForm(path: string, fields: Record<string, string>): Promise<Response> {
    await this.page(path);
    const res = await this.request(path, {
      method: "POST",
      body: new URLSearchParams({ ...fields, _csrf: this.csrf }),
    });
    await res.body?.cancel();
    return res;
  }
}

/** A new API token for the account (`POST /api/tokens`), as the `Authorization` header. */
export async function bearerFor(
  base: string,
  credentials: { email: string; password: string; name: string },
): Promise<{ Authorization: string }> {
  const res = await fetch(`${base}/api/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(credentials),
  });
  if (res.status !== 201) throw new Error(`POST /api/tokens answered ${res.status}`);
  return { Authorization: `Bearer ${(await res.json()).token}` };
}

/** No request of a benchmark may take longer (FerretDB scans for every query). */
export const SLOW_REQUEST_MS = 600_000;

/** A GET with its time in ms; a network error is status 0 with the error as the body. */
export async function timedGet(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  try {
    const res = await fetch(base + path, { headers, signal: AbortSignal.timeout(SLOW_REQUEST_MS) });
    const body = await res.text();
    return { status: res.status, ms: performance.now() - started, body };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, body: String(error) };
  }
}
