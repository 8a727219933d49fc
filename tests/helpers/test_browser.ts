/** An in-process browser for route tests: keeps cookies, sends `Origin`, remembers the page's CSRF token. */
import type { TestApp } from "./app.ts";
import { parseDom } from "./html.ts";

const ORIGIN = "http://127.0.0.1:5000";

/**
 * A browser for in-process requests: keeps cookies, sends `Origin` on unsafe requests (as
 * browsers do), and remembers the CSRF token of the last page it saw.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrf = "";
  lastHtml = "";

  constructor(private readonly app: TestApp) {}

  /** The `Cookie` header this browser sends. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("Cookie")) headers.set("Cookie", this.cookieHeader());
    const method = (init.method ?? "GET").toUpperCase();
    if (!["GET", "HEAD"].includes(method) && !headers.has("Origin")) headers.set("Origin", ORIGIN);
    const response = await this.app.request(path, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      const expired = attributes.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    if ((response.headers.get("Content-Type") ?? "").startsWith("text/html")) {
      this.lastHtml = await response.clone().text();
      const dom = parseDom(this.lastHtml);
      const token = dom.find('input[name="_csrf"]')?.getAttribute("value");
      if (token) this.csrf = token;
    }
    return response;
  }

  get(path: string, headers: HeadersInit = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form as a browser would, with the CSRF token of the last page unless one is given. */
  postForm(
    path: string,
    fields: Record<string, string>,
    headers: HeadersInit = {},
  ): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields });
    return this.request(path, { method: "POST", body, headers });
  }

  /** Registers and is then logged in (fetches the form first, as a person would). */
  async register(name: string, email: string, password: string): Promise<Response> {
    await this.get("/register");
    return this.postForm("/register", { name, email, password, confirm_password: password });
  }

  async logIn(email: string, password: string): Promise<Response> {
    await this.get("/login");
    return this.postForm("/login", { email, password });
  }
}
